"""``lstmkit classify ...``: train, predict and evaluate, a thin table over ``SequenceClassifier``."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from .cli_common import Command, check_table_out, check_plot, emit, fitting_into, load_as, write_table, json_text
from .errors import LstmkitError

classify_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                           help="Sequence classification: labelled texts or numeric sequences in, an LSTM classifier out.")

DATA_HELP = ("CSV/JSONL/Parquet (one text per row, or long format with --id), a UCR/UEA .ts file, "
             "or a folder holding one sub-folder of text files per class.")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@classify_app.command("train", cls=Command)
def classify_train(
    data: Optional[Path] = typer.Argument(None, metavar="DATA", help=DATA_HELP + " (or --demo)"),
    out: Path = typer.Option(..., "--out", "-o", help="Directory for the model."),
    label: Optional[str] = typer.Option(None, help="The class column (not needed for .ts files and folders)."),
    text: Optional[str] = typer.Option(None, help="The text column (default: the only text column besides the label)."),
    id: Optional[str] = typer.Option(None, "--id", help="Long format: the column naming each sequence (default: one text per row)."),
    time: Optional[str] = typer.Option(None, help="Long format: the column ordering each sequence's rows (default: file order)."),
    values: Optional[List[str]] = typer.Option(None, "--values", help="Long format: a value column, repeatable (default: every numeric column)."),
    demo: Optional[str] = typer.Option(None, help="echo: the LSTM model types tutorial's task, the value at one position of a random one-hot sequence (default: none)."),
    echo_position: int = typer.Option(0, help="With --demo echo: the position whose value is the label (default 0)."),
    model: str = typer.Option("lstm-fcn", "--model", "-m", help="The network; 'lstmkit models' lists them (default lstm-fcn)."),
    hidden: Optional[int] = typer.Option(None, help="Recurrent units (default 64)."),
    layers: int = typer.Option(1, help="Recurrent layers (default 1; stacked uses at least 2)."),
    dropout: float = typer.Option(0.2, help="Dropout before the output layer (default 0.2)."),
    minutes: Optional[float] = typer.Option(None, help="Wall-clock budget of the whole fit, shared by the networks (default: a steps budget from the data)."),
    steps: Optional[int] = typer.Option(None, help="Optimizer steps per network (default: up to 400 passes, the ensemble capped near 80 s of nominal arithmetic)."),
    epochs: Optional[float] = typer.Option(None, help="Passes over the cases per network (default: --steps)."),
    lr: float = typer.Option(1e-3, help="The learning rate (default 1e-3)."),
    weight_decay: str = typer.Option("auto", help="Above 0: train with AdamW and this decoupled weight decay (such as 0.1); 0: plain Adam; "
                                     "auto (default): 0.1 when the budget buys each network at least 200 passes over its cases, else 0."),
    batch_size: Optional[int] = typer.Option(None, help="Cases per step (default: a tenth of the cases, 4 to 16)."),
    ensemble: int = typer.Option(3, help="Networks averaged, each trained on all but one of as many stratified folds and stopped early on it (default 3)."),
    val_fraction: float = typer.Option(0.2, help="With --ensemble 1: the stratified share held out to choose the step count; 0 for none (default 0.2)."),
    refit: bool = typer.Option(True, "--refit/--no-refit", help="With --ensemble 1: after validation, train again on every case for as many passes (default: yes)."),
    early_stopping: bool = typer.Option(True, "--early-stopping/--no-early-stopping", help="Hold out folds to stop each network early "
                                        "(default); --no-early-stopping trains every network on every case for the whole budget."),
    class_weight: Optional[str] = typer.Option(None, help="balanced: weigh classes by inverse frequency (default: equal)."),
    level: str = typer.Option("auto", help="Texts: auto (characters when texts average at most 100 characters or under 3 words, else words), char, word or bpe (default auto)."),
    shuffle: str = typer.Option("off", help="on: LSTM-FCN's dimension shuffle, its LSTM reading each channel's whole series as one step "
                                "(cases of one length only); off: the time points are its steps (default off)."),
    pool: str = typer.Option("auto", help="Average each N time points into one before the network (1: none); auto (default): "
                             "with the default budget, as many as bring the mean case down to 100 points, else none."),
    derivatives: str = typer.Option("auto", help="Numeric cases: on: give the network each channel's first difference as a channel "
                                    "of its own beside it; off: the channels alone; auto (default): on unless the default budget "
                                    "cannot afford the doubled inputs (hundreds of channels)."),
    pool_extremes: str = typer.Option("off", help="Pooled numeric cases: on: each block of --pool points gives its maximum and "
                                      "minimum beside its mean (spikes survive the pooling); off: the mean alone (default)."),
    slicing: str = typer.Option("off", help="Numeric cases: on: window slicing, training on random windows of 90% of each case "
                                "and predicting from the mean of 5; off: whole cases (default)."),
    seed: int = typer.Option(0, help="Random seed (default 0)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a model already in --out."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
):
    """Train a sequence classifier; print its validation accuracy and save it."""
    from . import rundir
    from .models.classify import SequenceClassifier

    rundir.check_destination(out, overwrite)
    clf = SequenceClassifier(model, hidden=hidden, layers=layers, dropout=dropout, steps=steps, epochs=epochs, minutes=minutes, lr=lr,
                             weight_decay=_number_or_word(weight_decay, float), batch_size=batch_size, ensemble=ensemble, val_fraction=val_fraction, refit=refit, early_stopping=early_stopping, class_weight=class_weight, level=level,
                             shuffle=shuffle, pool=_number_or_word(pool, int), derivatives=derivatives, pool_extremes=pool_extremes, slicing=slicing, seed=seed, progress=not quiet)
    if demo is None and echo_position:
        raise LstmkitError(f"--echo-position {echo_position} sets the label of --demo echo; drop it, or pass --demo echo")
    if demo is not None:  # the demo's cases are arrays: a table's columns name nothing there
        from .data.labeled_files import refuse_column_options

        refuse_column_options("--demo echo builds its cases", label=label, text=text, id=id, time=time, values=values)
    with fitting_into(out, overwrite):
        if demo is not None:
            if data is not None:
                raise LstmkitError("pass DATA or --demo, not both")
            if demo != "echo":
                raise LstmkitError(f"unknown demo {demo!r}; pass echo")
            from .data.echo import echo_task

            X, y = echo_task(2000, k=echo_position, seed=seed)
            clf.fit(X, y, notes=_say)
        elif data is None:
            raise LstmkitError("pass a DATA file or folder, or --demo echo")
        else:
            clf.fit_file(data, label, text=text, id=id, time=time, values=values or (), notes=_say)
        clf.save(out)
    h = clf.summary_
    if "val_acc" in h:
        emit(f"validation accuracy {h['val_acc']:.3f} on {h['val_cases']} held-out cases"
             f"{', each classified by the network that never trained on it' if h['members'] > 1 else ''} (mean loss {h['val_loss']:.4f})\n")
    _say(f"model saved to {out} ({h['fit_s']:.1f} s)")


def _load(model: Path, unknown: Optional[str] = None):
    from .models.classify import SequenceClassifier
    from .models.classify_plan import check_params

    clf = load_as(model, SequenceClassifier, "a classifier")
    if unknown is not None:
        if clf.prep_.get("level") != "char":  # words never seen map to <unk>; numbers have no symbols
            what = "numeric sequences" if clf.kind_ != "text" else "word-level texts (a word never seen reads as <unk>)"
            raise LstmkitError(f"--unknown is for character-level text models; {model} classifies {what}: drop --unknown")
        check_params(clf.set_params(unknown=unknown))
    return clf


@classify_app.command("predict", cls=Command)
def classify_predict(
    model: Path = typer.Argument(..., metavar="MODEL", help="A classifier model directory."),
    data: Path = typer.Argument(..., metavar="DATA", help="Cases laid out as the training data (labels not needed)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the predictions here (CSV; .tsv, .parquet, .json or .jsonl by its name; default: CSV on stdout)."),
    text: Optional[str] = typer.Option(None, help="A table's text column, for a text model that saved none (trained from Python "
                                       "or a folder; default: the training file's)."),
    unknown: Optional[str] = typer.Option(None, help="Character-level texts: error (default): a character never seen in training "
                                          "is an error naming it; drop: leave such characters out."),
):
    """Label each case: a CSV of the case (its id, file or row), its predicted label and one probability per class."""
    import pandas as pd

    from .models.classify_eval import length_note

    check_table_out(out, model, (data,))
    clf = _load(model, unknown)
    X, _, names = clf.read_cases(data, with_ids=True, text=text)
    proba = clf.predict_proba(X)
    note = length_note(clf, X)
    if note:
        _say(note)
    frame = pd.DataFrame({"case": names, "label": clf.classes_[proba.argmax(1)]})
    for j, c in enumerate(clf.classes_):
        frame[f"p_{c}"] = proba[:, j].round(6)
    write_table(frame, out, f"predictions written to {out} ({len(frame)} cases)")


@classify_app.command("evaluate", cls=Command)
def classify_evaluate(
    model: Path = typer.Argument(..., metavar="MODEL", help="A classifier model directory."),
    data: Path = typer.Argument(..., metavar="DATA", help="Labelled cases laid out as the training data."),
    label: Optional[str] = typer.Option(None, help="The class column (default: the training data's)."),
    plot: Optional[Path] = typer.Option(None, help="Write the confusion matrix as a PNG (default: none)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    text: Optional[str] = typer.Option(None, help="A table's text column, for a text model that saved none (trained from Python "
                                       "or a folder; default: the training file's)."),
    unknown: Optional[str] = typer.Option(None, help="Character-level texts: error (default): a character never seen in training "
                                          "is an error naming it; drop: leave such characters out."),
):
    """Accuracy, macro-F1 and the confusion matrix on labelled cases."""
    from .data.labeled_files import no_labels_fix
    from .models.classify_eval import confusion_text, length_note, plot_confusion, report, unseen_note

    check_plot(plot, model, (data,))
    clf = _load(model, unknown)
    X, y = clf.read_cases(data, label, text=text)
    if y is None:
        raise LstmkitError(f"{data} holds no labels; {no_labels_fix(data)}")
    r = report(clf, X, y)
    note = length_note(clf, X)
    if note:
        _say(note)
    if unseen_note(r):
        _say(unseen_note(r))
    if as_json:
        emit(json_text(r, default=str))
    else:
        emit(f"accuracy {r['accuracy']:.4f}, macro-F1 {r['macro_f1']:.4f} on {r['cases']} cases\n\n" + confusion_text(r) + "\n")
    if plot:
        plot_confusion(plot, r)
        _say(f"confusion matrix drawn to {plot}")



def _number_or_word(text: str, cast):
    """A CLI value as the estimator takes it: ``cast`` of it where it reads as one (--pool 2, --weight-decay 0.1),
    else the lower-cased word (auto); the estimator checks either."""
    text = text.strip().lower()
    try:
        return cast(text)
    except ValueError:
        return text
