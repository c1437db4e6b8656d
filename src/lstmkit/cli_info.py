"""``lstmkit info``: one table per task (or the JSON with ``--json``)."""
from __future__ import annotations

import sys
from pathlib import Path

from .cli_common import emit, json_text


def classify_info(model: Path, i: dict, as_json: bool) -> None:
    if as_json:
        emit(json_text(i, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    net, s, p = i["net"], i["summary"], i["classify"]
    t = Table(title=str(model), show_header=False)
    t.add_column("key")
    t.add_column("value")
    t.add_row("task", "classify")
    t.add_row("cases", f"{i['kind']} sequences" + (f", {i['level']} level" if i["kind"] == "text" else f", {i['channels']} channel(s)"
                                                 + (" and their first differences" if i.get("derivatives") else "")
                                                 + (f", each {i['pool']} time points averaged into one" if i.get("pool", 1) > 1 else "")))
    t.add_row("classes", f"{len(i['classes'])}: {', '.join(map(str, i['classes'][:12]))}{' ...' if len(i['classes']) > 12 else ''}")
    t.add_row("network", f"{net['arch']}, {net['layers']}x{net['hidden']} units, dropout {net['dropout']}"
              + (f", filters {net['filters']}" if net["arch"] in ("lstm-fcn", "cnn-lstm") else "")
              + (f"; an ensemble of {net['members']}" if net.get("members", 1) > 1 else "")
              + (f"; window slicing: trained on {net['crop']:.0%} of each case, predicting from the mean of {net['crop_views']}"
                 if net.get("crop") else ""))
    t.add_row("parameters", f"{s.get('parameters', '?'):,}" if isinstance(s.get("parameters"), int) else "?")
    if "val_acc" in s:
        t.add_row("validation", f"accuracy {s['val_acc']:.3f}, mean loss {s['val_loss']:.4f} on {s['val_cases']} held-out cases, "
                  f"best steps {', '.join(map(str, s.get('best_steps', [])))}")
    decay = f", AdamW weight decay {s['weight_decay']:g}" if s.get("weight_decay") else ""
    # the training options that change the model beyond its shape, where they are not the defaults
    extra = [f"{k.replace('_', ' ')} {p[k]}" for k in ("shuffle", "pool_extremes", "slicing") if p.get(k) not in (None, "off")]
    extra += [f"class weight {p['class_weight']}"] if p.get("class_weight") else []
    extra += ["no early stopping"] if p.get("early_stopping") is False else []
    t.add_row("trained", f"{s.get('cases', '?')} cases, batch {s.get('batch', '?')}, learning rate {p.get('lr', '?'):g}{decay}"
              f"{''.join(', ' + e for e in extra)}, {s.get('fit_s', '?')} s, seed {p.get('seed')}")
    Console().print(t)


def forecast_info(model: Path, i: dict, as_json: bool) -> None:
    if as_json:
        emit(json_text(i, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    f, net, sp, s = i["forecast"], i["net"], i["spec"], i["summary"]
    t = Table(title=str(model), show_header=False)
    t.add_column("key")
    t.add_column("value")
    t.add_row("task", "forecast")
    t.add_row("series", f"{i['series']} ({i['freq'] or 'no time column'}), target {i['columns']['target']!r}"
              + (f", id {i['columns']['id']!r}" if i["columns"]["id"] else ""))
    cols = i["columns"]
    if cols.get("known") or cols.get("past"):  # predict needs the known ones' future values (--future)
        t.add_row("covariates", "; ".join(part for part in (
            f"known in the future: {', '.join(map(repr, cols['known']))} (predict needs their values ahead: --future)" if cols.get("known") else "",
            f"past only: {', '.join(map(repr, cols['past']))}" if cols.get("past") else "") if part))
    t.add_row("horizon", f"{f['horizon']} ({f['strategy']}), look-back {sp['lookback']}, season {sp['season']}, levels {f['levels']}")
    t.add_row("network", f"{net['cell']} {net['layers']}x{net['hidden']}, dropout {net['dropout']}, ensemble of {net['members']}")
    t.add_row("parameters", f"{i['parameters']:,}")
    chosen = i.get("chosen") or {}
    kinds = ", ".join(f"{k} ({n} of {i['series']})" for k, n in chosen.get("transforms", {}).items())
    transform = f"auto: {kinds}" if f["transform"] == "auto" and kinds else f["transform"]
    scale = f"auto: {chosen['scale']}" if f["scale"] == "auto" and chosen.get("scale") else f["scale"]
    t.add_row("preparation", f"transform {transform}, difference {f['difference']}, scale {scale}, "
              f"seasonal adjustment {f.get('deseason', 'none')} ({s.get('deseasoned', 0)} of {i['series']} adjusted)"
              f"{', window level removed' if f['normalize'] else ''}{' and given as an input' if sp.get('level_input') else ''}"
              f"{', calendar' if f['calendar'] else ''}")
    if s:
        t.add_row("trained", f"{s.get('windows', '?')} windows, {s.get('fit_s', '?')} s, steps chosen {s.get('steps_chosen') or '-'}, "
                  f"interval scale {s.get('interval_scale')}")
    Console().print(t)


def _table(model: Path, rows: list[tuple[str, str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=str(model), show_header=False)
    t.add_column("key")
    t.add_column("value")
    for k, v in rows:
        t.add_row(k, v)
    Console().print(t)


def seq2seq_info(model: Path, i: dict, as_json: bool) -> None:
    if as_json:
        emit(json_text(i, default=str, ensure_ascii=False))
        return
    net, s, c = i["net"], i["summary"], i["seq2seq"]
    rows = [("task", "seq2seq"),
            ("symbols", f"source {c['source_level']} level, {i['source_symbols']} symbols -> target {c['target_level']} level, "
                        f"{i['target_symbols']} symbols; outputs up to {c['max_target']}"),
            ("network", f"{'bidirectional ' if net['bidirectional'] else ''}{net['cell']} encoder, {net['layers']}x{net['hidden']} decoder, "
                        f"embed {net['embed']}, {net['attention']} attention, dropout {net['dropout']}"),
            ("parameters", f"{i['parameters']:,}")]
    if "val" in s:
        rows.append(("validation", f"exact match {s['val']['exact_match']:.4f} (greedy) on {s['val']['pairs']:,} held-out pairs"))
    if "steps" in s:
        rows.append(("trained", f"{s.get('pairs', '?'):,} pairs, {s['steps']:,} steps, {s.get('elapsed_s', '?')} s, stopped by {s.get('stop_reason') or '?'}"))
    _table(model, rows)


def mlp_info(model: Path, i: dict, as_json: bool) -> None:
    if as_json:
        emit(json_text(i, default=str))
        return
    s = i["summary"]
    rows = [("task", "mlp"), ("network", " -> ".join(map(str, i["layers"])) + f" ({i['activation']})"),
            ("features", ", ".join(i["features"])),
            ("classes", ", ".join(map(str, i["classes"])) + (f" (column {i['label']!r})" if i.get("label") else "")),
            ("parameters", f"{i['parameters']:,}")]
    if "val_acc" in s:
        rows.append(("validation", f"accuracy {s['val_acc']:.3f} on {s['val_cases']} held-out rows"))
    if "test_acc" in s:
        rows.append(("test", f"accuracy {s['test_acc']:.3f} on {s['test_cases']} rows held out from training"))
    rows.append(("trained", f"{s.get('rows', '?')} rows, {s.get('steps', '?')} steps, {s.get('fit_s', '?')} s"))
    _table(model, rows)


def text_info(model: Path, i: dict, as_json: bool) -> None:
    """A text model: its level, network, batches, optimizer, training and evaluations."""
    from .models.text_watch import saved_number, sizing_line

    if as_json:
        emit(json_text({"task": "text", **i}))  # as every task's JSON names its task
        return
    from rich.console import Console
    from rich.table import Table

    c = Console()
    t = Table(title=str(model), show_header=False)
    t.add_column("key")
    t.add_column("value")
    net, data, s = i["net"], i["data"], i["summary"]
    t.add_row("level / vocabulary", f"{i['level']} / {i['vocab_size']} symbols")
    t.add_row("network", f"{str(net['members']) + ' x ' if net.get('members', 1) > 1 else ''}{net['cell']} {net['layers']}x{net['hidden']}, embed {net['embed']}"
              f"{', one-hot' if net['one_hot'] else ''}{', tied' if net['tie_weights'] else ''}, dropout {net['dropout']}")
    t.add_row("parameters", f"{i['parameters']:,}")
    t.add_row("batches", f"windows of {data['windows']}, stride {data['stride']}" if data["windows"]
              else f"{data['batch_size']} streams x {data['bptt']} steps (truncated BPTT)")
    tr = i["train"]
    t.add_row("optimizer", f"{tr['optimizer']} lr {tr['lr']} ({tr['schedule']}), clip {tr['clip']}, seed {tr['seed']}")
    if isinstance(s.get("plan"), str):
        t.add_row("plan", s["plan"])
    if s.get("sizing"):
        t.add_row("fitted to the budget", sizing_line(net, data, s["sizing"]).removeprefix("network fitted to the budget: "))
    if s:
        t.add_row("trained", f"{s.get('steps', '?')} steps, {s.get('elapsed_s', '?')}s, {s.get('symbols_per_s', '?')} symbols/s on "
                  f"{s.get('device', '?')} ({s.get('precision', '?')}), stopped by {s.get('stop_reason') or '?'}")
        t.add_row("data", f"{s.get('train_symbols', '?')} training / {s.get('val_symbols', '?')} validation symbols")
        b = s.get("best_eval") or {}
        if b.get("val_loss") is not None:
            t.add_row("best validation", f"loss {saved_number(b.get('val_loss'), '.4f')}, {saved_number(b.get('val_bits_per_char'), '.3f')} bits/char, "
                      f"accuracy {saved_number(b.get('val_acc'), '.3f')} at step {b.get('step', '?')}")
    c.print(t)
    if i["history"]:
        h = Table(title="evaluations")
        for col in ("step", "elapsed s", "lr", "train loss", "val loss", "val acc"):
            h.add_column(col, justify="right")
        for r in (r for r in i["history"] if "event" not in r):
            h.add_row(str(r["step"]), saved_number(r.get("elapsed"), ".0f"), saved_number(r.get("lr"), ".2e"), saved_number(r.get("train_loss"), ".4f"),
                      saved_number(r.get("val_loss"), ".4f"), saved_number(r.get("val_acc"), ".3f"))
        c.print(h)
    if i.get("skipped_metrics_lines"):
        print(f"note: {i['skipped_metrics_lines']} unreadable line(s) of {model}/metrics.jsonl skipped", file=sys.stderr)
