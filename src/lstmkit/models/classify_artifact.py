"""What a saved classifier holds besides its weights, and how it is checked when read back.

A classification model directory is one artifact (``artifact.save_model``): ``config.json`` with the
estimator's parameters, the network's shape, the fit summary and the column names; ``labels.json`` (the
classes, in the order of the output columns); ``preparation.json`` (the channel statistics, or the text
level) and, for texts, ``tokenizer.json``. ``read_parts`` checks every one of them, so a tampered or
truncated file is one clear error, never a crash at predict time.
"""
from __future__ import annotations

from typing import Callable

from .. import artifact, fileset
from ..data.labeled import labels_from_json
from ..errors import LstmkitError
from ..tokenize import tokenizer_from_dict
from .classify_net import ClassifierNetConfig
from .classify_prep import net_inputs

COLUMNS = ("label", "text", "id", "time", "values")


def read_parts(art: artifact.Artifact, task: str, make: Callable[[dict], object]) -> tuple[object, ClassifierNetConfig, dict]:
    """(the estimator ``make`` builds from the saved parameters, the network config, and ``classes``,
    ``prep``, ``summary``, ``columns``), each checked; anything wrong is one error naming the file."""
    config = art.config
    where = fileset.member(art.path, artifact.CONFIG)
    artifact.require_task(art, task, "a classifier")
    try:
        params = config.get("classify")
        if not isinstance(params, dict):
            raise LstmkitError("'classify' is missing")
        est = make(params)
        net_cfg = ClassifierNetConfig.from_dict(config.get("net"), "net")
        labels, prep = art.parts.get("labels"), art.parts.get("preparation")
        if (est.slicing == "on") != bool(net_cfg.crop):
            raise LstmkitError(f"the parameters say slicing {est.slicing!r} and the network crops {net_cfg.crop!r} of each case")
        if not isinstance(labels, dict) or not isinstance(labels.get("classes"), list) or len(labels["classes"]) != net_cfg.classes:
            raise LstmkitError("labels.json does not list one label per class")
        if not isinstance(prep, dict) or prep.get("kind") not in ("text", "numeric"):
            raise LstmkitError("preparation.json is missing or names no kind")
        if prep["kind"] == "text":
            prep["tokenizer"] = tokenizer_from_dict(art.parts.get("tokenizer"))
            if prep["tokenizer"].vocab_size + 1 != net_cfg.vocab_size:
                raise LstmkitError("the tokenizer and the network disagree on the vocabulary")
        elif type(prep.get("pool", 1)) is not int or prep.get("pool", 1) < 1:  # bool is an int subclass: refused too
            raise LstmkitError(f"the pooling {prep.get('pool')!r} is not a positive whole number")
        elif "derivatives" in prep and prep["derivatives"] is not True:
            raise LstmkitError(f"the derivatives setting {prep['derivatives']!r} is not true")
        elif est.derivatives != "auto" and bool(prep.get("derivatives")) != (est.derivatives == "on"):
            raise LstmkitError(f"the parameters say derivatives {est.derivatives!r} and the preparation the opposite")
        elif "extremes" in prep and (prep["extremes"] is not True or prep.get("pool", 1) < 2):
            raise LstmkitError(f"the pooling extremes {prep['extremes']!r} are not true of pooled cases")
        elif est.pool_extremes == "off" and prep.get("extremes"):
            raise LstmkitError("the parameters say pool_extremes 'off' and the preparation keeps them")
        elif not (isinstance(prep.get("mean"), list) and type(prep.get("channels")) is int
                  and len(prep["mean"]) == len(prep.get("std", [])) == prep["channels"] * (2 if prep.get("derivatives") else 1)
                  and net_inputs(prep) == net_cfg.inputs):
            raise LstmkitError("the channel statistics and the network disagree")
    except (LstmkitError, TypeError, KeyError, ValueError) as e:
        raise LstmkitError(f"{where}: {e}; the model is corrupt — {artifact.FIX}") from None
    summary = config.get("summary", {}) if isinstance(config.get("summary"), dict) else {}
    cols = config.get("columns")
    columns = {k: cols.get(k) for k in COLUMNS} if isinstance(cols, dict) else {}
    if any(v is not None and not isinstance(v, str) for k, v in columns.items() if k != "values") or \
            not all(isinstance(v, str) for v in columns.get("values") or []):
        raise LstmkitError(f"{where}: 'columns' holds non-text names; the config is corrupt — {artifact.FIX}")
    names = config.get("feature_names")  # a wide DataFrame's column names at fit time (absent: none, or saved before)
    if names is not None and not (isinstance(names, list) and all(isinstance(v, str) for v in names)):
        raise LstmkitError(f"{where}: 'feature_names' is not a list of column names; the config is corrupt — {artifact.FIX}")
    return est, net_cfg, {"classes": labels_from_json(labels), "prep": prep, "summary": summary, "columns": columns,
                          "feature_names": names}
