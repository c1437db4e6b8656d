"""Scoring a classifier: accuracy, macro-F1 and the confusion matrix, as numbers, a table and a PNG.

Example:
    r = report(clf, X_test, y_test)     # {"accuracy": 0.98, "macro_f1": 0.98, "labels": [...], "confusion": [[...]]}
    print(confusion_text(r)); plot_confusion("cm.png", r)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.labeled import as_labels, plain


def report(clf, X, y) -> dict:
    """Score ``clf`` on cases ``X`` with true labels ``y``; labels the model never saw count as errors."""
    from sklearn.metrics import confusion_matrix, f1_score

    pred = clf.predict(X)
    y = as_labels(y, len(pred))
    numbers = y.dtype.kind in "iuf" and clf.classes_.dtype.kind in "iuf"
    if numbers and y.dtype.kind == "f" and clf.classes_.dtype.kind != "f" and np.all(np.mod(y, 1) == 0):
        y = y.astype(clf.classes_.dtype)  # 1.0 written for the class 1
    elif y.dtype.kind != clf.classes_.dtype.kind and not numbers:  # e.g. labels read as numbers from one file, as text from another
        y, pred = y.astype(str), pred.astype(str)
    labels = list(clf.classes_.astype(y.dtype)) + sorted(set(y.tolist()) - set(clf.classes_.astype(y.dtype).tolist()))
    cm = confusion_matrix(y, pred, labels=labels)
    return {"accuracy": float(np.mean(pred == y)), "macro_f1": float(f1_score(y, pred, labels=labels, average="macro", zero_division=0)),
            "cases": int(len(y)), "labels": [plain(v) for v in labels], "confusion": cm.tolist(),
            "unseen": [plain(v) for v in labels[len(clf.classes_):]]}


def unseen_note(r: dict) -> str:
    """A line naming the true labels that are none of the model's classes (each such case counts as an error):
    a file whose labels are written another way ("one" for 1) would otherwise score 0 without a word."""
    if not r["unseen"]:
        return ""
    names = ", ".join(map(repr, r["unseen"][:6])) + (" ..." if len(r["unseen"]) > 6 else "")
    return (f"note: {len(r['unseen'])} of the labels ({names}) are none of the model's classes "
            f"({', '.join(map(repr, r['labels'][:len(r['labels']) - len(r['unseen'])][:6]))}); their cases count as errors")


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

    from ..atomic import write_atomic

    n = len(r["labels"])
    fig, ax = plt.subplots(figsize=(max(4, 0.6 * n + 2), max(3.5, 0.6 * n + 1.5)))
    ConfusionMatrixDisplay(np.asarray(r["confusion"]), display_labels=[str(v) for v in r["labels"]]).plot(ax=ax, colorbar=False)
    ax.set_title(f"accuracy {r['accuracy']:.3f}, macro-F1 {r['macro_f1']:.3f} ({r['cases']} cases)")
    fig.tight_layout()
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)
