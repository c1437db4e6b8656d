"""``lstmkit mlp ...``: a dense classifier for tables, a thin table over ``MLP`` (the iris network of the LSTM and RNN concepts tutorial)."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .cli_common import Command, check_table_out, emit, fitting_into, load_as, write_table
from .errors import LstmkitError

mlp_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                      help="A multilayer perceptron for rows of numbers (the 4-8-3 iris network of the LSTM and RNN concepts tutorial).")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def read_table(path: Path, label: Optional[str], features: Optional[List[str]] = None, need_label: bool = True,
               remembered: bool = False):
    """(X, y or None, feature names) from a CSV or Parquet file: the label column and numeric feature columns.
    ``remembered``: the label column is the one the model was trained with, not one named with --label."""
    import numpy as np
    import pandas as pd

    from .data.tables import read_table as read_frame
    from .data.tables import written_labels

    frame = read_frame(path, keep=(label,))  # the delimiter sniffed, as for every task's tables; labels as written ("01")
    if label in frame.columns:
        frame[label] = written_labels(frame[label])
    if label is not None and label not in frame.columns:
        if need_label:
            whose = ", the label column the model was trained with (pass --label COL)" if remembered else ""
            raise LstmkitError(f"{path} has no column {label!r}{whose}; its columns are {', '.join(map(str, frame.columns[:12]))}")
        label = None
    from .data.tables import saved_index

    names = list(features) if features else [c for c in frame.columns if c != label and not saved_index(c)]  # not pandas' row numbers
    if label is not None and label in names:
        raise LstmkitError(f"--features names the label column {label!r}: the answer would be an input; leave it out of --features")
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise LstmkitError(f"{path} has no column(s) {', '.join(map(repr, missing))}; its columns are {', '.join(map(str, frame.columns[:12]))}")
    text = [c for c in names if not pd.api.types.is_numeric_dtype(frame[c])]
    if text:
        raise LstmkitError(f"{path}: feature column(s) {', '.join(map(repr, text))} are not numbers; pass --features with numeric columns only")
    if not names:
        raise LstmkitError(f"{path} has no feature columns besides the label {label!r}")
    X = frame[names].to_numpy(dtype=float)
    bad = np.argwhere(~np.isfinite(X))
    if len(bad):  # rows counted from 1 after the header, as a spreadsheet shows them
        r, c = bad[0]
        raise LstmkitError(f"{path}: column {names[c]!r} holds a missing or infinite value at data row {r + 1}; fill or drop it")
    y = None
    if label is not None:
        if frame[label].isna().any():
            raise LstmkitError(f"{path}: the label column {label!r} is empty at data row {int(np.flatnonzero(frame[label].isna())[0]) + 1}; fill or drop it")
        from .data.labeled import as_labels

        # checked here, where a label is named by its data row, not by its place after the split
        y = as_labels(frame[label].to_numpy(), len(frame), cases="rows", at=lambda i: f"{path}: the label column {label!r} at data row {i + 1}")
    return X, y, [str(c) for c in names]


def _iris():
    import numpy as np
    from sklearn.datasets import load_iris

    d = load_iris()
    return d.data, np.asarray(d.target_names)[d.target], list(d.feature_names)


@mlp_app.command("train", cls=Command)
def mlp_train(
    data: Optional[Path] = typer.Argument(None, metavar="DATA", help="A CSV or Parquet table (or --demo)."),
    out: Path = typer.Option(..., "--out", "-o", help="Directory for the model."),
    label: Optional[str] = typer.Option(None, help="The class column (required with DATA)."),
    features: Optional[List[str]] = typer.Option(None, "--features", help="A feature column, repeatable (default: every other column)."),
    demo: Optional[str] = typer.Option(None, help="iris: scikit-learn's bundled iris data, the LSTM and RNN concepts tutorial's example (default: none)."),
    hidden: Optional[List[int]] = typer.Option(None, "--hidden", help="A hidden layer's width, repeatable (default one layer of 8: iris gives 4-8-3)."),
    activation: str = typer.Option("tanh", help="tanh (default), relu or sigmoid."),
    epochs: Optional[float] = typer.Option(None, help="Passes over the rows (default 300, at most 5,000 steps)."),
    steps: Optional[int] = typer.Option(None, help="Optimizer steps instead (default: --epochs)."),
    lr: float = typer.Option(0.01, help="Adam's learning rate (default 0.01)."),
    batch_size: int = typer.Option(16, help="Rows per step (default 16)."),
    test_fraction: float = typer.Option(0.2, help="Stratified share held out from training and scored at the end; 0 trains on every row (default 0.2)."),
    seed: int = typer.Option(0, help="Random seed (default 0)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a model already in --out."),
):
    """Train an MLP classifier on a table; print its test accuracy and save it."""
    import numpy as np

    from . import rundir
    from .models.mlp import MLP

    rundir.check_destination(out, overwrite)
    m = MLP(tuple(hidden) if hidden else (8,), activation, epochs=epochs, steps=steps, lr=lr, batch_size=batch_size, seed=seed)
    m.check_params()  # the options' own errors first, before any about the data
    if not 0 <= test_fraction < 0.9:
        raise LstmkitError(f"--test-fraction {test_fraction} is out of range; pass 0 or more, below 0.9")
    if demo is not None:
        if data is not None:
            raise LstmkitError("pass DATA or --demo, not both")
        if demo != "iris":
            raise LstmkitError(f"unknown demo {demo!r}; pass iris")
        if label is not None or features:
            raise LstmkitError("--label and --features name columns of a DATA table; --demo iris brings its own, so leave them out")
        X, y, names = _iris()
    elif data is None:
        raise LstmkitError("pass a DATA table with --label COL, or --demo iris")
    else:
        if label is None:
            raise LstmkitError("pass --label COL: the column holding each row's class")
        X, y, names = read_table(data, label, features)
    test = None
    if test_fraction:
        from sklearn.model_selection import train_test_split

        _, counts = np.unique(y, return_counts=True)
        n_test = int(np.ceil(test_fraction * len(y)))
        if counts.min() < 2 or n_test < len(counts) or len(y) - n_test < len(counts):
            raise LstmkitError(f"{len(y)} rows in {len(counts)} classes cannot spare a stratified test part of {test_fraction:g} "
                               f"(every class needs a row on each side); pass --test-fraction 0 or a larger table")
        tr, te = train_test_split(np.arange(len(y)), test_size=test_fraction, stratify=y, random_state=seed)
        test, X, y = (X[te], y[te]), X[tr], y[tr]
    with fitting_into(out, overwrite):
        m.fit(X, y)
        m.features_, m.label_ = names, label
        s = m.summary_
        _say(f"network {' -> '.join(map(str, m.net_.config.layers))} ({activation}), {s['parameters']} parameters, "
             f"{s['steps']} steps in {s['fit_s']:.1f} s" + (f"; validation accuracy {s['val_acc']:.3f} on {s['val_cases']} rows" if "val_acc" in s else ""))
        if test is not None:
            acc = float(m.score(*test))
            s.update(test_acc=acc, test_cases=len(test[1]))
            emit(f"test accuracy {acc:.4f} on {len(test[1])} rows held out from training (stratified, seed {seed})\n")
        m.save(out)
    _say(f"model saved to {out}")


def _load(path: Path):
    from .models.mlp import MLP

    return load_as(path, MLP, "an MLP")


@mlp_app.command("predict", cls=Command)
def mlp_predict(
    model: Path = typer.Argument(..., metavar="MODEL", help="An MLP model directory."),
    data: Path = typer.Argument(..., metavar="DATA", help="A table with the training features' columns."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the predictions here (CSV; .tsv, .parquet, .json or .jsonl by its name; default: CSV on stdout)."),
):
    """Label each row: a CSV of the row number, its predicted class and one probability per class."""
    import pandas as pd

    check_table_out(out, model, (data,))
    m = _load(model)
    X, _, _ = read_table(data, None, m.features_, need_label=False)
    proba = m.predict_proba(X)
    frame = pd.DataFrame({"row": range(len(X)), "label": m.classes_[proba.argmax(1)]})
    for j, c in enumerate(m.classes_):
        frame[f"p_{c}"] = proba[:, j].round(6)
    write_table(frame, out, f"predictions written to {out} ({len(frame)} rows)")


@mlp_app.command("evaluate", cls=Command)
def mlp_evaluate(
    model: Path = typer.Argument(..., metavar="MODEL", help="An MLP model directory."),
    data: Path = typer.Argument(..., metavar="DATA", help="A labelled table with the training features' columns."),
    label: Optional[str] = typer.Option(None, help="The class column (default: the training table's)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """Accuracy, macro-F1 and the confusion matrix on a labelled table; a label the model never saw counts as an error."""
    from .models.classify_eval import confusion_text, report, unseen_note

    m = _load(model)
    if label is None and m.label_ is None:
        raise LstmkitError(f"{model} does not know its label column (trained from arrays, on --demo, or saved before models "
                           "kept it); pass --label COL")
    X, y, _ = read_table(data, label or m.label_, m.features_, remembered=label is None)
    r = report(m, X, y)
    if unseen_note(r):
        _say(unseen_note(r))
    if as_json:
        emit(json.dumps({"accuracy": r["accuracy"], "macro_f1": r["macro_f1"], "rows": r["cases"],
                         "classes": [str(c) for c in r["labels"]], "confusion": r["confusion"]}, indent=2) + "\n")
        return
    emit(f"accuracy {r['accuracy']:.4f}, macro-F1 {r['macro_f1']:.4f} on {r['cases']} rows\n\n{confusion_text(r)}\n")
