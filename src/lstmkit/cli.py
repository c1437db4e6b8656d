"""The ``lstmkit`` command: a thin table of commands over the Python API.

Every user error is one line on stderr and a non-zero exit code; nothing here holds logic of its own.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from .cli_classify import classify_app
from .cli_common import Command as _Command
from .cli_common import emit as _emit
from .cli_data import data_app
from .cli_forecast import forecast_app
from .cli_info import classify_info, forecast_info, mlp_info, seq2seq_info, text_info
from .cli_mlp import mlp_app
from .cli_process import EXIT_INTERRUPTED, EXIT_TERMINATED, run
from .cli_seq2seq import seq2seq_app
from .errors import LstmkitError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Turn any sequence into a trained LSTM: train on text, generate, evaluate, inspect.")
app.add_typer(data_app, name="data")
app.add_typer(forecast_app, name="forecast")
app.add_typer(classify_app, name="classify")
app.add_typer(seq2seq_app, name="seq2seq")
app.add_typer(mlp_app, name="mlp")



# ---------------------------------------------------------------------------- train
@app.command(cls=_Command)
def train(
    text: List[str] = typer.Argument(None, metavar="TEXT", help="Text files, directories, or - for stdin (default: the --corpus)."),
    out: Path = typer.Option(..., "--out", "-o", help="Directory for the model, metrics and checkpoints."),
    recipe: Optional[str] = typer.Option(None, help="Start from a named recipe ('lstmkit recipes'); other options override it (default: none)."),
    corpus: Optional[str] = typer.Option(None, help="Corpus when no TEXT is given: docs (built in, default), grimm, shakespeare."),
    level: Optional[str] = typer.Option(None, help="Symbols: char (default), word or bpe."),
    minutes: Optional[float] = typer.Option(None, help="Budget in wall-clock minutes (default 5 when no budget is given)."),
    epochs: Optional[float] = typer.Option(None, help="Budget in passes over the training text (default: --minutes)."),
    steps: Optional[int] = typer.Option(None, help="Budget in optimizer steps (default: --minutes)."),
    hidden: Optional[int] = typer.Option(None, help="Units per recurrent layer (char level default: the widest the budget feeds on this machine, 64-1024)."),
    layers: Optional[int] = typer.Option(None, help="Stacked recurrent layers (char level default: 1 below 15 minutes, 2 from there or for an --epochs or --steps budget; words and BPE the same)."),
    embed: Optional[int] = typer.Option(None, help="Embedding width (default 64 at the char level, 256 at the word and BPE levels)."),
    dropout: Optional[float] = typer.Option(None, help="Dropout between layers and before the output (default: none up to 3 passes over the text, then 0.15 more per doubling of the passes for one layer, 0.1 for a stack, at most 0.5)."),
    cell: Optional[str] = typer.Option(None, help="Recurrent cell: lstm (default) or gru."),
    tie_weights: Optional[bool] = typer.Option(None, "--tie-weights/--no-tie-weights", help="Share embedding and output weights (needs --embed = --hidden; default: no)."),
    one_hot: Optional[bool] = typer.Option(None, "--one-hot/--no-one-hot", help="One-hot input instead of an embedding, as the KNIME Grimm tutorial's network (default: no)."),
    index_input: Optional[bool] = typer.Option(None, "--index-input/--no-index-input", help="Feed each symbol's index as a number, as the Aesop word tutorial's network (default: no)."),
    members: Optional[int] = typer.Option(None, help="Networks trained side by side, their predictions averaged (default: 1; a run under 15 minutes that buys 12 or more passes over the text gets one per 6 passes, at most 3)."),
    batch_size: Optional[int] = typer.Option(None, help="Streams (or windows) per batch (char level default: about 4,000 updates over a minutes or epochs budget, 16-128; 32 otherwise)."),
    bptt: Optional[int] = typer.Option(None, help="Time steps per batch, truncated BPTT (default 64 at the char level below 15 minutes, 128 from there; 32 at the word and BPE levels)."),
    windows: Optional[int] = typer.Option(None, help="Train on overlapping windows of this length predicting the next symbol, many-to-one (default: off, contiguous streams)."),
    stride: Optional[int] = typer.Option(None, help="Step between windows (with --windows; default 1)."),
    val_fraction: Optional[float] = typer.Option(None, help="Share of the text held out for validation (default 10 %; at the char level 16,384 characters, 2-10 %)."),
    val_blocks: Optional[int] = typer.Option(None, help="Hold it out as this many evenly spaced pieces (default 8, so the end of the text is trained on); 1 holds out the tail."),
    max_vocab: Optional[int] = typer.Option(None, help="Word level: keep the most frequent words only (default: all)."),
    min_freq: Optional[int] = typer.Option(None, help="Word level: drop words seen fewer times (default 1)."),
    lowercase: Optional[bool] = typer.Option(None, "--lowercase/--no-lowercase", help="Word level: lowercase the text first (default: no)."),
    vocab_size: Optional[int] = typer.Option(None, help="BPE level: vocabulary size (default 2000)."),
    optimizer: Optional[str] = typer.Option(None, help="adam (default), adamw, rmsprop or sgd."),
    lr: Optional[float] = typer.Option(None, help="Peak learning rate (default 6e-3 at the char level below 15 minutes, 3e-3 otherwise; a recipe sets its own)."),
    weight_decay: Optional[float] = typer.Option(None, help="Weight decay (default 0)."),
    beta2: Optional[float] = typer.Option(None, help="Adam/AdamW second-moment decay (default 0.999)."),
    clip: Optional[float] = typer.Option(None, help="Gradient-norm clipping (default 1.0; 0 = off)."),
    schedule: Optional[str] = typer.Option(None, help="Learning-rate schedule over the budget: cosine (default), linear, constant."),
    warmup: Optional[float] = typer.Option(None, help="Warm-up as a fraction of the budget (default 0.02)."),
    min_lr_ratio: Optional[float] = typer.Option(None, help="Final learning rate as a fraction of --lr (default 0.02)."),
    patience: Optional[int] = typer.Option(None, help="A plateau: this many evaluations without improvement; it stops the run (0 = never; default 2 when the budget buys more than 3 passes over the text, else 0)."),
    anneal: Optional[int] = typer.Option(None, help="Meet a plateau this many times by going back to the best weights at a quarter of the learning rate before stopping (default 2 with the data-limited patience, else 0)."),
    average: Optional[float] = typer.Option(None, help="Evaluate and save a moving average of the weights with this decay per step, e.g. 0.999 (default: 0.999 for a --minutes budget under 15 that buys more than 3 passes over the text, else off; 0 turns it off)."),
    evals: Optional[int] = typer.Option(None, help="Evaluations spread over the budget (default 10)."),
    eval_every: Optional[int] = typer.Option(None, help="Evaluate every N steps instead (default: off, --evals applies)."),
    seed: Optional[int] = typer.Option(None, help="Random seed: with --steps or --epochs, the same seed gives the same model on the CPU (--minutes depends on the clock; default 0, and a resumed run keeps its own)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run saved in --out; a larger budget (--minutes 10: ten minutes in all) extends it."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a model already in --out (refused otherwise); the old files stay until the new run's first save."),
    device: Optional[str] = typer.Option(None, help="auto (default), cpu, cuda or mps."),
    precision: Optional[str] = typer.Option(None, help="auto (default), fp32, bf16 or fp16."),
    encoding: str = typer.Option("utf-8", help="Encoding of the text files."),
    keep_boilerplate: bool = typer.Option(False, "--keep-boilerplate", help="Keep Project Gutenberg licence text (removed by default)."),
    val_file: Optional[Path] = typer.Option(None, help="Validate on this text instead of holding part of TEXT out (default: none; --val-fraction applies)."),
    sample: int = typer.Option(300, help="Symbols to generate when training ends: characters, words or BPE tokens by --level (0 = none)."),
    sample_every: int = typer.Option(0, help="Print a sample every N evaluations while training (0 = only at the end)."),
    sample_prompt: str = typer.Option("", help="Text the samples start from; \\n stands for a line break (default: the start of a paragraph)."),
    sample_temperature: List[float] = typer.Option([0.8], help="Sampling temperature of the samples; repeat it for several side by side."),
    sample_length: int = typer.Option(200, help="Symbols in each sample printed during training."),
    keep_checkpoints: int = typer.Option(0, help="Keep the models of the last K evaluations in --out/checkpoints/, named by step and validation loss (0 = none)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar (the plan, samples and plateaus still print)."),
):
    """Train a model on text and save it to --out (then print a sample)."""
    from .models.text import TextModel

    given = dict(level=level, minutes=minutes, epochs=epochs, steps=steps, hidden=hidden, layers=layers, embed=embed,
                 dropout=dropout, cell=cell, tie_weights=tie_weights, one_hot=one_hot, index_input=index_input, members=members,
                 batch_size=batch_size, bptt=bptt, windows=windows, stride=stride, val_fraction=val_fraction, val_blocks=val_blocks,
                 max_vocab=max_vocab, min_freq=min_freq, lowercase=lowercase, vocab_size=vocab_size, optimizer=optimizer,
                 lr=lr, weight_decay=weight_decay, beta2=beta2, clip=clip, schedule=schedule, warmup=warmup, min_lr_ratio=min_lr_ratio, patience=patience, anneal=anneal,
                 average=average, evals=evals, eval_every=eval_every, device=device, precision=precision, corpus=corpus)
    given = {k: v for k, v in given.items() if v is not None}
    if text and corpus:
        raise LstmkitError(f"pass either TEXT files or --corpus {corpus}, not both")
    if recipe is not None:  # a bad name is the one line, before the line naming the corpus
        from .recipes import get_recipe

        get_recipe(recipe)
    if corpus is not None:
        from .data.corpora import corpus_named

        corpus_named(corpus)
    if not text:
        from .recipes import RECIPES

        name = given.get("corpus") or (RECIPES[recipe].options.get("corpus") if recipe in RECIPES else None) or "docs"
        typer.echo(f"training on the corpus {name!r} (pass files to train on your own text)", err=True)
    prompt = sample_prompt.replace("\\n", "\n").replace("\\t", "\t")
    lm = TextModel.train(text or None, out=out, recipe=recipe, seed=seed, resume=resume, overwrite=overwrite, progress=not quiet,
                         notes=True, encoding=encoding, keep_boilerplate=keep_boilerplate, val_file=val_file,
                         sample_every=sample_every, sample_prompt=prompt, sample_temperature=sample_temperature,
                         sample_length=sample_length, keep_checkpoints=keep_checkpoints, **given)
    if getattr(lm, "stop_reason", "") == "budget spent":  # the fit said so, in its notes
        return
    s = lm.summary
    best = s.get("best_eval", {})
    if s.get("val"):
        v = s["val"]
        typer.echo(f"validation ({v['symbols']} symbols): loss {v['loss']:.4f} nats/symbol, {v['bits_per_char']:.3f} bits/char, "
                   f"accuracy {v['accuracy']:.3f}", err=True)
    elif best.get("val_loss") is not None:
        typer.echo(f"best validation: loss {best['val_loss']:.4f} nats/symbol, {best['val_bits_per_char']:.3f} bits/char, "
                   f"accuracy {best['val_acc']:.3f} (step {best['step']})", err=True)
    typer.echo(f"{s.get('steps', 0)} steps in {s.get('elapsed_s', 0):.0f}s at {s.get('symbols_per_s', 0):.0f} symbols/s "
               f"on {s.get('device')} ({s.get('precision')}); model saved to {out}", err=True)
    if s.get("anneals") or s.get("stop_reason") == "early stop":
        typer.echo(f"{s.get('anneals', 0)} plateau(s) met at a lower learning rate"
                   + ("; stopped early at the next one" if s.get("stop_reason") == "early stop" else "")
                   + f"; the saved model is the best evaluation's (step {best.get('step', '?')})", err=True)
    if lm.stop_reason.startswith("interrupted"):
        typer.echo(f"{lm.stop_reason}: saved; continue with: lstmkit train ... --out {out} --resume", err=True)
        raise typer.Exit(EXIT_TERMINATED if "SIGTERM" in lm.stop_reason else EXIT_INTERRUPTED)
    if sample > 0:
        typer.echo(f"--- sample (temperature {sample_temperature[0]:g}) ---", err=True)
        _emit(lm.generate(prompt, sample, temperature=sample_temperature[0], seed=lm.train_config.seed) + "\n")


@app.command(cls=_Command)
def recipes(as_json: bool = typer.Option(False, "--json", help="Print JSON.")):
    """List the named recipes: the networks of the tutorials lstmkit reproduces, and where each comes from."""
    from .recipes import RECIPES

    if as_json:
        _emit(json.dumps([{"name": r.name, "tutorial": r.seed, "summary": r.summary, "options": r.options} for r in RECIPES.values()],
                         indent=2, default=str) + "\n")
        return
    for r in RECIPES.values():
        opts = " ".join(f"--{k.replace('_', '-')} {v}" if not isinstance(v, bool) else f"--{k.replace('_', '-')}"
                        for k, v in r.options.items() if v is not False)
        _emit(f"{r.name}  (from the tutorial {r.seed})\n  {r.summary}\n  = {opts}\n\n")


# ---------------------------------------------------------------------------- generate
@app.command(cls=_Command)
def generate(
    model: Path = typer.Argument(..., metavar="MODEL", help="A model directory written by 'lstmkit train'."),
    prime: str = typer.Option("", "--prime", "-p", help="Text to start from (fed once); \\n and \\t stand for a line break and a tab."),
    length: int = typer.Option(500, "--length", "-n", help="Symbols to generate: characters, words or BPE tokens, by the model's level."),
    temperature: float = typer.Option(1.0, help="Sampling temperature, > 0 (lower is safer; --greedy for always the most likely)."),
    top_k: int = typer.Option(0, help="Sample among the k most likely symbols (0 = all)."),
    top_p: float = typer.Option(1.0, help="Nucleus sampling threshold (1.0 = off)."),
    greedy: bool = typer.Option(False, "--greedy", help="Always take the most likely symbol."),
    seed: Optional[int] = typer.Option(None, help="Random seed for reproducible samples (default: a fresh one each time)."),
    num_samples: int = typer.Option(1, help="Samples, generated together as one batch."),
    stop: Optional[str] = typer.Option(None, help="End a sample when this string appears (default: none)."),
):
    """Generate text from a trained model, streaming it as it is produced."""
    from .models.text import TextModel

    if length < 0:
        raise LstmkitError(f"--length {length} is negative; pass a length of 0 or more")
    lm = TextModel.load(model)
    prime = prime.replace("\\n", "\n").replace("\\t", "\t")  # let shells pass line breaks as \n
    unknown = lm.unknown_words(prime)
    if unknown:
        typer.echo(f"note: not in the vocabulary, read as <unk>: {', '.join(unknown[:10])}", err=True)
    pieces = lm.stream(prime, length, temperature=temperature, top_k=top_k, top_p=top_p, greedy=greedy,
                       num_samples=num_samples, seed=seed, stop=stop)
    if num_samples == 1:
        _emit(prime)
        for _, piece in pieces:
            _emit(piece)
        _emit("\n")
        return
    outs = [prime] * num_samples
    for s, piece in pieces:
        outs[s] += piece
    for i, o in enumerate(outs):
        _emit(f"--- sample {i + 1} ---\n{o}\n")


# ---------------------------------------------------------------------------- evaluate / info
@app.command(cls=_Command)
def evaluate(
    model: Path = typer.Argument(..., metavar="MODEL", help="A model directory."),
    text: List[str] = typer.Argument(..., metavar="TEXT", help="Text files or directories to score, e.g. a held-out file."),
    encoding: str = typer.Option("utf-8", help="Encoding of the text files."),
    keep_boilerplate: bool = typer.Option(False, "--keep-boilerplate", help="Keep Project Gutenberg licence text (removed by default)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    unknown: str = typer.Option("error", help="Characters a character-level model never saw: error (default) names them; "
                                "drop leaves them out of the text scored."),
):
    """Score a text: loss (nats/symbol), perplexity, bits per symbol and per character, accuracy."""
    from .models.text import TextModel

    lm = TextModel.load(model)
    m = lm.evaluate(text, encoding=encoding, keep_boilerplate=keep_boilerplate, unknown=unknown)
    for line in _scored_notes(m, lm.tokenizer.level):
        typer.echo(line, err=True)
    if as_json:
        _emit(json.dumps(m, indent=2) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"{model} ({lm.tokenizer.level} level) on {', '.join(text)}")
    t.add_column("metric")
    t.add_column("value", justify="right")
    for k in ("loss", "perplexity", "bits_per_symbol", "bits_per_char", "accuracy"):
        t.add_row(k, f"{m[k]:.4f}")
    t.add_row("symbols / chars", f"{m['symbols']} / {m['chars']}")
    Console().print(t)


def _scored_notes(m: dict, level: str) -> list[str]:
    """What ``evaluate`` scored, when it is not simply the text as given."""
    notes = [f"scored {m['chars']:,} characters ({m['symbols']:,} predictions of {level}-level symbols)"]
    if m["boilerplate_chars"]:
        notes[0] += (f": {m['boilerplate_chars']:,} of the {m['chars_read']:,} characters read were Project Gutenberg "
                     f"licence text and were removed (pass --keep-boilerplate to score them too)")
    if m.get("dropped_chars"):
        notes.append(f"{m['dropped_chars']:,} characters the model never saw were left out (--unknown drop)")
    if m["unknown"]:
        notes.append(f"{m['unknown']:,} of the {level}s ({100 * m['unknown_share']:.1f} %) are not in the model's "
                     f"vocabulary and were scored as <unk>")
    return notes


@app.command(cls=_Command)
def info(model: Path = typer.Argument(..., metavar="MODEL", help="A model directory."),
         as_json: bool = typer.Option(False, "--json", help="Print JSON.")):
    """Show a model's task, config, parameter count and training history (every task)."""
    from . import load

    i = load(model).info()
    show = {"forecast": forecast_info, "classify": classify_info, "seq2seq": seq2seq_info, "mlp": mlp_info}.get(i.get("task"), text_info)
    show(model, i, as_json)


@app.command(cls=_Command)
def models(as_json: bool = typer.Option(False, "--json", help="Print JSON.")):
    """List the network shapes: what each is, the tasks it serves, the tutorial it comes from."""
    from rich.console import Console
    from rich.table import Table

    from .models.classify import SequenceClassifier
    from .models.classify_net import ARCHS

    default = SequenceClassifier().model  # the classifier's own default, so that the listing cannot disagree with it
    rows = [(name, a.description, a.tasks, a.seed) for name, a in ARCHS.items()]
    rows += [("encoder-decoder", "an LSTM encoder (bidirectional) and an LSTM decoder with Luong or Bahdanau attention "
              "(--attention); greedy or beam decoding", "seq2seq", "LSTM model types (encoder-decoder LSTM), LSTM and RNN concepts (translation)"),
             ("mlp", "a multilayer perceptron for rows of numbers (4-8-3 on iris)", "mlp", "LSTM and RNN concepts (the iris network)")]
    if as_json:
        _emit(json.dumps([{"name": n, "default": n == default, "description": d, "tasks": t, "tutorial": tut}
                          for n, d, t, tut in rows], indent=2) + "\n")
        return
    t = Table(title="lstmkit models (classify: pass one as --model; the others are their task's network)")
    for col in ("name", "what it is", "tasks", "tutorial"):
        t.add_column(col)
    for name, *rest in rows:
        t.add_row(name + (" (default)" if name == default else ""), *rest)
    Console(width=160).print(t)


def main() -> None:
    """Console entry point: run the app (``cli_process.run``: errors as one line and an exit code)."""
    run(app)


if __name__ == "__main__":
    main()
