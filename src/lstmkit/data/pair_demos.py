"""Built-in pairs for sequence to sequence, generated on the fly (no download):

* ``addition``: ``"123+456"`` -> ``"579"``, operands of up to 3 digits (the Keras "learning to add numbers" example);
* ``dates``: a date written as people write it (``"March 5, 2021"``, ``"5 March 2021"``, ``"Mar 5 2021"``,
  ``"Friday, March 5, 2021"``, ``"5.3.2021"``) -> ISO ``"2021-03-05"``;
* ``phrases``: a small German-English phrase list, every combination of a little grammar: statements,
  yes/no questions (the verb first: "Mag ich Schokolade?" -> "Do I like chocolate?") and negations,
  umlauts and ß included.

Each generator is deterministic in its seed, and ``split_demo`` keeps held-out pairs disjoint from training.

Example:
    pairs = demo_pairs("addition", 50_000, seed=0)     # [("317+62", "379"), ...]
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from ..errors import LstmkitError

DEMOS = {
    "addition": "3-digit addition, '123+456' -> '579'",
    "dates": "dates as people write them -> ISO, 'March 5, 2021' -> '2021-03-05'",
    "phrases": "a German-English phrase list, 'Mag ich Schokolade?' -> 'Do I like chocolate?'",
}
# how many pairs each demo trains on by default (phrases: all of them)
DEMO_SIZES = {"addition": 50_000, "dates": 20_000, "phrases": None}


# ---------------------------------------------------------------------------- addition
def addition_pairs(n: int, seed: int = 0, digits: int = 3) -> list[tuple[str, str]]:
    """``n`` distinct sums of two numbers below ``10 ** digits``.

    Half the operands are drawn as Keras draws them (a length of 1 to ``digits`` digits, each equally
    likely, so short numbers are well covered), half uniformly over every number (so the full-length
    operands, most of the task, get most of the pairs: 46 % of the sums add two 3-digit numbers).
    """
    rng = np.random.default_rng(seed)
    top = 10 ** digits
    if n > top * top:
        raise LstmkitError(f"there are only {top * top:,} distinct {digits}-digit sums; ask for fewer pairs")
    seen, out = set(), []
    while len(out) < n:
        by_length = rng.random() < 0.5
        a, b = (int(rng.integers(0, 10 ** int(rng.integers(1, digits + 1)) if by_length else top)) for _ in range(2))
        if (a, b) in seen:
            continue
        seen.add((a, b))
        out.append((f"{a}+{b}", str(a + b)))
    return out


# ---------------------------------------------------------------------------- dates
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
FIRST, LAST = dt.date(1000, 1, 1), dt.date(2999, 12, 31)


def write_date(d: dt.date, style: int) -> str:
    """One of five ways people write ``d``."""
    m = MONTHS[d.month - 1]
    return [f"{m} {d.day}, {d.year}", f"{d.day} {m} {d.year}", f"{m[:3]} {d.day} {d.year}",
            f"{WEEKDAYS[d.weekday()]}, {m} {d.day}, {d.year}", f"{d.day}.{d.month}.{d.year}"][style]


def date_pairs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` distinct (written date, ISO date) pairs, days from the years 1000 to 2999 in one of five styles."""
    rng = np.random.default_rng(seed)
    days = (LAST - FIRST).days + 1
    if n > days * 5:
        raise LstmkitError(f"there are only {days * 5:,} distinct written dates; ask for fewer pairs")
    seen, out = set(), []
    while len(out) < n:
        d, style = FIRST + dt.timedelta(days=int(rng.integers(days))), int(rng.integers(5))
        if (d, style) in seen:
            continue
        seen.add((d, style))
        out.append((write_date(d, style), d.isoformat()))
    return out


# ---------------------------------------------------------------------------- phrases
# subject: (German, English, the German verb endings' person, English "do" form, English third person)
_SUBJECTS = [("ich", "I", 0, "do", False), ("du", "you", 1, "do", False), ("er", "he", 2, "does", True),
             ("sie", "she", 2, "does", True), ("wir", "we", 3, "do", False), ("ihr", "you", 4, "do", False)]
# verb: German forms for ich, du, er/sie, wir, ihr; English base form and third person
_VERBS = [(("mag", "magst", "mag", "mögen", "mögt"), "like", "likes"),
          (("esse", "isst", "isst", "essen", "esst"), "eat", "eats"),
          (("trinke", "trinkst", "trinkt", "trinken", "trinkt"), "drink", "drinks"),
          (("kaufe", "kaufst", "kauft", "kaufen", "kauft"), "buy", "buys"),
          (("brauche", "brauchst", "braucht", "brauchen", "braucht"), "need", "needs")]
# object: German, English, the German negation ("kein" + ending), and the verbs it goes with
_OBJECTS = [("Schokolade", "chocolate", "keine", "like eat buy need"), ("Kaffee", "coffee", "keinen", "like drink buy need"),
            ("Tee", "tea", "keinen", "like drink buy need"), ("Milch", "milk", "keine", "like drink buy need"),
            ("Brot", "bread", "kein", "like eat buy need"), ("Käse", "cheese", "keinen", "like eat buy need"),
            ("Äpfel", "apples", "keine", "like eat buy need"), ("Wasser", "water", "kein", "like drink buy need"),
            ("Süßigkeiten", "sweets", "keine", "like eat buy need"), ("Fisch", "fish", "keinen", "like eat buy need"),
            ("Saft", "juice", "keinen", "like drink buy need"), ("Suppe", "soup", "keine", "like eat buy need")]


def phrase_pairs() -> list[tuple[str, str]]:
    """Every statement, question and negation of the grammar above: 6 subjects x their verbs x 12 objects."""
    out = []
    for de_s, en_s, person, do, third in _SUBJECTS:
        for forms, base, thirds in _VERBS:
            v = forms[person]
            for de_o, en_o, kein, verbs in _OBJECTS:
                if base not in verbs.split():
                    continue
                en_v = thirds if third else base
                cap = de_s.capitalize()
                out.append((f"{cap} {v} {de_o}", f"{en_s[0].upper() + en_s[1:]} {en_v} {en_o}"))
                out.append((f"{v.capitalize()} {de_s} {de_o}?", f"{do.capitalize()} {en_s} {base} {en_o}?"))
                out.append((f"{cap} {v} {kein} {de_o}", f"{en_s[0].upper() + en_s[1:]} {do}n't {base} {en_o}"))
    return out


# ---------------------------------------------------------------------------- choosing
def _check(name: str, n: int | None, seed: int) -> None:
    if name not in DEMOS:
        raise LstmkitError(f"unknown demo {name!r}; pass one of {', '.join(DEMOS)}")
    if n is not None and (not isinstance(n, (int, np.integer)) or n < 1):
        raise LstmkitError(f"--count {n!r} must be a whole number of at least 1")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise LstmkitError(f"--seed {seed!r} must be a whole number of 0 or more")


def demo_pairs(name: str, n: int | None = None, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` pairs of a built-in demo (default: its training size; ``phrases`` has a fixed list)."""
    _check(name, n, seed)
    if name == "phrases":
        pairs = phrase_pairs()
        return pairs if n is None else [pairs[i] for i in np.random.default_rng(seed).permutation(len(pairs))[:n]]
    n = DEMO_SIZES[name] if n is None else n
    return addition_pairs(n, seed) if name == "addition" else date_pairs(n, seed)


def split_demo(name: str, n_train: int | None = None, n_test: int = 1000, seed: int = 0) -> tuple[list, list]:
    """Training pairs and held-out pairs whose sources never occur in training (for measuring a demo)."""
    _check(name, n_train, seed)
    if name == "phrases":
        pairs = demo_pairs(name)
        order = np.random.default_rng(seed).permutation(len(pairs))
        n_test = min(n_test, len(pairs) // 5)
        return [pairs[i] for i in order[n_test:]], [pairs[i] for i in order[:n_test]]
    n_train = DEMO_SIZES[name] if n_train is None else n_train
    pairs = demo_pairs(name, n_train + n_test, seed)
    return pairs[:n_train], pairs[n_train:]
