"""Scoring a classifier: accuracy, macro-F1 and the confusion matrix, as numbers, a table and a PNG.

Example:
    r = report(clf, X_test, y_test)     # {"accuracy": 0.98, "macro_f1": 0.98, "labels": [...], "confusion": [[...]]}
    print(confusion_text(r)); plot_confusion("cm.png", r)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.labeled import as_labels, as_sequences, plain
from ..errors import LstmkitError


def report(clf, X, y) -> dict:
    """Score ``clf`` on cases ``X`` with true labels ``y``; labels the model never saw count as errors.
    Where one side is numbers and the other text, or both numbers, a label matches the class of the same
    value (``1.0`` or ``"1"`` for the class 1, as another file may write it); texts match texts exactly.
    Macro-F1 averages over the classes among the true or predicted labels, as scikit-learn's does."""
    from sklearn.metrics import confusion_matrix, f1_score

    pred = clf.predict(X)
    y = as_labels(y, len(pred))
    classes = [plain(c) for c in clf.classes_]
    texts = all(isinstance(c, str) for c in classes) and all(isinstance(plain(v), str) for v in y)
    key = (lambda v: ("text", plain(v))) if texts else _value
    if len({key(c) for c in classes}) < len(classes):  # classes "01" and "1": as numbers they would be one
        key = lambda v: ("text", str(plain(v)))  # noqa: E731
    keys = [key(c) for c in classes]
    y_keys, pred_keys = [key(v) for v in y], [key(v) for v in pred]
    first = {}
    for v, k in zip(y, y_keys):
        first.setdefault(k, plain(v))
    unseen = sorted(set(y_keys) - set(keys), key=str)
    if len(unseen) == len(set(y_keys)):  # not one case could be right: labels written another way, or another model's
        shown = ", ".join(map(repr, [first[k] for k in unseen][:4])) + (" ..." if len(unseen) > 4 else "")
        raise LstmkitError(f"none of the labels ({shown}) is one of the model's classes ({', '.join(map(repr, classes[:6]))}"
                           f"{' ...' if len(classes) > 6 else ''}); pass cases labelled with those classes, or the model trained on these labels")
    # as indices, so that scikit-learn never compares keys of two kinds
    index = {k: i for i, k in enumerate(keys + unseen)}
    yi, pi = [index[k] for k in y_keys], [index[k] for k in pred_keys]
    present = sorted(set(yi) | set(pi))
    cm = confusion_matrix(yi, pi, labels=list(range(len(index))))
    f1 = f1_score(yi, pi, labels=present, average="macro", zero_division=0)
    return {"accuracy": float(np.mean(np.asarray(yi) == np.asarray(pi))), "macro_f1": float(f1),
            "cases": int(len(y)), "labels": classes + [first[k] for k in unseen], "confusion": cm.tolist(),
            "unseen": [first[k] for k in unseen]}


def _value(v) -> tuple:
    """A label's key where numbers are involved: ("number", 1.0) for 1, 1.0 and "1"; ("text", v) else."""
    v = plain(v)
    if isinstance(v, (bool, np.bool_)):
        return ("text", str(v))
    try:
        return ("number", float(v)) if not isinstance(v, str) or v.strip() == v else ("text", v)
    except (TypeError, ValueError):
        return ("text", v)


def unseen_note(r: dict) -> str:
    """A line naming the true labels that are none of the model's classes (each such case counts as an error):
    a file whose labels are written another way ("one" for 1) would otherwise score 0 without a word."""
    if not r["unseen"]:
        return ""
    names = ", ".join(map(repr, r["unseen"][:6])) + (" ..." if len(r["unseen"]) > 6 else "")
    one = len(r["unseen"]) == 1
    return (f"note: {len(r['unseen'])} of the labels ({names}) {'is' if one else 'are'} none of the model's classes "
            f"({', '.join(map(repr, r['labels'][:len(r['labels']) - len(r['unseen'])][:6]))}); {'its' if one else 'their'} cases count as errors")


def length_note(clf, X) -> str:
    """A line when a model trained on cases of one length is given cases of another: the network reads any length,
    but a misread file (a class column taken for a first time point, another data set) shows up this way."""
    trained = (getattr(clf, "summary_", None) or {}).get("lengths")
    if getattr(clf, "kind_", None) != "numeric" or not trained or trained[0] != trained[1]:
        return ""
    _, cases = as_sequences(X)
    lengths = {len(c) for c in cases}
    other = sorted(lengths - {trained[0]})
    if not other:
        return ""
    shown = ", ".join(map(str, other[:4])) + (" ..." if len(other) > 4 else "")
    return (f"note: the model was trained on cases of {trained[0]} time points, and {'some of ' if len(other) < len(lengths) else ''}"
            f"these have {shown}; check that the file holds the cases meant, read as in training")


def confusion_text(r: dict) -> str:
    """The confusion matrix as a table: rows are the true labels, columns the predicted ones."""
    labels = [str(v) for v in r["labels"]]
    w = max(6, *(len(v) for v in labels)) + 1
    corner = "true \\ predicted"
    lines = [f"{corner:<{w + 10}}" + "".join(f"{v:>{w}}" for v in labels)]
    for v, row in zip(labels, r["confusion"]):
        lines.append(f"{v:<{w + 10}}" + "".join(f"{n:>{w}}" for n in row))
    return "\n".join(lines)


def plot_confusion(path: str | Path, r: dict) -> None:
    """A PNG of the confusion matrix, written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    from ..figures import quiet_glyphs, save_figure

    n = len(r["labels"])
    fig, ax = plt.subplots(figsize=(max(5, 0.6 * n + 2), max(4, 0.6 * n + 1.5)))
    ConfusionMatrixDisplay(np.asarray(r["confusion"]), display_labels=[str(v) for v in r["labels"]]).plot(ax=ax, colorbar=False)
    ax.set_title(f"accuracy {r['accuracy']:.3f}, macro-F1 {r['macro_f1']:.3f}\n({r['cases']} cases)", fontsize=10)
    with quiet_glyphs():  # series ids or labels in a script the font lacks
        fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
