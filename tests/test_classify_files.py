"""What the classifier makes of the files users bring and of the labels they score with: the UCR archive's
headerless CSVs, an id beside one value column, a folder of texts to predict, labels written another way,
and one clear line for each damaged file. Tiny models; each test takes seconds."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lstmkit import SequenceClassifier
from lstmkit.data.labeled import as_sequences
from lstmkit.data.labeled_files import read_labeled
from lstmkit.errors import LstmkitError
from lstmkit.models.classify_eval import report

TINY = dict(hidden=8, steps=20, batch_size=4, ensemble=1, seed=0)


class _Fixed:
    """A classifier that predicts what it is told: the scoring alone is under test."""

    def __init__(self, classes, pred):
        self.classes_, self._pred = np.asarray(classes), np.asarray(pred)

    def predict(self, X):
        return self._pred


# ---------------------------------------------------------------------------- scoring
def test_the_confusion_matrix_keeps_each_class_whole_however_short_the_true_labels():
    # NumPy cut "ab" to "a" when the classes took the dtype of true labels that are all "a"
    r = report(_Fixed(["a", "ab"], ["a"] * 10 + ["ab"] * 10), list(range(20)), ["a"] * 20)
    assert r["labels"] == ["a", "ab"] and r["confusion"] == [[10, 10], [0, 0]]
    assert r["accuracy"] == 0.5 and r["macro_f1"] == pytest.approx(1 / 3)  # scikit-learn's figure: a 0.667, ab 0


def test_macro_f1_averages_over_the_classes_present():
    r = report(_Fixed(["a", "b"], ["a"] * 10), list(range(10)), ["a"] * 10)
    assert r["accuracy"] == 1.0 and r["macro_f1"] == 1.0 and r["confusion"] == [[10, 0], [0, 0]]


@pytest.mark.parametrize("classes, truth", [(["1", "2"], [1.0, 2.0, 2.0]), ([1, 2], ["1", "2", "2"]), ([1, 2], [1.0, 2.0, 2.0])])
def test_a_class_written_another_way_by_another_file_still_matches(classes, truth):
    r = report(_Fixed(classes, [classes[0], classes[1], classes[0]]), [0, 1, 2], truth)
    assert r["accuracy"] == pytest.approx(2 / 3) and r["unseen"] == [] and r["labels"] == classes


def test_text_classes_that_read_as_one_number_stay_apart():
    r = report(_Fixed(["01", "1"], ["01", "01", "01", "1"]), [0, 1, 2, 3], ["01", "1", "01", "1"])
    assert r["accuracy"] == 0.75 and r["confusion"] == [[2, 0], [1, 1]]


def test_text_classes_that_collide_as_numbers_are_matched_as_text():
    r = report(_Fixed(["01", "1"], ["01", "1", "1"]), [0, 1, 2], np.array([1, 1, 1], dtype=object))
    assert r["labels"] == ["01", "1"] and r["accuracy"] == pytest.approx(2 / 3)


def test_labels_the_model_never_saw_are_errors_in_rows_of_their_own():
    r = report(_Fixed(["a", "b"], ["a", "b", "a"]), [0, 1, 2], ["a", "b", "c"])
    assert r["labels"] == ["a", "b", "c"] and r["unseen"] == ["c"] and r["confusion"][2] == [1, 0, 0]


def test_labels_none_of_which_is_a_class_are_refused_not_scored_zero():
    # a file labelled "negative"/"positive" for a model of 0/1: no case could be right, so no score is given
    with pytest.raises(LstmkitError, match=r"none of the labels \('negative', 'positive'\) is one of the model's classes \(0, 1\)"):
        report(_Fixed([0, 1], [0, 1, 1]), [0, 1, 2], ["negative", "positive", "positive"])


# ---------------------------------------------------------------------------- files
def test_a_ucr_csv_without_a_header_keeps_its_first_case(tmp_path):
    rng = np.random.default_rng(0)
    rows = np.c_[np.repeat([1, 2], 10), rng.normal(size=(20, 12))]
    path = tmp_path / "ucr.csv"
    pd.DataFrame(rows).to_csv(path, index=False, header=False)
    X, y = read_labeled(path)  # the class first, as the archive writes it
    assert len(X) == 20 and X[0].shape == (1, 12) and sorted(set(y.tolist())) == [1.0, 2.0]
    assert np.allclose(X[0][0], rows[0, 1:])


def test_a_header_of_numbers_that_names_columns_is_kept(tmp_path):
    # pandas writes a frame of numbers with the header 0, 1, 2 ...; a label named among them is a header too
    path = tmp_path / "numbered.csv"
    pd.DataFrame(np.c_[[0, 1, 0, 1], np.arange(20.0).reshape(4, 5)]).to_csv(path, index=False)
    X, y = read_labeled(path, "0")
    assert len(X) == 4 and X[0].shape == (1, 5) and y.tolist() == [0, 1, 0, 1]


def test_empty_cells_at_a_long_sequence_end_are_its_padding(tmp_path):
    wide = pd.DataFrame({"case": [1, 2, 3], "label": list("aba"), "t1": [1.0, 2, 3], "t2": [1.0, 2, 3], "t3": [1.0, None, 3]})
    path = tmp_path / "melted.csv"
    wide.melt(["case", "label"], var_name="t", value_name="v").sort_values(["case", "t"]).to_csv(path, index=False)
    X, _ = read_labeled(path, "label", id="case", time="t")
    assert [len(case) for case in as_sequences(X)[1]] == [3, 2, 3]


def test_an_id_beside_one_value_column_is_a_numeric_case_not_a_text(tmp_path):
    path = tmp_path / "w.csv"
    pd.DataFrame({"id": [f"c{i}" for i in range(20)], "label": [i % 2 for i in range(20)],
                  "t0": [i % 2 + 0.5 for i in range(20)]}).to_csv(path, index=False)
    X, y = read_labeled(path, "label")
    assert isinstance(X[0], np.ndarray) and X[0].shape == (1, 1)


def test_long_format_value_columns_are_refused_not_dropped_and_empty_cases_named(tmp_path, run_cli):
    rows = [{"id": f"c{i}", "t": t, "v1": float(i + t), "v2": float(t), "who": f"p{i % 3}", "label": i % 2}
            for i in range(8) for t in range(5)]
    long = tmp_path / "long.csv"
    frame = pd.DataFrame(rows)
    frame.assign(v2=frame["v2"].astype(object).where(frame.index != 6, "high")).to_csv(long, index=False)
    with pytest.raises(LstmkitError, match="row 7 of 'v2' is 'high', not a number"):  # not a silent 1-channel model
        read_labeled(long, "label", id="id", time="t")
    frame.to_csv(long, index=False)
    X, _ = read_labeled(long, "label", id="id", time="t")
    assert X[0].shape == (2, 5)  # 'who', a column of names, is no channel
    frame.assign(v2=frame["v2"].where(frame["id"] != "c5")).to_csv(long, index=False)
    with pytest.raises(LstmkitError, match="sequence 'c5' has no value in 'v2' on any of its 5 row"):
        read_labeled(long, "label", id="id", time="t")
    # a model trained without named columns (a .ts file, arrays) given a long table: the layout it reads
    code, _, err = run_cli("classify", "train", "--demo", "echo", "--out", tmp_path / "echo", "--steps", "3", "--ensemble", "1", "-q")
    assert code == 0, err
    frame.to_csv(long, index=False)
    code, _, err = run_cli("classify", "predict", tmp_path / "echo", long)
    assert code == 2 and "is not laid out as this model's training data" in err and "--text" not in err
    ts = tmp_path / "gap.ts"
    ts.write_text("@problemName g\n@timeStamps false\n@univariate true\n@equalLength true\n@seriesLength 4\n@classLabel true a b\n"
                  "@data\n1,2,3,4:a\n1,?,3,4:b\n1,2,?,?:a\n", encoding="utf-8")
    with pytest.raises(LstmkitError, match="gap.ts: case 2 has a missing value at time point 2 of dimension 1"):
        read_labeled(ts)  # the third case's trailing '?' pad it, and are no gap


@pytest.mark.parametrize("model", ["lstm-fcn", "cnn-lstm"])
def test_cases_of_one_time_point_train(model):
    X = [np.array([[v]]) for v in np.r_[np.zeros(10), np.ones(10)] + 0.3]
    clf = SequenceClassifier(model, **TINY).fit(X, [0] * 10 + [1] * 10)
    assert clf.predict_proba(X).shape == (20, 2)


def test_a_folder_of_texts_without_classes_is_predicted_file_by_file(tmp_path, run_cli):
    for label, text in (("x", "ab ab ab"), ("y", "ba ba ba")):
        (tmp_path / "train" / label).mkdir(parents=True)
        for i in range(8):
            (tmp_path / "train" / label / f"{i}.txt").write_text(text, encoding="utf-8")
    (tmp_path / "new").mkdir()
    for i in range(3):
        (tmp_path / "new" / f"n{i}.txt").write_text("ab ab", encoding="utf-8")
    code, _, err = run_cli("classify", "train", tmp_path / "train", "--out", tmp_path / "m", "--steps", "10", "--ensemble", "1", "-q")
    assert code == 0, err
    code, out, err = run_cli("classify", "predict", tmp_path / "m", tmp_path / "new")
    assert code == 0 and len(out.strip().splitlines()) == 4 and "n2.txt" in out, err


def test_a_renamed_column_is_named_for_renaming_not_for_an_option(tmp_path, run_cli):
    path = tmp_path / "t.csv"
    pd.DataFrame({"text": ["ab ba ab", "ba ab"] * 10, "book": ["x", "y"] * 10}).to_csv(path, index=False)
    code, _, err = run_cli("classify", "train", path, "--label", "book", "--out", tmp_path / "m", "--steps", "10", "--ensemble", "1", "-q")
    assert code == 0, err
    renamed = tmp_path / "r.csv"
    pd.read_csv(path).rename(columns={"text": "passage"}).to_csv(renamed, index=False)
    code, _, err = run_cli("classify", "predict", tmp_path / "m", renamed)
    assert code == 2 and "rename the file's column to 'text'" in err and "for --text" not in err, err


def test_damaged_files_get_one_line_naming_the_place(tmp_path):
    bad = tmp_path / "j.jsonl"
    bad.write_text("\n".join([json.dumps({"text": "a b", "label": 1})] * 7 + ['{"text": "a', json.dumps({"text": "b", "label": 0})]),
                   encoding="utf-8")
    with pytest.raises(LstmkitError, match="at line 8"):
        read_labeled(bad, "label")
    long = tmp_path / "long.csv"
    pd.DataFrame({"trip": ["a", "a", "a", "b", "b"], "t": [0, 1, 1, 0, 1], "v": [1.0, 2, 3, 4, 5], "y": [0, 0, 0, 1, 1]}).to_csv(long, index=False)
    with pytest.raises(LstmkitError, match=r"sequence 'a' has time 1 twice \(row 3\)"):
        read_labeled(long, "y", id="trip", time="t")
    pd.DataFrame({"trip": ["a", "a", "b", "b"], "t": [1, 0, 0, 1], "v": [1.0, None, 4, 5], "y": [0, 0, 1, 1]}).to_csv(long, index=False)
    with pytest.raises(LstmkitError, match=r"row 2 \(sequence 'a'\) has no value in 'v' before the sequence ends"):
        read_labeled(long, "y", id="trip", time="t")
    wide = tmp_path / "wide.csv"
    pd.DataFrame({"y": [0, 1, 0], "t1": [1.0, 2, 3], "t2": [1.0, None, 3], "t3": [1.0, 2, None]}).to_csv(wide, index=False)
    with pytest.raises(LstmkitError, match=r"row 2 has no value in 't2' before the end of its case"):
        read_labeled(wide, "y")
    ragged = tmp_path / "r.ts"
    ragged.write_text("@problemName r\n@timeStamps false\n@missing false\n@univariate false\n@dimensions 2\n@equalLength false\n"
                      "@classLabel true a b\n@data\n1,2,3:4,5,6:a\n1,2,3:4,5:b\n", encoding="utf-8")
    with pytest.raises(LstmkitError, match="not a readable .ts file") as e:
        read_labeled(ragged)
    assert "_io" not in str(e.value)
