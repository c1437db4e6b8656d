"""Shared fixtures: tiny synthetic text (made here, no borrowed prose) and the optional shared corpora."""
from __future__ import annotations

import os
import random
import sys
from pathlib import Path

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # pytest-xdist runs one worker per core (`-n auto`): each keeps to one thread, and so do the
    # command-line runs it starts, or the workers' thread pools would fight over the same cores
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def make_text(n_sentences: int = 400, seed: int = 0) -> str:
    """Sentences from a small grammar: enough structure for a tiny model to learn quickly."""
    rng = random.Random(seed)
    subjects = ["the miller", "a fox", "the old king", "his daughter", "a little bird", "the hunter"]
    verbs = ["saw", "found", "asked", "followed", "called", "helped"]
    objects = ["the golden key", "a poor boy", "the dark wood", "her mother", "the tall tower", "a white goose"]
    out = []
    for i in range(n_sentences):
        s = f"{rng.choice(subjects).capitalize()} {rng.choice(verbs)} {rng.choice(objects)}."
        if rng.random() < 0.2:
            s = f"'{s[:-1]}!' said {rng.choice(subjects)}."
        out.append(s)
        if i % 6 == 5:
            out.append("\n\n")
    return " ".join(out).replace(" \n\n ", "\n\n") + "\n"


@pytest.fixture
def tiny_text() -> str:
    return make_text()


@pytest.fixture
def tiny_file(tmp_path, tiny_text) -> Path:
    p = tmp_path / "tales.txt"
    p.write_text(tiny_text, encoding="utf-8")
    return p


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """Run the console entry point in-process; returns (exit_code, stdout, stderr)."""
    from lstmkit.cli import main

    def run(*args: str, stdin: str | None = None):
        monkeypatch.setattr(sys, "argv", ["lstmkit", *map(str, args)])
        if stdin is not None:
            import io
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8"))))
        code = 0
        try:
            main()
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def pytest_xdist_node_collection_finished(node, ids):
    """Under pytest-xdist the header says "2 workers [N items]"; say "collected N items" too, as a serial run does,
    once (every worker collects the same tests)."""
    config = node.config
    if not getattr(config, "_lstmkit_collected_said", False):
        config._lstmkit_collected_said = True
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"collected {len(ids)} items")
