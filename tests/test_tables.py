"""Tables as spreadsheets and other tools export them, read by ``read_table`` for every task, and the label,
text and feature columns the task readers take from them. No training; each test takes milliseconds."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmkit.data.labeled_files import read_labeled
from lstmkit.data.pairs import parse_pairs
from lstmkit.data.tables import read_table
from lstmkit.errors import LstmkitError


@pytest.mark.parametrize("text, columns, first", [
    ("a;b;label\n1,5;2;x;\n3;4,5;y;\n", ["a", "b", "label"], [1.5, 2.0, "x"]),  # a delimiter ending each data row
    ("Gewicht\n1,5\n12\n0,75\n", ["Gewicht"], [1.5]),  # one column of decimal commas, a whole number among them
    ('Bewertung Text\n"great movie"\n"awful, boring film"\ndull\n', ["Bewertung Text"], ["great movie"]),  # a name with a space
    ("sep=;;;\nx;y;cls\n1,5;2,5;a\n", ["x", "y", "cls"], [1.5, 2.5, "a"]),  # Excel's line, saved again
    ("a,b,label,,\n1,2,x,,\n3,4,y,,\n", ["a", "b", "label"], [1, 2, "x"]),  # empty unnamed columns at the end
    ("amount;rate;label\n4.436;0,4;a\n1.538;1,15;b\n", ["amount", "rate", "label"], [4436, 0.4, "a"]),  # thousands points
    ("x y\n1 2\n3 4\n", ["x", "y"], [1, 2]),  # columns aligned by spaces
    ("date;value\n01.01.1949;112,50\n01.02.1949;118\n", ["date", "value"], ["01.01.1949", 112.5]),  # dotted dates stay dates
])
def test_spreadsheet_exports_read_as_their_columns(tmp_path, text, columns, first):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    df = read_table(path)
    assert list(df.columns) == columns and df.iloc[0].tolist() == first


def test_a_file_not_in_utf8_gets_the_fix(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("L\u00e4nge;Art\n1,5;a\n".encode("latin-1"))
    with pytest.raises(LstmkitError, match="is not UTF-8 text .*save it as UTF-8"):
        read_table(path)


def test_labels_and_texts_are_read_as_written(tmp_path):
    path = tmp_path / "codes.csv"
    pd.DataFrame({"code": [f"{i:06d}" for i in range(0, 40000, 1000)], "label": ["01", "02"] * 20}).to_csv(path, index=False)
    X, y = read_labeled(path, "label", text="code")
    assert X[0] == "000000" and sorted(set(y.tolist())) == ["01", "02"]
    plain = tmp_path / "plain.csv"
    pd.DataFrame({"text": ["a b", "b a"] * 5, "label": [1, 2] * 5}).to_csv(plain, index=False)
    assert read_labeled(plain, "label")[1].dtype.kind == "i"  # whole numbers stay numbers


def test_a_headerless_ucr_csv_is_evaluated_by_its_first_column(tmp_path, run_cli):
    rng = np.random.default_rng(0)
    path = tmp_path / "ucr.csv"
    pd.DataFrame(np.c_[np.repeat([1, 2], 10), rng.normal(size=(20, 12))]).to_csv(path, index=False, header=False)
    code, _, err = run_cli("classify", "train", path, "--out", tmp_path / "m", "--steps", "10", "--ensemble", "1", "-q")
    assert code == 0, err
    code, out, err = run_cli("classify", "evaluate", tmp_path / "m", path)
    assert code == 0 and "on 20 cases" in out, err


def test_a_pairs_file_s_header_row_is_no_pair():
    assert parse_pairs("source\ttarget\nHallo\tHello\n") == [("Hallo", "Hello")]


def test_pandas_row_numbers_are_no_mlp_feature(tmp_path):
    from lstmkit.cli_mlp import read_table as read_features

    path = tmp_path / "m.csv"
    pd.DataFrame({"a": np.arange(6.0), "b": np.arange(6.0), "label": ["x", "y"] * 3}).to_csv(path)  # index written
    X, y, names = read_features(path, "label")
    assert names == ["a", "b"] and X.shape == (6, 2)
