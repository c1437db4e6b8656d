"""Load hostile model directories one by one and measure the peak memory each load costs.

    python tests/hostile_probe.py DIR [DIR ...]     # one JSON line per directory on stdout

Run as its own process by ``tests/test_hostile.py`` (and by hand for the README's table). Before each
load the kernel's peak-RSS counter is reset (``/proc/self/clear_refs``), so each line's
``peak_kb`` is what that load alone added to the interpreter, which has already imported lstmkit and
loaded one valid model.
"""
from __future__ import annotations

import gc
import json
import os
import re
import sys
import time
from pathlib import Path


def rss_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        return int(re.search(rf"{field}:\s+(\d+)", f.read()).group(1))


def reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def main(dirs: list[str]) -> None:
    import lstmkit
    from lstmkit.errors import LstmkitError

    warm = os.environ.get("HOSTILE_WARMUP")
    if warm:  # touch every code path of a successful load once, so it is not counted below
        lstmkit.load(warm).generate("a", 5, seed=0)
    for d in dirs:
        gc.collect()
        reset_peak()
        base = rss_kb("VmRSS")
        t0 = time.perf_counter()
        try:
            lstmkit.load(d)
            outcome, message = "loaded", ""
        except LstmkitError as e:
            outcome, message = "refused", str(e)
        except Exception as e:  # anything else is a defect: report it, do not hide it
            outcome, message = "crashed", f"{type(e).__name__}: {e}"
        peak = rss_kb("VmHWM") - base
        size = sum(p.stat().st_size for p in Path(d).rglob("*") if p.is_file() and not p.is_symlink())
        print(json.dumps({"dir": d, "outcome": outcome, "message": message[:300], "peak_kb": peak,
                          "files_kb": size // 1024, "seconds": round(time.perf_counter() - t0, 3)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
