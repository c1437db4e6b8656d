"""lstmkit: turn any sequence into a trained LSTM: text generation, forecasting, classification, sequence to sequence.

Example:
    import lstmkit
    lm = lstmkit.TextModel.train("grimm.txt", level="char", minutes=5, out="runs/grimm")
    print(lm.generate("Once upon a time", length=300, temperature=0.8))
    lm = lstmkit.load("runs/grimm")
    fc = lstmkit.Forecaster(horizon=12).fit(df, target="value", time="date"); fc.predict()
    clf = lstmkit.SequenceClassifier(seed=0).fit(X, y); clf.predict(X_new)
    tr = lstmkit.Seq2Seq().fit(pairs, minutes=3); tr.translate("123+456", beam=4)
    mlp = lstmkit.MLP(hidden=(8,)).fit(X, y); mlp.score(X_test, y_test)
"""
from pathlib import Path

from .artifact import FORMAT_VERSION
from .data.batches import StreamBatches, WindowBatches
from .data.corpora import CORPORA, builtin_text, fetch
from .data.text import read_text, split_text
from .errors import LstmkitError
from .generate import SamplingConfig, StepModel
from .models.text import TextDataConfig, TextModel
from .nn import EnsembleLM, NetConfig, RecurrentLM, TokenBatch, language_model
from .tokenize import BpeTokenizer, CharTokenizer, WordTokenizer, fit_tokenizer
from .train import TrainConfig, Trainer, evaluate_loss

__version__ = "0.1.0"


def __getattr__(name: str):
    """The forecasting, classification, sequence-to-sequence and MLP APIs, imported on first use (they bring
    pandas, scikit-learn and sacrebleu; text work never pays for them)."""
    if name in ("Forecaster", "ForecastConfig"):
        from .models import forecast

        return getattr(forecast, name)
    if name in ("SequenceClassifier", "ClassifierNetConfig", "read_labeled"):
        from .data import labeled_files
        from .models import classify, classify_net

        return getattr(classify if name == "SequenceClassifier" else classify_net if name == "ClassifierNetConfig" else labeled_files, name)
    if name in ("Seq2Seq", "Seq2SeqConfig"):
        from .models import seq2seq

        return getattr(seq2seq, name)
    if name == "MLP":
        from .models.mlp import MLP

        return MLP
    if name == "backtest":
        from .models.forecast_eval import backtest

        return backtest
    raise AttributeError(f"module 'lstmkit' has no attribute {name!r}")


def load(path: str | Path):
    """Load any lstmkit model artifact directory; the class follows the task saved in it.

    Every file is checked (integrity, types, ranges, shapes) before anything is built.

    Example:
        lm = lstmkit.load("runs/grimm"); lm.generate("There was once", 200)
    """
    import os

    from .errors import LstmkitError
    from .models import load_any

    if not isinstance(path, (str, os.PathLike)):
        raise LstmkitError(f"lstmkit.load takes a model directory's path, not a {type(path).__name__}")
    return load_any(path)


def train(sources=None, **kwargs) -> TextModel:
    """Train a text model; the same arguments as ``TextModel.train``.

    Example:
        lm = lstmkit.train("grimm.txt", minutes=5, out="runs/grimm")
    """
    return TextModel.train(sources, **kwargs)


__all__ = [
    "BpeTokenizer", "CORPORA", "CharTokenizer", "FORMAT_VERSION", "ForecastConfig", "Forecaster", "backtest", "SequenceClassifier", "ClassifierNetConfig", "read_labeled", "Seq2Seq", "Seq2SeqConfig", "MLP", "LstmkitError", "NetConfig", "RecurrentLM", "EnsembleLM", "language_model",
    "SamplingConfig", "StepModel", "StreamBatches", "TextDataConfig", "TextModel", "TokenBatch", "TrainConfig",
    "Trainer", "WindowBatches", "WordTokenizer", "builtin_text", "evaluate_loss", "fetch", "fit_tokenizer", "load",
    "read_text", "split_text", "train",
]
