"""Text classification: which book a short passage comes from, lstmkit against TF-IDF plus logistic regression.

    python benchmarks/classify_text.py [--words 8] [--train 1500] [--test 1000] [--seeds 3] [--data-dir ../shared/data]

The labelled set is built here from two books in ``../shared/data``: the Grimms' fairy tales (the Project
Gutenberg file, its licence header and footer stripped) and tinyshakespeare (its speaker lines, such as
"First Citizen:", dropped, since they would give the play away). Each book's words, with line breaks
collapsed, are cut into passages of ``--words`` consecutive words. The first 80 % of each book gives the
training passages and the last 20 % the test passages, so no test passage has a neighbour in training;
``--train`` and ``--test`` passages per book are taken evenly spaced across each part.

In one run, on the same passages:
- lstmkit's default through the Python API, ``SequenceClassifier(seed=s).fit(texts, labels)``, for each seed
  (median and range of the test accuracy, fit plus predict time);
- the same through the CLI: ``lstmkit classify train`` on a CSV, then ``classify evaluate`` and ``classify
  predict`` on the test CSV, whose labels must agree with the API's for seed 0;
- scikit-learn's ``TfidfVectorizer`` and ``LogisticRegression``, its ``C`` chosen by 5-fold cross-validation on
  the training passages: on word 1- and 2-grams (the usual baseline), and on character 2- to 5-grams, which
  keep the capitals and punctuation that the LSTM reads too.
"""
from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from common import SHARED_DATA, machine  # noqa: E402

import lstmkit  # noqa: E402
from lstmkit.data.text import strip_gutenberg  # noqa: E402

BOOKS = {"grimm": "grimms_fairy_tales.txt", "shakespeare": "tinyshakespeare.txt"}
SPEAKER = re.compile(r"^[A-Z][A-Za-z' ]*:\s*$", re.M)  # a play's "First Citizen:" line


def book_words(name: str, path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    text = strip_gutenberg(text) if name == "grimm" else SPEAKER.sub("", text)
    return text.split()


def passages(words: list[str], n_words: int, start: float, stop: float, count: int) -> list[str]:
    """``count`` passages of ``n_words`` words, evenly spaced over the share [start, stop) of the book."""
    cut = [" ".join(words[i:i + n_words]) for i in range(0, len(words) - n_words + 1, n_words)]
    part = cut[int(start * len(cut)):int(stop * len(cut))]
    if count > len(part):
        raise SystemExit(f"error: the book has {len(part)} passages of {n_words} words in that part, fewer than {count}")
    return [part[i] for i in np.linspace(0, len(part) - 1, count).round().astype(int)]


def build_set(data_dir: Path, n_words: int, n_train: int, n_test: int):
    train, test = [], []
    for label, file in BOOKS.items():
        path = data_dir / file
        if not path.is_file():
            raise SystemExit(f"error: {path} not found; pass the folder holding it with --data-dir")
        words = book_words(label, path)
        train += [(t, label) for t in passages(words, n_words, 0.0, 0.8, n_train)]
        test += [(t, label) for t in passages(words, n_words, 0.8, 1.0, n_test)]
    return pd.DataFrame(train, columns=["text", "book"]), pd.DataFrame(test, columns=["text", "book"])


def tfidf_logreg(train: pd.DataFrame, test: pd.DataFrame, analyzer: str, seed: int) -> tuple[float, float]:
    """TF-IDF of word 1-2 grams (lower-cased, scikit-learn's default) or of character 2-5 grams within words
    (case and punctuation kept, which the LSTM also sees), then logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.pipeline import make_pipeline

    t = time.perf_counter()
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True) if analyzer == "word" else \
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=False, sublinear_tf=True)
    model = make_pipeline(vec, LogisticRegressionCV(Cs=10, cv=5, max_iter=2000, random_state=seed))
    model.fit(train.text, train.book)
    acc = float(np.mean(model.predict(test.text) == test.book.to_numpy()))
    return acc, time.perf_counter() - t


def cli(*args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "lstmkit.cli", *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"error: lstmkit {' '.join(args[:2])} failed: {out.stderr.strip().splitlines()[-1]}")
    return out.stdout


def cli_flags(opts: dict) -> list[str]:
    """SequenceClassifier options as ``classify train`` flags: ``--name=value``, a boolean as ``--name`` or
    ``--no-name`` (``{'refit': False}`` -> ``--no-refit``)."""
    flags = []
    for k, v in opts.items():
        name = k.replace("_", "-")
        flags.append((f"--{name}" if v else f"--no-{name}") if isinstance(v, bool) else f"--{name}={v}")
    return flags


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=8, help="words per passage")
    ap.add_argument("--train", type=int, default=1500, help="training passages per book")
    ap.add_argument("--test", type=int, default=1000, help="test passages per book")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--data-dir", type=Path, default=SHARED_DATA)
    ap.add_argument("--options", default="{}", help="a Python dict of SequenceClassifier options (tests pass a tiny budget)")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    opts = ast.literal_eval(args.options)
    print(f"machine: {machine()}")
    train, test = build_set(args.data_dir, args.words, args.train, args.test)
    print(f"{len(train)} training and {len(test)} test passages of {args.words} words, 2 books")
    y_test = test.book.to_numpy()

    # -- lstmkit through the API, one model per seed ----------------------------------------
    accs, secs, api_labels = [], [], None
    for s in range(args.seeds):
        t = time.perf_counter()
        clf = lstmkit.SequenceClassifier(seed=s, **opts).fit(train.text.tolist(), train.book.to_numpy())
        pred = clf.predict(test.text.tolist())
        secs.append(time.perf_counter() - t)
        accs.append(float(np.mean(pred == y_test)))
        if s == 0:
            api_labels = pred
        print(f"  lstmkit API, seed {s}: accuracy {accs[-1]:.4f} ({secs[-1]:.1f} s)", flush=True)

    # -- lstmkit through the CLI: train, evaluate, predict -----------------------------------
    with tempfile.TemporaryDirectory() as tmp:
        tr, te, run, preds = (os.path.join(tmp, n) for n in ("train.csv", "test.csv", "run", "pred.csv"))
        train.to_csv(tr, index=False)
        test.to_csv(te, index=False)
        t = time.perf_counter()
        extra = cli_flags(opts)
        cli("classify", "train", tr, "--label", "book", "--out", run, "-q", *extra)
        report = cli("classify", "evaluate", run, te, "--label", "book")
        cli("classify", "predict", run, te, "--out", preds)
        cli_secs = time.perf_counter() - t
        cli_labels = pd.read_csv(preds)["label"].astype(str).to_numpy()
    cli_acc = float(np.mean(cli_labels == y_test))
    same = bool(np.array_equal(cli_labels, api_labels.astype(str)))
    print(f"  lstmkit CLI, seed 0: accuracy {cli_acc:.4f} ({cli_secs:.1f} s for train, evaluate and predict); "
          f"its labels {'are' if same else 'are NOT'} the API's; evaluate printed: {report.splitlines()[0]}")

    # -- the baseline ------------------------------------------------------------------------
    base = {a: tfidf_logreg(train, test, a, 0) for a in ("word", "char")}
    for a, (acc, sec) in base.items():
        print(f"  TF-IDF ({a} n-grams) + logistic regression: accuracy {acc:.4f} ({sec:.1f} s)")

    med = float(np.median(accs))
    print(f"\n| model | test accuracy | seconds |\n|---|---|---|\n"
          f"| lstmkit {'default' if not opts else opts}, median of {args.seeds} seeds (range) | {med:.3f} ({min(accs):.3f}–{max(accs):.3f}) | {np.median(secs):.1f} |\n"
          f"| lstmkit CLI, seed 0 (train, evaluate, predict) | {cli_acc:.3f} | {cli_secs:.1f} |\n"
          f"| TF-IDF, word 1-2 grams + logistic regression | {base['word'][0]:.3f} | {base['word'][1]:.1f} |\n"
          f"| TF-IDF, character 2-5 grams + logistic regression | {base['char'][0]:.3f} | {base['char'][1]:.1f} |")
    for a, (acc, _) in base.items():
        print(f"errors of {len(test)}: lstmkit {round((1 - med) * len(test))} (median), TF-IDF {a} n-grams {round((1 - acc) * len(test))}")


if __name__ == "__main__":
    main()
