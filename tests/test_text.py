import io
import sys

import pytest

from lstmkit import LstmkitError, read_text, split_text
from lstmkit.data.text import strip_gutenberg

HEADER = "The Project Gutenberg EBook of Tales\r\n\r\nlicence words\r\n*** START OF THIS PROJECT GUTENBERG EBOOK TALES ***\r\n\r\nProduced by Someone\r\n\r\n"
FOOTER = "\r\n\r\nEnd of Project Gutenberg's Tales\r\n\r\n*** END OF THIS PROJECT GUTENBERG EBOOK TALES ***\r\nmore licence\r\n"


def test_bom_crlf_and_gutenberg_are_cleaned(tmp_path):
    p = tmp_path / "g.txt"
    p.write_bytes(("\ufeff" + HEADER + "Once there was a king.\r\nHe had a son.\r" + FOOTER).encode("utf-8"))
    text = read_text(p)
    assert text == "Once there was a king.\nHe had a son.\n"


def test_keep_boilerplate(tmp_path):
    p = tmp_path / "g.txt"
    p.write_bytes((HEADER + "Body." + FOOTER).encode("utf-8"))
    text = read_text(p, keep_boilerplate=True)
    assert "START OF THIS PROJECT GUTENBERG" in text and "\r" not in text


def test_text_without_markers_is_untouched():
    assert strip_gutenberg("just text\n") == "just text\n"


def test_directory_and_several_files(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b.txt").write_text("second\n")
    (tmp_path / "d" / "a.txt").write_text("first\n")
    (tmp_path / "d" / ".hidden").write_text("never\n")
    (tmp_path / "c.txt").write_text("third\n")
    text = read_text([tmp_path / "d", tmp_path / "c.txt"])
    assert text.split() == ["first", "second", "third"]


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("from a pipe\r\n".encode())))
    assert read_text("-") == "from a pipe\n"


def test_other_encoding(tmp_path):
    p = tmp_path / "l.txt"
    p.write_bytes("caf\xe9 cr\xe8me\n".encode("latin-1"))
    with pytest.raises(LstmkitError, match="not valid utf-8.*--encoding"):
        read_text(p)
    assert read_text(p, encoding="latin-1") == "café crème\n"


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
    (b"\n\n  \n", "no text"),
])
def test_bad_files(tmp_path, content, message):
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    with pytest.raises(LstmkitError, match=message):
        read_text(p)


def test_missing_path(tmp_path):
    with pytest.raises(LstmkitError, match="no such file"):
        read_text(tmp_path / "nope.txt")


def test_split_holds_out_tail():
    text = "".join(f"line {i}\n" for i in range(100))
    train, val = split_text(text, 0.1)
    assert train + val == text and val.startswith("line 9") and 0.05 < len(val) / len(text) < 0.15
    assert split_text(text, 0.0) == (text, "")
    with pytest.raises(LstmkitError):
        split_text(text, 1.5)


def test_split_in_blocks_samples_the_whole_text_and_trains_on_its_end():
    text = "".join(f"line {i:04d}\n" for i in range(1000))         # 10 characters a line
    train, val = split_text(text, 0.08, blocks=8)                 # 8 pieces of 1 %: 10 lines each
    held = [int(l[5:]) for l in val.splitlines()]
    assert held == [i for b in range(8) for i in range(125 * b, 125 * b + 10)]
    assert sorted(train.splitlines() + val.splitlines()) == text.splitlines()
    assert train.endswith("line 0999\n") and train.startswith("line 0010\n")
    tail = split_text(text, 0.08, blocks=1)[1]
    assert tail == text[-len(tail):] and len(tail) == 800
    # lines longer than a piece: each piece still holds its share, cut where no break is near
    long_lines = "".join(f"{i:03d}" + "y" * 296 + "\n" for i in range(40))   # 12,000 characters, pieces of 150
    assert len(split_text(long_lines, 0.1, blocks=8)[1]) == 8 * 150
    with pytest.raises(LstmkitError, match="val-blocks 0"):
        split_text(text, 0.1, blocks=0)


def test_grimm_as_distributed(shared_data):
    text = read_text(shared_data / "grimms_fairy_tales.txt")
    assert "\r" not in text and not text.startswith("\ufeff")
    assert "Gutenberg" not in text and "LICENSE" not in text.upper()
    assert text.lstrip().startswith("GRIMMS' FAIRY TALES") or "THE GOLDEN BIRD" in text[:2000]
