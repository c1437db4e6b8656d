"""The MLP (seed 001's 4-8-3 iris network): accuracy on a stratified split, save/load, scikit-learn
interplay, the CLI end to end and its bad inputs."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.model_selection import cross_val_score, train_test_split

import lstmkit
from lstmkit.errors import LstmkitError
from lstmkit.models.mlp import MLP


@pytest.fixture(scope="module")
def iris_split():
    X, y = load_iris(return_X_y=True)
    names = np.asarray(load_iris().target_names)[y]
    return train_test_split(X, names, test_size=0.3, stratify=names, random_state=0)


@pytest.fixture(scope="module")
def iris_model(iris_split):
    X_tr, _, y_tr, _ = iris_split
    return MLP(hidden=(8,), seed=0).fit(X_tr, y_tr)


def test_iris_4_8_3_reaches_95_percent_on_a_stratified_split(iris_model, iris_split):
    _, X_te, _, y_te = iris_split
    assert iris_model.net_.config.layers == [4, 8, 3]
    assert iris_model.score(X_te, y_te) >= 0.95
    assert list(iris_model.classes_) == ["setosa", "versicolor", "virginica"]
    p = iris_model.predict_proba(X_te)
    assert p.shape == (len(X_te), 3) and np.allclose(p.sum(1), 1, atol=1e-5)


def test_save_load_round_trip(iris_model, iris_split, tmp_path):
    _, X_te, _, _ = iris_split
    iris_model.save(tmp_path / "iris")
    back = lstmkit.load(tmp_path / "iris")
    assert isinstance(back, MLP)
    assert np.array_equal(back.predict_proba(X_te), iris_model.predict_proba(X_te))
    assert np.allclose(back.mean_, iris_model.mean_) and back.info()["layers"] == [4, 8, 3]


def test_same_seed_same_model_and_overfit_one_batch():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 3))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)  # not linearly separable
    a = MLP(hidden=(16,), steps=400, batch_size=16, val_fraction=0, seed=1).fit(X, y)
    b = MLP(hidden=(16,), steps=400, batch_size=16, val_fraction=0, seed=1).fit(X, y)
    assert a.score(X, y) == 1.0
    for k, v in a.net_.state_dict().items():
        assert torch.equal(v, b.net_.state_dict()[k])


def test_works_in_scikit_learn(iris_split):
    X_tr, _, y_tr, _ = iris_split
    scores = cross_val_score(MLP(steps=300), X_tr, y_tr, cv=3)
    assert scores.mean() > 0.85
    c = clone(MLP(hidden=(4, 4), activation="tanh"))
    assert c.get_params()["hidden"] == (4, 4) and c.fit(X_tr, y_tr).net_.config.layers == [4, 4, 4, 3]
    frame = pd.DataFrame(X_tr, columns=["a", "b", "c", "d"])
    assert MLP(steps=20).fit(frame, y_tr).features_ == ["a", "b", "c", "d"]


def test_bad_inputs_are_refused():
    X = np.ones((6, 2))
    for kwargs, X_, y, message in (({}, [[1, np.nan], [2, 3]], [0, 1], "row 0, feature 1"), ({}, X, [0] * 6, "at least 2 classes"),
                                   ({"hidden": (0,)}, X, [0, 1] * 3, "--hidden"), ({}, [["a", "b"]], [0], "numbers only"),
                                   ({"activation": "swish"}, X, [0, 1] * 3, "unknown activation")):
        with pytest.raises(LstmkitError, match=message):
            MLP(**kwargs).fit(X_, y)
    with pytest.raises(LstmkitError, match="not fitted"):
        MLP().predict(X)


def test_cli_iris_demo_and_a_csv_end_to_end(run_cli, tmp_path):
    code, stdout, stderr = run_cli("mlp", "train", "--demo", "iris", "--out", tmp_path / "iris")
    assert code == 0, stderr
    acc = float(stdout.split("test accuracy ")[1].split()[0])
    assert acc >= 0.95 and "4 -> 8 -> 3" in stderr
    frame = load_iris(as_frame=True).frame
    frame["species"] = np.asarray(load_iris().target_names)[frame.pop("target")]
    csv = tmp_path / "iris.csv"
    frame.to_csv(csv, index=False)
    code, stdout, _ = run_cli("mlp", "evaluate", tmp_path / "iris", csv, "--label", "species", "--json")
    assert code == 0 and json.loads(stdout)["accuracy"] >= 0.95
    code, _, stderr = run_cli("mlp", "evaluate", tmp_path / "iris", csv)  # the demo has no label column to remember
    assert code == 2 and "pass --label COL" in stderr and "Traceback" not in stderr
    code, stdout, _ = run_cli("mlp", "train", csv, "--label", "species", "--out", tmp_path / "f", "--hidden", "8", "--test-fraction", "0.3")
    assert code == 0 and float(stdout.split("test accuracy ")[1].split()[0]) >= 0.95
    code, stdout, _ = run_cli("mlp", "predict", tmp_path / "f", csv)
    assert code == 0 and stdout.splitlines()[0] == "row,label,p_setosa,p_versicolor,p_virginica" and len(stdout.splitlines()) == 151
    code, stdout, _ = run_cli("mlp", "evaluate", tmp_path / "f", csv, "--json")  # the training table's label column, remembered
    assert code == 0 and json.loads(stdout)["rows"] == 150
    renamed = tmp_path / "renamed.csv"
    frame.rename(columns={"species": "kind"}).to_csv(renamed, index=False)
    code, _, stderr = run_cli("mlp", "evaluate", tmp_path / "f", renamed)
    assert code == 2 and "no column 'species', the label column the model was trained with (pass --label COL)" in stderr
    code, stdout, _ = run_cli("info", tmp_path / "f")
    assert code == 0 and "4 -> 8 -> 3" in stdout


def test_cli_bad_tables_exit_with_one_line(run_cli, tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text("a,b,kind\n1,x,p\n2,y,q\n3,z,p\n4,w,q\n", encoding="utf-8")
    for args, message in (([csv, "--label", "nope"], "no column 'nope'"), ([csv, "--label", "kind"], "'b' are not numbers"),
                          ([csv], "pass --label COL"), ([tmp_path / "none.csv", "--label", "kind"], "no such file"),
                          (["--demo", "wine"], "unknown demo"), (["--demo", "iris", "--label", "kind"], "leave them out")):
        code, _, stderr = run_cli("mlp", "train", *args, "--out", tmp_path / "m")
        assert code == 2 and message in stderr and "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1


def test_numpy_params_save_and_small_tables_are_refused_cleanly(run_cli, tmp_path):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(30, 2)), np.array([0, 1, 2] * 10)
    m = MLP(hidden=(np.int64(4),), batch_size=np.int64(8), steps=5).fit(X, y)
    m.save(tmp_path / "np")  # a grid search's numpy numbers are written as JSON numbers
    back = lstmkit.load(tmp_path / "np")
    assert back.get_params()["hidden"] == (4,) and back.n_features_in_ == 2 and back.label_ is None
    named = MLP(steps=5).fit(pd.DataFrame(X, columns=["u", "v"]), pd.Series(y, name="kind"))
    assert lstmkit.load(named.save(tmp_path / "named")).label_ == "kind"  # a Series' name is the label column
    csv = tmp_path / "small.csv"
    pd.DataFrame({"a": range(6), "b": range(6), "k": list("pqrpqr")}).to_csv(csv, index=False)
    code, _, stderr = run_cli("mlp", "train", csv, "--label", "k", "--out", tmp_path / "m")
    assert code == 2 and "cannot spare a stratified test part" in stderr and "Traceback" not in stderr
    with pytest.raises(LstmkitError, match="--batch-size 0"):
        MLP(batch_size=0).fit(X, y)
