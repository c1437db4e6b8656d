#!/usr/bin/env python3
"""Coverage-guided fuzz target for the model loader (atheris / libFuzzer).

    python tests/fuzz_loader.py [libFuzzer args]      e.g. -max_total_time=60 -timeout=20

At start it builds tiny valid models (char, word and BPE levels, and a format-1 char model without a
manifest) and keeps their files as seeds. Each input picks a seed and a mutation mode:

  a. replace or splice one file's bytes with fuzz bytes (re-manifested or not), or delete the file;
  b. edit JSON values of config.json / tokenizer.json (a key path replaced by a fuzzed int, float,
     string, list, object, null or huge number; keys deleted or added), then rewrite manifest.json with
     the right SHA-256 and sizes so the edit passes the integrity check and reaches the type checks;
     or edit manifest.json itself;
  c. edit the safetensors header (u64 little-endian length, then JSON): shapes, offsets, dtypes,
     names, the length field and the data after it, re-manifested;
  d. b and c together (a config and a header that may agree with each other).

then calls ``lstmkit.load``. ``LstmkitError`` is the only exception allowed; anything else propagates
and libFuzzer reports it with the input that caused it. Inputs are at most a few KB and every file
is rebuilt from them, so memory stays bounded.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
import struct
import sys
import tempfile
from pathlib import Path

import atheris

# Heavy dependencies first, uninstrumented: only lstmkit's own code is traced for coverage.
import numpy  # noqa: F401
import safetensors  # noqa: F401
import tokenizers  # noqa: F401
import torch

with atheris.instrument_imports(include=["lstmkit"]):
    import lstmkit
    from lstmkit.errors import LstmkitError

torch.set_num_threads(1)
FILES = ["config.json", "tokenizer.json", "model.safetensors", "manifest.json"]
JSON_FILES = ["config.json", "tokenizer.json"]


# ---------------------------------------------------------------------------- seeds
def tiny_text(n: int = 120, seed: int = 0) -> str:
    rng = random.Random(seed)
    who = ["the miller", "a fox", "the old king", "a little bird"]
    did = ["saw", "found", "asked", "followed"]
    what = ["the golden key", "a poor boy", "the dark wood", "her mother"]
    out = []
    for i in range(n):
        s = f"{rng.choice(who).capitalize()} {rng.choice(did)} {rng.choice(what)}."
        out.append(f"'{s[:-1]}!' said {rng.choice(who)}." if rng.random() < 0.2 else s)
        out.append("\n\n" if i % 6 == 5 else " ")
    return "".join(out).strip() + "\n"


def read_set(d: Path) -> dict[str, bytes]:
    return {name: (d / name).read_bytes() for name in FILES if (d / name).is_file()}


def build_seeds(root: Path) -> list[dict[str, bytes]]:
    text = tiny_text()
    seeds = []
    for level in ("char", "word", "bpe"):
        lm = lstmkit.TextModel.train(text=text, level=level, vocab_size=300, steps=2, hidden=8, layers=1, embed=4,
                                     batch_size=2, bptt=8, progress=False)
        lm.save(root / level)
        seeds.append(read_set(root / level))
    # format 1: no manifest; the weights file carries a tensor digest in its metadata
    from safetensors.torch import save_file

    from lstmkit.artifact import _tensor_digest

    legacy = dict(seeds[0])
    del legacy["manifest.json"]
    config = json.loads(legacy["config.json"])
    config["format_version"] = 1
    legacy["config.json"] = json.dumps(config).encode()
    tensors = lstmkit.load(root / "char").net.state_dict()
    save_file(tensors, str(root / "legacy.safetensors"), metadata={"format": "lstmkit", "sha256": _tensor_digest(tensors)})
    legacy["model.safetensors"] = (root / "legacy.safetensors").read_bytes()
    seeds.append(legacy)
    return seeds


# ---------------------------------------------------------------------------- fuzzed values
INTERESTING_INTS = [0, 1, -1, 2, 3, 4, 7, 8, 9, 29, 30, 31, 32, 33, 255, 256, 299, 300, 301, 1 << 15, 1 << 16,
                    1 << 20, (1 << 20) + 1, 1 << 31, (1 << 31) - 1, 1 << 32, (1 << 63) - 1, 1 << 63, 1 << 64, -(1 << 63)]
INTERESTING_FLOATS = [math.nan, math.inf, -math.inf, -0.0, 0.5, 0.999, 1.0, 1.5, 1e308, -1e308, 5e-324, 1e-300]
INTERESTING_STRS = ["", "char", "word", "bpe", "text", "lstm", "gru", "rnn", "lstmkit", "adam", "sgd", "cosine", "auto",
                    "cpu", "cuda", "F32", "F16", "BF16", "I64", "<unk>", "\n\n", "\x00", "\udc80", "../x.json",
                    "/etc/passwd", "tokenizer.json", "model.safetensors", "config.json", "manifest.json",
                    ".lstmkit-commit", "a/b.json", "\x00.json", "../../tokenizer.json", "BPE", "ByteLevel", "a" * 300]
DTYPES = ["F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "U16", "U32", "U64", "BOOL", "F8_E4M3",
          "F8_E5M2", "C64", "E8M0", "F4", "f32", "", "X", "F32 "]


def fuzz_int(fdp) -> int:
    k = fdp.ConsumeIntInRange(0, 4)
    if k == 0:
        return fdp.PickValueInList(INTERESTING_INTS)
    if k == 1:
        return fdp.ConsumeIntInRange(-3, 70000)
    if k == 2:
        return fdp.ConsumeInt(8)
    if k == 3:
        return (-1 if fdp.ConsumeBool() else 1) * 10 ** fdp.ConsumeIntInRange(10, 400)  # huge
    return fdp.PickValueInList(INTERESTING_INTS) + fdp.ConsumeIntInRange(-2, 2)


def fuzz_str(fdp) -> str:
    if fdp.ConsumeBool():
        return fdp.PickValueInList(INTERESTING_STRS)
    return fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 40))


def fuzz_value(fdp, depth: int = 0):
    kind = fdp.ConsumeIntInRange(0, 8 if depth < 2 else 6)
    if kind == 0:
        return fuzz_int(fdp)
    if kind == 1:
        return fdp.ConsumeRegularFloat() if fdp.ConsumeBool() else fdp.PickValueInList(INTERESTING_FLOATS)
    if kind == 2:
        return fuzz_str(fdp)
    if kind == 3:
        return None
    if kind == 4:
        return fdp.ConsumeBool()
    if kind in (5, 6):
        return fuzz_int(fdp) if kind == 5 else fdp.PickValueInList(INTERESTING_FLOATS)
    if kind == 7:
        return [fuzz_value(fdp, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 6))]
    return {fuzz_str(fdp): fuzz_value(fdp, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 4))}


# ---------------------------------------------------------------------------- JSON edits
def json_paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from json_paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from json_paths(v, prefix + (i,))


def get_path(obj, path):
    for k in path:
        obj = obj[k]
    return obj


def edit_json(fdp, obj):
    """One edit of ``obj`` at a fuzzed key path; returns the (possibly replaced) root."""
    paths = list(json_paths(obj))
    path = paths[fdp.ConsumeIntInRange(0, len(paths) - 1)]
    op = fdp.ConsumeIntInRange(0, 4)
    if not path:
        return fuzz_value(fdp) if op == 0 else obj
    parent, key = get_path(obj, path[:-1]), path[-1]
    node = parent[key]
    if op <= 1:  # replace with a fuzzed value
        parent[key] = fuzz_value(fdp)
    elif op == 2:  # delete
        del parent[key]
    elif op == 3:  # add a key or an element next to it
        if isinstance(node, dict):
            node[fuzz_str(fdp)] = fuzz_value(fdp)
        elif isinstance(node, list):
            node.insert(fdp.ConsumeIntInRange(0, len(node)), fuzz_value(fdp))
        else:
            parent[key] = [node, fuzz_value(fdp)]
    else:  # replace with another node's value (a plausible value of the wrong kind or place)
        other = paths[fdp.ConsumeIntInRange(0, len(paths) - 1)]
        value = get_path(obj, other)
        if other[: len(path)] != path:
            parent[key] = json.loads(json.dumps(value))
    return obj


def dump_json(fdp, obj) -> bytes:
    if fdp.ConsumeBool():
        return json.dumps(obj, indent=2, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return json.dumps(obj).encode()


def remanifest(files: dict[str, bytes]) -> None:
    """Rewrite manifest.json with the right digests and sizes, as someone editing a model would."""
    try:
        manifest = json.loads(files["manifest.json"])
        entries = manifest["files"]
    except Exception:
        manifest, entries = {"format": "lstmkit", "format_version": 2, "files": {}}, {}
    if not isinstance(entries, dict):
        entries = {}
    for name in set(entries) | {"config.json", "tokenizer.json", "model.safetensors"}:
        data = files.get(name)
        if isinstance(name, str) and data is not None:
            entries[name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    if isinstance(manifest, dict):
        manifest["files"] = entries
    files["manifest.json"] = json.dumps(manifest).encode()


# ---------------------------------------------------------------------------- safetensors edits
def split_weights(data: bytes):
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n]), data[8 + n:]


def edit_header(fdp, header):
    names = [k for k in header if k != "__metadata__"]
    for _ in range(fdp.ConsumeIntInRange(1, 3)):
        if not isinstance(header, dict):  # a whole-header replacement: nothing left to aim at
            break
        op = fdp.ConsumeIntInRange(0, 6)
        name = fdp.PickValueInList(names) if names else "x"
        entry = header.get(name)
        if not isinstance(entry, dict) or op >= 5:  # anything anywhere in the header
            header = edit_json(fdp, header)
        elif op == 0:  # shape: some dimensions changed, or a new list
            shape = entry.get("shape") if isinstance(entry.get("shape"), list) else [1]
            if fdp.ConsumeBool():
                entry["shape"] = [fuzz_int(fdp) if fdp.ConsumeBool() else d for d in shape]
            else:
                entry["shape"] = [fuzz_int(fdp) for _ in range(fdp.ConsumeIntInRange(0, 5))]
        elif op == 1:  # data offsets
            offsets = entry.get("data_offsets")
            offsets = offsets if isinstance(offsets, list) and len(offsets) == 2 else [0, 0]
            entry["data_offsets"] = [fuzz_int(fdp) if fdp.ConsumeBool() else o for o in offsets]
        elif op == 2:  # dtype
            entry["dtype"] = fdp.PickValueInList(DTYPES)
        elif op == 3:  # rename or drop a tensor
            value = header.pop(name)
            if fdp.ConsumeBool():
                header[fuzz_str(fdp)] = value
        else:  # metadata
            header["__metadata__"] = fuzz_value(fdp) if fdp.ConsumeBool() else {
                "format": "lstmkit", "format_version": fuzz_str(fdp), "sha256": fuzz_str(fdp)}
    return header


def build_weights(fdp, header, payload: bytes) -> bytes:
    raw = dump_json(fdp, header)
    how = fdp.ConsumeIntInRange(0, 5)
    if how == 0:
        raw += b" " * fdp.ConsumeIntInRange(0, 16)  # padding is allowed
    length = len(raw)
    if how == 1:
        length = fdp.ConsumeInt(8) & ((1 << 64) - 1)
    elif how == 2:
        length += fdp.ConsumeIntInRange(-8, 8)
    cut = fdp.ConsumeIntInRange(0, 3)
    if cut == 1:
        payload = payload[: fdp.ConsumeIntInRange(0, len(payload))]
    elif cut == 2:
        payload += fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64))
    return struct.pack("<Q", max(0, min(length, (1 << 64) - 1))) + raw + payload


# ---------------------------------------------------------------------------- the target
SEEDS: list[dict[str, bytes]] = []
WORK: Path | None = None


def mutate(fdp, files: dict[str, bytes]) -> None:
    mode = fdp.ConsumeIntInRange(0, 5)
    if mode == 0:  # (a) one file's bytes
        name = fdp.PickValueInList(FILES)
        how = fdp.ConsumeIntInRange(0, 3)
        old = files.get(name, b"")
        if how == 0:
            files.pop(name, None)
            return
        if how == 1:
            files[name] = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 2048))
        else:
            i = fdp.ConsumeIntInRange(0, len(old))
            j = fdp.ConsumeIntInRange(i, min(len(old), i + 64))
            files[name] = old[:i] + fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64)) + old[j:]
        if name != "manifest.json" and "manifest.json" in files and fdp.ConsumeBool():
            remanifest(files)
        return
    if mode == 2 and "manifest.json" in files and fdp.ConsumeBool():  # list one more file in the manifest
        try:
            manifest = json.loads(files["manifest.json"])
            name = fuzz_str(fdp) + (".json" if fdp.ConsumeBool() else "")
            data = files.get(fdp.PickValueInList(FILES), b"")
            manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            files["manifest.json"] = dump_json(fdp, manifest)
        except (ValueError, KeyError, TypeError):
            pass
    if mode in (1, 2, 4):  # (b) JSON values, then a manifest that vouches for them
        targets = JSON_FILES if mode != 2 else ["manifest.json"]
        for _ in range(fdp.ConsumeIntInRange(1, 4)):
            name = fdp.PickValueInList(targets)
            if name not in files:
                continue
            try:
                obj = json.loads(files[name])
            except ValueError:
                continue
            files[name] = dump_json(fdp, edit_json(fdp, obj))
        if mode != 2 and "manifest.json" in files and fdp.ConsumeIntInRange(0, 9):
            remanifest(files)
        if mode != 4:
            return
    if mode >= 3:  # (c) the safetensors header, (d) = mode 4: config and header together
        header, payload = split_weights(files["model.safetensors"])
        files["model.safetensors"] = build_weights(fdp, edit_header(fdp, header), payload)
        if "manifest.json" in files and fdp.ConsumeIntInRange(0, 9):
            remanifest(files)


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    files = dict(SEEDS[fdp.ConsumeIntInRange(0, len(SEEDS) - 1)])
    mutate(fdp, files)
    write_set(files)
    try:
        lstmkit.load(WORK)
    except LstmkitError:
        pass


WRITTEN: dict[str, bytes | None] = {}  # what each file in WORK holds now: only changed files are rewritten


def write_set(files: dict[str, bytes]) -> None:
    for name in FILES:
        data = files.get(name)
        if name in WRITTEN and WRITTEN[name] == data:
            continue
        path = WORK / name
        if data is not None:  # overwritten in place: truncating to 0 first costs ~2 ms on some file systems
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                os.write(fd, data)
                os.ftruncate(fd, len(data))
            finally:
                os.close(fd)
        else:
            path.unlink(missing_ok=True)
        WRITTEN[name] = data


def main() -> None:
    """Seeds and the model directory under $LSTMKIT_FUZZ_DIR (the caller removes it) or a fresh temp dir.

    libFuzzer ends the process with exit(), past Python's clean-up, so a temp dir made here is
    only removed when setting up fails; its path is printed.
    """
    global WORK
    given = os.environ.get("LSTMKIT_FUZZ_DIR")
    root = Path(given) if given else Path(tempfile.mkdtemp(prefix="lstmkit-fuzz-"))
    print(f"fuzz_loader: models under {root}", file=sys.stderr)
    try:
        SEEDS.extend(build_seeds(root / "seeds"))
        WORK = root / "work"
        WORK.mkdir(parents=True, exist_ok=True)
        for seed in SEEDS:  # every seed loads as it is
            write_set(seed)
            lstmkit.load(WORK)
    except BaseException:
        if not given:
            shutil.rmtree(root, ignore_errors=True)
        raise
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
