"""Corpus downloads, tested against a real HTTP server on loopback (nothing here reaches the internet)."""
import hashlib
import http.server
import json
import threading

import pytest

from lstmkit import LstmkitError
from lstmkit.data import corpora


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(root), **k)

        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def fake_corpus(monkeypatch):
    body = ("Once upon a time there was a test corpus.\n" * 200).encode()
    c = corpora.Corpus("tales", "test corpus", "http://127.0.0.1:9/never", hashlib.sha256(body).hexdigest(), "tales.txt")
    monkeypatch.setitem(corpora.CORPORA, "tales", c)
    return body


def test_fetch_downloads_verifies_and_caches(server, fake_corpus, tmp_path):
    root, base = server
    (root / "t.txt").write_bytes(fake_corpus)
    cache = tmp_path / "cache"
    path = corpora.fetch("tales", cache, url=f"{base}/t.txt")
    assert path.read_bytes() == fake_corpus
    (root / "t.txt").unlink()  # a second fetch uses the verified cache, no network
    assert corpora.fetch("tales", cache, url=f"{base}/t.txt") == path
    assert corpora.cached_path("tales", cache) == path


def test_checksum_mismatch_keeps_nothing(server, fake_corpus, tmp_path):
    root, base = server
    (root / "t.txt").write_bytes(fake_corpus + b"tampered")
    cache = tmp_path / "cache"
    with pytest.raises(LstmkitError, match="SHA-256"):
        corpora.fetch("tales", cache, url=f"{base}/t.txt")
    assert not any(cache.iterdir())


def test_unreachable_server_is_a_clear_error(server, fake_corpus, tmp_path):
    _, base = server
    with pytest.raises(LstmkitError, match="could not download"):
        corpora.fetch("tales", tmp_path, url=f"{base}/missing.txt")


def test_real_corpus_pins_match_shared_files(server, shared_data, tmp_path):
    """The pinned checksums are those of the files as distributed."""
    root, base = server
    for name, src in (("grimm", "grimms_fairy_tales.txt"), ("shakespeare", "tinyshakespeare.txt")):
        (root / src).write_bytes((shared_data / src).read_bytes())
        assert corpora.fetch(name, tmp_path, url=f"{base}/{src}").read_bytes() == (shared_data / src).read_bytes()


def test_cli_fetch_and_list(server, fake_corpus, tmp_path, run_cli, monkeypatch):
    root, base = server
    (root / "t.txt").write_bytes(fake_corpus)
    monkeypatch.setenv("LSTMKIT_CACHE", str(tmp_path / "c"))
    code, out, err = run_cli("data", "fetch", "tales", "--url", f"{base}/t.txt")
    assert code == 0 and out.strip().endswith("tales.txt"), err
    code, out, _ = run_cli("data", "list")
    assert "docs" in out and "built in" in out and str(tmp_path / "c") in out
    code, out, _ = run_cli("data", "list", "--json")
    listed = {c["name"]: c for c in json.loads(out)}
    assert code == 0 and listed["docs"]["built_in"] and listed["tales"]["path"].startswith(str(tmp_path / "c"))
    code, _, err = run_cli("data", "fetch", "nosuch")
    assert code == 2 and err.startswith("error: unknown corpus")


def test_builtin_corpus_is_offline_text():
    text = corpora.builtin_text()
    assert len(text) > 200_000 and "statement" in text
