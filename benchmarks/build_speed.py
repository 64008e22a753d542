"""Time `cyberfile build` as a whole process.

    python benchmarks/build_speed.py [--items 10000]

The bundled example with PDFs (target < 10 s) and a generated project of 10,000 items
without PDFs, site and item pages included (target < 25 s), each built into a temporary
folder; prints wall time and
peak memory (max RSS).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate

REPO = Path(__file__).resolve().parent.parent


def run(args: list[str]) -> tuple[float, int, int]:
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - start, os.waitstatus_to_exitcode(status), usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    command = str(Path(sys.executable).parent / "cyberfile")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        example = REPO / "projects" / "example-infusion-pump"
        seconds, code, peak = run(
            [command, "build", str(example), "-o", f"{tmp}/a", "--as-of", "2026-11-26"]
        )
        print(
            f"build example-infusion-pump with PDFs: {seconds:.2f} s, exit {code}, "
            f"peak RSS {peak / 1024:.0f} MiB (main process; PDF workers run beside it)   "
            "(target < 10 s)"
        )
        big = Path(tmp) / "generated"
        total = sum(generate(big, args.items).values())
        seconds, code, peak = run(
            [command, "build", str(big), "-o", f"{tmp}/b", "--no-pdf", "--as-of", "2026-11-26"]
        )
        print(
            f"build generated {total} items without PDFs: {seconds:.2f} s, exit {code}, "
            f"peak RSS {peak / 1024:.0f} MiB   (target < 25 s, site with every item page)"
        )


if __name__ == "__main__":
    main()
