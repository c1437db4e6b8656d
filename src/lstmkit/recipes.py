"""Named training recipes: the tutorials' networks reproduced faithfully, for comparison and teaching.

A recipe is a set of ``TextModel.train`` arguments; anything given on the command line overrides it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import LstmkitError


@dataclass(frozen=True)
class Recipe:
    name: str
    seed: str  # the tutorial it reproduces
    summary: str
    options: dict = field(default_factory=dict)


RECIPES = {
    "knime-grimm": Recipe(
        "knime-grimm", "KNIME's \"Once upon a time\" by LSTM network",
        "one-hot characters -> LSTM 512 -> dropout -> dense softmax; windows of 100 predicting the next "
        "character (many-to-one), batch 512, shuffled, Adam with Keras defaults (lr 0.001), no clipping, 50 epochs "
        "(the tutorial does not give its dropout rate; 0.2 here)",
        dict(corpus="grimm", level="char", one_hot=True, layers=1, hidden=512, dropout=0.2, windows=100, stride=1,
             batch_size=512, optimizer="adam", lr=1e-3, clip=0.0, schedule="constant", warmup=0.0, epochs=50),
    ),
    "aesop-words": Recipe(
        "aesop-words", "LSTM by Example using TensorFlow: Aesop's fables",
        "word level (lowercased, punctuation as symbols, vocabulary by frequency); 3 symbols in, the next one "
        "out; a 512-unit LSTM fed each symbol's index as a number; one random window per step; RMSprop "
        "(lr 0.001, decay 0.9), no clipping, 50,000 iterations",
        dict(level="word", lowercase=True, windows=3, stride=1, index_input=True, layers=1, hidden=512, dropout=0.0,
             batch_size=1, optimizer="rmsprop", lr=1e-3, clip=0.0, schedule="constant", warmup=0.0, steps=50_000),
    ),
}


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``; an unknown name is an error listing the known ones."""
    if name not in RECIPES:
        raise LstmkitError(f"unknown recipe {name!r}; see 'lstmkit recipes' (known: {', '.join(RECIPES)})")
    return RECIPES[name]


def apply_recipe(name: str | None, given: dict) -> dict:
    """The recipe's options overridden by ``given`` (the values the user set explicitly).

    A budget given by the user (minutes, epochs or steps) replaces the recipe's budget.

    Example:
        apply_recipe("knime-grimm", {"minutes": 10})["windows"] == 100
    """
    if not name:
        return {k: v for k, v in given.items() if v is not None}
    opts = dict(get_recipe(name).options)
    if any(given.get(k) is not None for k in ("minutes", "epochs", "steps")):
        for k in ("minutes", "epochs", "steps"):
            opts.pop(k, None)
    opts.update({k: v for k, v in given.items() if v is not None})
    return opts
