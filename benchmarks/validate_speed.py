"""Time `cyberfile validate` as a whole, cold process (what a pre-commit hook pays).

    python benchmarks/validate_speed.py [--runs 7] [--items 10000]

Runs the installed console script in a fresh process each time, on the bundled example
and on a generated project (see generate.py), and prints the median and best wall time,
and the peak memory (max RSS) of the child processes. Targets: example < 0.4 s,
10,000 items < 3 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
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
    times = []
    code = 0
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(args, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        code = result.returncode
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
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
    median, best, code, peak = time_runs([*command, "validate", str(example)], args.runs)
    print(
        f"example-infusion-pump: median {median:.3f} s, best {best:.3f} s, exit {code}, "
        f"peak RSS {peak / 1024:.0f} MiB   (target < 0.4 s)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "generated"
        counts = generate(big, args.items)
        median, best, code, peak = time_runs([*command, "validate", str(big)], args.runs)
        print(
            f"generated {sum(counts.values())} items: median {median:.3f} s, best "
            f"{best:.3f} s, exit {code}, peak RSS {peak / 1024:.0f} MiB   (target < 3 s)"
        )


if __name__ == "__main__":
    main()
