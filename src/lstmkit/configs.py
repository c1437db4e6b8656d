"""Typed config dataclasses read back from JSON: every field's type and range checked before use.

A saved model's ``config.json`` may have been edited, corrupted or written by a stranger. Building a
network from ``{"hidden": 30000}`` or ``{"layers": "2"}`` must fail in one line *before* anything is
allocated, so each config's ``from_dict`` goes through ``checked_from_dict``: every field is checked
against its annotation (``int``, ``float``, ``bool``, ``str``, ``X | None``) and, where the field
declares one with ``bounded(lo, hi)``, its range. Semantic rules (which options combine) stay in each
config's ``__post_init__``.

Example:
    @dataclass
    class NetConfig:
        hidden: int = bounded(1, 16384, default=512)
        @classmethod
        def from_dict(cls, d, where="net"): return checked_from_dict(cls, d, where)
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing

from .errors import LstmkitError

_RANGE, _INF = "lstmkit_range", "lstmkit_allow_inf"


def bounded(lo: float | None, hi: float | None, *, default=dataclasses.MISSING, allow_inf: bool = False):
    """A dataclass field whose value must lie in ``[lo, hi]`` when read from a file (``None``: unbounded).

    Numbers must be finite unless ``allow_inf`` (a best loss that starts at infinity).
    """
    meta = {_RANGE: (lo, hi), _INF: allow_inf}
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def python_scalars(value):
    """NumPy numbers as the plain Python numbers they hold, and a tuple or array of them as a list:
    ``np.int64(8)`` -> 8, ``np.array([80, 95])`` -> [80, 95]. Arguments built with NumPy (a GridSearchCV
    grid) then reach the checks, torch and JSON as users meant them."""
    if hasattr(value, "dtype") and getattr(value, "ndim", None) == 0:  # NumPy scalars (and 0-d arrays)
        return value.item()
    if isinstance(value, (tuple, list)) or (hasattr(value, "tolist") and hasattr(value, "ndim")):
        return [python_scalars(v) for v in value]
    return value


def _allowed(annotation) -> tuple[tuple[type, ...], bool]:
    """The concrete types an annotation admits, and whether ``None`` is one of them."""
    if isinstance(annotation, str):
        annotation = eval(annotation, {"typing": typing}, {})  # "int | None" under `from __future__ import annotations`
    args = typing.get_args(annotation) if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union else (annotation,)
    optional = type(None) in args
    return tuple(a for a in args if a is not type(None)), optional


def check_value(name: str, value, annotation, bounds, where: str, allow_inf: bool = False) -> None:
    """Raise ``LstmkitError`` naming ``where.name`` if ``value`` does not fit ``annotation`` and ``bounds``."""
    kinds, optional = _allowed(annotation)
    if value is None:
        if optional:
            return
        raise LstmkitError(f"{where}: '{name}' is null but must be {_describe(kinds, bounds)}")
    ok = False
    for kind in kinds:
        if kind is bool:
            ok = isinstance(value, bool)
        elif kind is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and _finite(value, allow_inf)
        elif kind is str:
            ok = isinstance(value, str)
        else:  # containers (dict, list): the type only
            ok = isinstance(value, typing.get_origin(kind) or kind)
        if ok:
            break
    if ok and bounds is not None and isinstance(value, (int, float)) and not isinstance(value, bool) and _finite(value, True):
        lo, hi = bounds
        ok = (lo is None or value >= lo) and (hi is None or value <= hi)
    if not ok:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise LstmkitError(f"{where}: '{name}' is {shown} but must be {_describe(kinds, bounds)}")


def check_options(obj) -> None:
    """Every bounded field of dataclass ``obj`` as a user set it, in the words of its command-line option:
    ``--season -2 must be an integer from 1 to 100000``. For ``__post_init__``, so that a value the file
    check would refuse at load time is refused before anything is trained and saved."""
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        if _RANGE not in f.metadata:
            continue
        value = getattr(obj, f.name)
        try:
            check_value(f.name, value, hints[f.name], f.metadata[_RANGE], "", f.metadata.get(_INF, False))
        except LstmkitError:
            kinds, optional = _allowed(hints[f.name])
            raise LstmkitError(f"--{f.name.replace('_', '-')} {value!r} must be {_describe(kinds, f.metadata[_RANGE])}"
                               f"{' (or left out)' if optional else ''}") from None


def _finite(value: int | float, allow_inf: bool) -> bool:
    try:
        value = float(value)  # an integer beyond the float range is no number a config can hold
    except OverflowError:
        return False
    return math.isfinite(value) or (allow_inf and not math.isnan(value))


def _describe(kinds, bounds) -> str:
    names = " or ".join({bool: "true/false", int: "an integer", float: "a number", str: "a string"}.get(k, getattr(k, "__name__", str(k))) for k in kinds)
    if bounds is None or bounds == (None, None):
        return names
    lo, hi = (v if v is None or isinstance(v, int) else f"{v:g}" for v in bounds)  # 1048576, not 1.04858e+06
    if lo is not None and hi is not None:
        return f"{names} from {lo} to {hi}"
    return f"{names} >= {lo}" if lo is not None else f"{names} <= {hi}"


def checked_from_dict(cls, d, where: str):
    """Build dataclass ``cls`` from dict ``d`` after checking every known field; unknown keys are ignored.

    Example:
        NetConfig.from_dict({"vocab_size": 65, "hidden": 32})   # checked, then NetConfig(...)
    """
    if not isinstance(d, dict):
        raise LstmkitError(f"{where}: must be a JSON object, not {type(d).__name__} {str(d)[:40]!r}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.name not in d:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise LstmkitError(f"{where}: '{f.name}' is missing")
            continue
        check_value(f.name, d[f.name], hints[f.name], f.metadata.get(_RANGE), where, f.metadata.get(_INF, False))
        kwargs[f.name] = d[f.name]
    return cls(**kwargs)


def check_flags(config) -> None:
    """Refuse a yes/no field of the dataclass ``config`` given as anything but True or False: a string such as
    "off" or "no" is truthy, and would turn the option on. A NumPy bool is taken as the bool it holds."""
    for f in dataclasses.fields(config):
        if f.type not in ("bool", bool):
            continue
        v = getattr(config, f.name)
        if type(v).__name__ == "bool_":  # numpy's, from a grid of options
            v = bool(v)
            setattr(config, f.name, v)
        if not isinstance(v, bool):
            raise LstmkitError(f"{f.name}={v!r}: pass True or False")
