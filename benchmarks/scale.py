"""How cyberfile grows with the size of a project: validate, drift, build (no PDF, with and
without the site) and SBOM/VEX export at 1k, 10k and 50k items.

    python benchmarks/scale.py [--sizes 1000 10000 50000] [--runs 1]

Each command runs as a whole, cold process (what a pre-commit hook or CI pays) on a project
from generate.py, and the table shows the wall time, the CPU time (user + system: steadier
than wall time on a loaded machine) and the peak memory (max RSS) of the process. Growth is
visible per row: a command whose time grows faster than its size has a quadratic path.

Targets (issue #14, this 2-core machine): validate 10k < 1.2 s; build 10k without PDF
< 12 s before item pages (`--no-site` here) and < 25 s with the site and its item pages;
50k: validate < 6 s, build without PDF < 60 s, peak memory < 1.5 GB.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_speed import cyberfile_command
from generate import generate

AS_OF = "2026-11-26"


@dataclass
class Measure:
    wall: float
    cpu: float
    peak_mib: float
    code: int


def run(args: list[str], runs: int, cwd: Path | None = None) -> Measure:
    """Run `args` `runs` times as a new process: median wall and CPU time, peak memory."""
    walls, cpus, peak, code = [], [], 0, 0
    for _ in range(runs):
        start = time.perf_counter()
        child = subprocess.Popen(
            args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(child.pid, 0)
        walls.append(time.perf_counter() - start)
        cpus.append(usage.ru_utime + usage.ru_stime)
        peak = max(peak, usage.ru_maxrss)
        code = os.waitstatus_to_exitcode(status)
    return Measure(statistics.median(walls), statistics.median(cpus), peak / 1024, code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 50_000])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    command = cyberfile_command()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.2f}"
    )
    print(f"{'items':>7}  {'command':<26} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}  exit")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            project = Path(tmp) / f"p{size}"
            generate(project, size)
            out = Path(tmp) / f"out{size}"
            commands = {
                "validate": ["validate", str(project)],
                "drift": ["drift", str(project), "--as-of", AS_OF],
                "sbom export": ["sbom", "export", str(project), "-o", str(out / "export")],
                "build --no-pdf --no-site": [
                    "build",
                    str(project),
                    "-o",
                    str(out / "a"),
                    "--no-pdf",
                    "--no-site",
                    "--as-of",
                    AS_OF,
                ],
                "build --no-pdf (site)": [
                    "build",
                    str(project),
                    "-o",
                    str(out / "b"),
                    "--no-pdf",
                    "--as-of",
                    AS_OF,
                ],
            }
            for name, cli_args in commands.items():
                measure = run([*command, *cli_args], args.runs)
                print(
                    f"{size:>7,}  {name:<26} {measure.wall:>8.2f} {measure.cpu:>8.2f} "
                    f"{measure.peak_mib:>9.0f}  {measure.code}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
