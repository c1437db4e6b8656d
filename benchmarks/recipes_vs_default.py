"""A seed recipe against lstmkit's default on the recipe's own data: time to the same validation loss.

Both train on the same split (first 90 % of the text; the last 10 % validates). Each is scored the way it
is deployed: the recipe by its windows (the previous N symbols from a fresh state predict the next), the
default by its stream (state carried). The time axis is training time, evaluations excluded, for both.
The recipe runs for --recipe-minutes; its best validation loss is the target; the default runs until it
reaches that loss, and on to the end of --default-minutes. Writes a PNG of both curves.

    python benchmarks/recipes_vs_default.py --recipe knime-grimm [--recipe-minutes 10] [--plot docs/knime_vs_default.png]
    python benchmarks/recipes_vs_default.py --recipe aesop-words [--recipe-minutes 3]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from common import data_file, machine

import lstmkit
from lstmkit.recipes import get_recipe


def run(text: str, label: str, minutes: float, evals: int, **options) -> tuple[list, object]:
    curve: list[tuple[float, float]] = []

    def record(t) -> None:
        if "val_loss" in t.last_eval:
            curve.append((t.last_eval["train_s"], t.last_eval["val_loss"]))

    lm = lstmkit.TextModel.train(text=text, minutes=minutes, progress=False, evals=evals, seed=0,
                                 callbacks=[("on_eval", record)], **options)
    best = min(curve, key=lambda p: p[1])
    print(f"{label:8s}: best validation loss {best[1]:.4f} at {best[0]:.1f} s of training "
          f"({lm.summary['steps']} steps, {lm.summary['symbols_per_s']:.0f} symbols/s, {lm.summary['precision']})", flush=True)
    return curve, lm


def first_reaching(curve, target: float) -> float | None:
    """Training seconds at which ``curve`` first reaches ``target``, interpolated between evaluations."""
    prev = None
    for t, loss in curve:
        if loss <= target:
            if prev is None or prev[1] == loss:
                return t
            (t0, l0) = prev
            return t0 + (t - t0) * (l0 - target) / (l0 - loss)
        prev = (t, loss)
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipe", default="knime-grimm", choices=["knime-grimm", "aesop-words"])
    ap.add_argument("--data", help="text file (default ../shared/data/grimms_fairy_tales.txt)")
    ap.add_argument("--recipe-minutes", type=float, default=10.0)
    ap.add_argument("--default-minutes", type=float, default=5.0)
    ap.add_argument("--evals", type=int, default=40, help="evaluations over the recipe's budget")
    ap.add_argument("--default-evals", type=int, default=60, help="evaluations over the default's budget")
    ap.add_argument("--hidden", type=int, help="override both networks' width (for quick smoke runs)")
    ap.add_argument("--plot", help="write the two curves to this PNG")
    ap.add_argument("--json", help="write the curves to this JSON file")
    ap.add_argument("--reuse-recipe", help="take the recipe's curve from an earlier --json file of this machine instead of retraining it")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    text = lstmkit.read_text(data_file("grimms_fairy_tales.txt", args.data))
    recipe = get_recipe(args.recipe)
    opts = {k: v for k, v in recipe.options.items() if k not in ("corpus", "epochs", "steps", "minutes")}
    size = {"hidden": args.hidden} if args.hidden else {}
    opts.update(size)
    level = opts.get("level", "char")
    print(f"recipe {recipe.name} (seed {recipe.seed}) for {args.recipe_minutes} min; then lstmkit's default at level {level}")

    if args.reuse_recipe:
        saved = json.loads(Path(args.reuse_recipe).read_text())
        if saved.get("recipe") != recipe.name:
            raise SystemExit(f"error: {args.reuse_recipe} holds {saved.get('recipe')!r}, not {recipe.name!r}")
        rec_curve = [tuple(p) for p in saved["recipe_curve"]]
        print(f"{recipe.name}: curve reused from {args.reuse_recipe} ({len(rec_curve)} evaluations)")
    else:
        rec_curve, _ = run(text, recipe.name, args.recipe_minutes, args.evals, **opts)
    target = min(loss for _, loss in rec_curve)
    t_recipe = first_reaching(rec_curve, target)
    default_opts = {"level": level, **({"lowercase": True} if opts.get("lowercase") else {}), **size}
    def_curve, _ = run(text, "default", args.default_minutes, args.default_evals, **default_opts)
    t_default = first_reaching(def_curve, target)

    if t_default is None:
        print(f"the default did not reach {target:.4f} within {args.default_minutes} min")
    else:
        print(f"time to validation loss {target:.4f}: recipe {t_recipe:.1f} s, default {t_default:.1f} s "
              f"-> the default is {t_recipe / t_default:.0f}x sooner")
    if args.json:
        Path(args.json).write_text(json.dumps({"recipe": recipe.name, "target": target, "recipe_s": t_recipe,
                                               "default_s": t_default, "recipe_curve": rec_curve,
                                               "default_curve": def_curve, "machine": machine()}, indent=1))
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
        ax.plot(*zip(*rec_curve), "o-", ms=3, label=f"recipe {recipe.name} (seed {recipe.seed.split()[0]})")
        ax.plot(*zip(*def_curve), "o-", ms=3, label="lstmkit default")
        ax.axhline(target, color="gray", ls=":", lw=1)
        if t_default is not None:
            ax.annotate(f"{t_recipe / t_default:.0f}x sooner", (t_default, target), textcoords="offset points",
                        xytext=(10, 12))
        ax.set_xscale("log")
        ax.set_xlabel("training time, s (log scale; evaluations excluded)")
        ax.set_ylabel("validation loss, nats/symbol")
        ax.set_title(f"{recipe.name} vs lstmkit default, same data, same machine")
        ax.legend()
        ax.grid(alpha=0.3)
        fig.tight_layout()
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.plot)
        print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
