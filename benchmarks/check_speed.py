"""Time `cyberfile validate` and `cyberfile drift` as whole, cold processes (what a
pre-commit hook pays).

    python benchmarks/check_speed.py [--runs 7] [--items 10000]

Runs the installed console script in a fresh process each time, on the bundled example
and on a generated project (see generate.py; every generated threat carries a stale
review stamp, so drift fingerprints them all), and prints the median and best wall time
and the peak memory (max RSS) of the child processes. Targets: validate on the example
< 0.4 s and on 10,000 items < 3 s; drift on the example < 0.5 s and on 10,000 items < 4 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate

REPO = Path(__file__).resolve().parent.parent


def cyberfile_command() -> list[str]:
    script = Path(sys.executable).parent / "cyberfile"
    if script.exists():
        return [str(script)]
    found = shutil.which("cyberfile")
    return [found] if found else [sys.executable, "-m", "cyberfile"]


def time_runs(args: list[str], runs: int) -> tuple[float, float, int, int]:
    """Median and best wall time, last exit code, and peak RSS (KiB) of this command."""
    times = []
    code = 0
    peak_kib = 0
    for _ in range(runs):
        start = time.perf_counter()
        child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        times.append(time.perf_counter() - start)
        child.returncode = os.waitstatus_to_exitcode(status)
        code = child.returncode
        peak_kib = max(peak_kib, usage.ru_maxrss)
    return statistics.median(times), min(times), code, peak_kib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    command = cyberfile_command()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    example = REPO / "projects" / "example-infusion-pump"
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "generated"
        items = f"generated {sum(generate(big, args.items).values())} items"
        as_of = ["--as-of", "2026-11-26"]
        cases = [
            ("validate", "example-infusion-pump", example, [], 0.4),
            ("validate", items, big, [], 3.0),
            ("drift", "example-infusion-pump", example, as_of, 0.5),
            ("drift", items, big, as_of, 4.0),
        ]
        for verb, label, path, extra, target in cases:
            median, best, code, peak = time_runs([*command, verb, str(path), *extra], args.runs)
            print(
                f"{verb} {label}: median {median:.3f} s, best {best:.3f} s, exit {code}, "
                f"peak RSS {peak / 1024:.0f} MiB   (target < {target} s)"
            )


if __name__ == "__main__":
    main()
