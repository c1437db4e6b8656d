"""``lstmkit seq2seq ...``: train, translate, evaluate and write demo pairs, a thin table over ``Seq2Seq``."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from .cli_common import Command, check_out, emit, load_as, write_or_emit
from .errors import LstmkitError

seq2seq_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                          help="Sequence to sequence: pairs of sequences in, an encoder-decoder LSTM with attention out.")

PAIRS_HELP = "A tab-separated file, one SOURCE<TAB>TARGET pair per line (UTF-8), or a CSV/Parquet/JSONL table of two columns."
DEMO_HELP = "addition ('123+456' -> '579'), dates ('March 5, 2021' -> '2021-03-05') or phrases (German -> English)"


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _check_beam(beam: int) -> None:
    if beam < 1:
        raise LstmkitError(f"--beam {beam} must be at least 1 (1 is greedy decoding)")


@seq2seq_app.command("train", cls=Command)
def seq2seq_train(
    pairs: Optional[Path] = typer.Argument(None, metavar="PAIRS", help=PAIRS_HELP + " (or --demo)"),
    out: Path = typer.Option(..., "--out", "-o", help="Directory for the model, metrics and checkpoints."),
    demo: Optional[str] = typer.Option(None, help="Train on built-in pairs instead: " + DEMO_HELP + " (default: none)."),
    reverse: bool = typer.Option(False, "--reverse", help="Swap the columns: learn TARGET -> SOURCE."),
    source_level: Optional[str] = typer.Option(None, help="Source symbols: char or word (default char; word for --demo phrases)."),
    target_level: Optional[str] = typer.Option(None, help="Target symbols: char or word (default char; word for --demo phrases)."),
    lowercase: bool = typer.Option(False, "--lowercase", help="Word level: lowercase both sides first."),
    hidden: Optional[int] = typer.Option(None, help="Decoder units; a bidirectional encoder gives each direction half (default 256)."),
    layers: Optional[int] = typer.Option(None, help="Recurrent layers on each side (default 1)."),
    embed: Optional[int] = typer.Option(None, help="Embedding width of both sides (default 64)."),
    dropout: Optional[float] = typer.Option(None, help="Dropout on embeddings, between layers and before the output (default 0.1)."),
    attention: Optional[str] = typer.Option(None, help="luong (default), bahdanau or none (the LSTM model types tutorial's plain encoder-decoder)."),
    bidirectional: Optional[bool] = typer.Option(None, "--bidirectional/--unidirectional", help="Read the source both ways (default: yes)."),
    minutes: Optional[float] = typer.Option(None, help="Wall-clock budget (default 5 minutes when no budget is given; it stops earlier when validation stalls)."),
    steps: Optional[int] = typer.Option(None, help="Budget in optimizer steps (default: --minutes)."),
    epochs: Optional[float] = typer.Option(None, help="Budget in passes over the pairs (default: --minutes)."),
    batch_size: Optional[int] = typer.Option(None, help="Pairs per step (default 64; a resumed run keeps its own)."),
    lr: Optional[float] = typer.Option(None, help="Adam's peak learning rate (default 3e-3; a resumed run keeps its own)."),
    val_fraction: Optional[float] = typer.Option(None, help="Share of the pairs held out for validation, at most 2,000 pairs (default 0.05; a resumed run keeps its own)."),
    count: Optional[int] = typer.Option(None, help="With --demo addition or dates: pairs to generate (default 50,000 and 20,000)."),
    beam: int = typer.Option(4, help="Beam width for the final report on the held-out pairs (default 4)."),
    seed: Optional[int] = typer.Option(None, help="Random seed: with --steps or --epochs the same seed gives the same model on the CPU (default 0; a resumed run keeps its own)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run saved in --out; a larger budget extends it."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace a model already in --out (the old files stay until the new run's first save)."),
    encoding: str = typer.Option("utf-8", help="Encoding of PAIRS (default utf-8)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
):
    """Train an encoder-decoder on pairs; print the held-out exact match, greedy and beam, and save it."""
    from .data.pair_demos import demo_pairs
    from .data.pairs import read_pairs
    from .models.seq2seq import Seq2Seq

    _check_beam(beam)
    if demo is not None and pairs is not None:
        raise LstmkitError("pass PAIRS or --demo, not both")
    if demo is not None:
        # a resumed run's pairs are generated again from its own seed, so that it goes on with the same data
        data = demo_pairs(demo, count, _saved_seed(out) if resume and seed is None else (seed or 0))
    elif pairs is None:
        raise LstmkitError("pass a PAIRS file, or --demo addition|dates|phrases")
    else:
        if count is not None:
            raise LstmkitError("--count applies to --demo addition or dates, not to a PAIRS file")
        data = read_pairs(pairs, encoding)
    if reverse:  # the model keeps it, so that evaluate and translate --file read files as training did
        data = [(t, s) for s, t in data]
    words = "word" if demo == "phrases" else None  # None: the model's default, char
    shape = {k: v for k, v in dict(hidden=hidden, layers=layers, embed=embed, dropout=dropout, attention=attention,
                                   bidirectional=bidirectional).items() if v is not None}
    model = Seq2Seq(source_level or words, target_level or words, lowercase=lowercase or None, seed=seed, **shape)
    model.config.reverse = reverse
    model.fit(data, minutes=minutes, steps=steps, epochs=epochs, batch_size=batch_size, lr=lr, val_fraction=val_fraction,
              out=out, resume=resume, overwrite=overwrite, progress=not quiet, notes=_say)
    s = model.summary
    if getattr(model, "stop_reason", "") == "budget spent":
        return
    if model.stop_reason.startswith("interrupted"):
        _say(f"{model.stop_reason}: saved; continue with: lstmkit seq2seq train ... --out {out} --resume")
        raise typer.Exit(143 if "SIGTERM" in model.stop_reason else 130)
    held = getattr(model, "held_out", [])
    if held:
        greedy = model.evaluate(held, beam=1)
        line = f"held-out exact match: greedy {greedy['exact_match']:.4f}"
        if beam > 1:
            wide = model.evaluate(held, beam=beam)
            line += f", beam {beam} {wide['exact_match']:.4f}"
        emit(line + f" on {len(held):,} pairs (BLEU {greedy['bleu']:.1f} greedy)\n")
    _say(f"model saved to {out} ({s.get('steps', 0):,} steps in {s.get('elapsed_s', 0):.0f} s; {s.get('stop_reason', '')})")


def _saved_seed(out: Path) -> int:
    """The seed of the run saved in ``out`` (0 when there is none to read: the resume then says why)."""
    from .errors import LstmkitError as _Error

    try:
        return _load(out).seed
    except _Error:
        return 0


def _load(path: Path):
    from .models.seq2seq import Seq2Seq

    return load_as(path, Seq2Seq, "a sequence-to-sequence model")


@seq2seq_app.command("translate", cls=Command)
def seq2seq_translate(
    model: Path = typer.Argument(..., metavar="MODEL", help="A sequence-to-sequence model directory."),
    text: Optional[str] = typer.Argument(None, metavar="TEXT", help="The source to translate (default: --file)."),
    file: Optional[Path] = typer.Option(None, "--file", "-f", help="Translate every line of this file (a pairs file: its first column, or its second for a model trained with --reverse; a table: its source column, or the first of two), or - for stdin."),
    beam: int = typer.Option(1, help="Beam width; 1 is greedy decoding (default 1)."),
    max_length: Optional[int] = typer.Option(None, help="Longest output, in target symbols (default: twice the longest training target plus 10)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the outputs here, one per line, a line break inside one as \\n (default: stdout)."),
    encoding: str = typer.Option("utf-8", help="Encoding of --file (default utf-8)."),
):
    """Translate one text, or every line of a file (batched)."""
    _check_beam(beam)
    check_out(out, model, (file,))
    m = _load(model)
    if text is None and file is None:
        raise LstmkitError("pass the TEXT to translate, or --file FILE with one source per line")
    if text is not None and file is not None:
        raise LstmkitError("pass one TEXT, or --file FILE, not both")
    if text is not None:
        write_or_emit(m.translate(text, beam=beam, max_length=max_length) + "\n", out, f"translation written to {out}")
        return
    from .data.pairs import file_sources

    lines = file_sources(file, encoding, m.config.reverse, text=sys.stdin.read() if str(file) == "-" else None)
    while lines and not lines[-1]:  # the file's last newline, and blank lines after the last source
        lines.pop()
    filled = [i for i, line in enumerate(lines) if line]
    if not filled:
        raise LstmkitError(f"{file} holds no text to translate; write one source per line")
    # a blank line gets a blank output, and a line break inside an output is written as \n, so that output line k
    # answers input line k
    outs = [""] * len(lines)
    for i, o in zip(filled, m.translate([lines[i] for i in filled], beam=beam, max_length=max_length)):
        outs[i] = o.replace("\n", "\\n")
    write_or_emit("".join(o + "\n" for o in outs), out, f"{len(filled):,} translations written to {out}")


@seq2seq_app.command("evaluate", cls=Command)
def seq2seq_evaluate(
    model: Path = typer.Argument(..., metavar="MODEL", help="A sequence-to-sequence model directory."),
    pairs: Path = typer.Argument(..., metavar="PAIRS", help=PAIRS_HELP),
    beam: int = typer.Option(1, help="Beam width; 1 is greedy decoding (default 1)."),
    encoding: str = typer.Option("utf-8", help="Encoding of PAIRS (default utf-8)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """Exact match, BLEU and chrF (sacrebleu) on reference pairs."""
    from .data.pairs import read_pairs

    _check_beam(beam)
    m = _load(model)
    data = read_pairs(pairs, encoding)
    r = m.evaluate([(t, s) for s, t in data] if m.config.reverse else data, beam=beam)
    if as_json:
        emit(json.dumps(r, indent=2, ensure_ascii=False) + "\n")
        return
    emit(f"exact match {r['exact_match']:.4f}, BLEU {r['bleu']:.2f} ({r['bleu_tokenize']} tokens), chrF {r['chrf']:.2f} "
         f"on {r['pairs']:,} pairs; {'greedy' if beam == 1 else f'beam {beam}'}, {r['pairs_per_s']:,.0f} pairs/s\n")
    if r["unknown_sources"]:
        emit(f"{r['unknown_sources']:,} sources held symbols training never saw: dropped (characters) or read as <unk> (words)\n")
    for e in r["examples"]:
        emit(f"  {e['source']}  ->  {e['output']}" + ("" if e["output"] == e["reference"] else f"   (reference: {e['reference']})") + "\n")


@seq2seq_app.command("pairs", cls=Command)
def seq2seq_pairs(
    demo: str = typer.Argument(..., metavar="DEMO", help=DEMO_HELP + "."),
    count: Optional[int] = typer.Option(None, help="Pairs to write (default: the demo's training size; phrases: all 864)."),
    seed: int = typer.Option(0, help="Random seed (default 0)."),
):
    """Write a built-in demo's pairs as a tab-separated file on stdout, to train or evaluate on."""
    from .data.pair_demos import demo_pairs

    if count is not None and count < 1:
        raise LstmkitError(f"--count {count} must be at least 1")
    emit("".join(f"{s}\t{t}\n" for s, t in demo_pairs(demo, count, seed)))
