"""The example device as it was submitted before: software version 2.3.0, the baseline of
the 2.4.0 submission (cyberfile.yaml `submissions`).

`make_baseline(folder)` turns a copy of projects/example-infusion-pump into that version by
undoing what 2.4.0 changed, each change a story of the example's own files:

- Django 4.2.11 was upgraded to 4.2.15 (PYSEC-2024-70, found in a 2.4.0 release candidate,
  is not in the 2.3.0 file);
- Pillow (with CVE-2023-4863, fixed before release) arrived with the pump-pairing labels;
- the BLE link moved from Bluetooth LE 4.2 to 5.0;
- threat THR-054 (debug interfaces left open) was added to the threat model;
- CVE-2024-6119 was open (`affected`, fix planned for 2.4.0) and is now fixed.

The repository holds this state as a commit (the example's `submissions[].baseline`), and
the tests build it into a temporary git repository (tests/conftest.py `example_repo`)
so that neither depends on the history of the checkout they run in.
"""

from __future__ import annotations

import re
from pathlib import Path

BASELINE_VERSION = "2.3.0"


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    found = text.count(old)
    if found != count:
        raise AssertionError(f"{path.name}: expected {count} of {old!r}, found {found}")
    path.write_text(text.replace(old, new), encoding="utf-8")


def _drop_entry(path: Path, first_line: str) -> None:
    """Remove the list entry that starts with `first_line` (as written, with its indent)
    up to the next entry, comment or key at that indent or less."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.rstrip("\n") == first_line]
    if len(starts) != 1:
        raise AssertionError(f"{path.name}: expected one {first_line!r}, found {len(starts)}")
    start = starts[0]
    indent = len(first_line) - len(first_line.lstrip())
    end = start + 1
    while end < len(lines):
        line = lines[end]
        stripped = line.strip()
        if stripped and len(line) - len(line.lstrip()) <= indent:
            break
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # keep the blank line that separates entries
    del lines[start:end]
    path.write_text("".join(lines), encoding="utf-8")


def _drop_from_flow_lists(path: Path, ident: str) -> None:
    text = path.read_text(encoding="utf-8")
    changed = re.sub(rf"(\[|, ){re.escape(ident)}(, |\])", _keep_brackets, text)
    if changed == text:
        raise AssertionError(f"{path.name}: {ident} is in no flow list")
    path.write_text(changed, encoding="utf-8")


def _keep_brackets(match: re.Match[str]) -> str:
    before, after = match.group(1), match.group(2)
    if before == "[":
        return "[" if after == ", " else "[]"
    return after if after == "]" else ", "


def make_baseline(folder: Path) -> None:
    """Turn the copy of the example in `folder` into version 2.3.0 as submitted."""
    _edit(folder / "cyberfile.yaml", 'version: "2.4.0"', f'version: "{BASELINE_VERSION}"')
    # Django 4.2.11 -> 4.2.15 in 2.4.0
    for name in ("sbom/gateway.yaml", "architecture.yaml", "cyberfile.yaml", "evidence.yaml"):
        path = folder / name
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace("pkg:pypi/django@4.2.15", "pkg:pypi/django@4.2.11"), encoding="utf-8"
        )
    _edit(folder / "sbom/gateway.yaml", 'version: "4.2.15"', 'version: "4.2.11"')
    vulnerabilities = folder / "vulnerabilities.yaml"
    _edit(vulnerabilities, "pkg:pypi/django@4.2.15", "pkg:pypi/django@4.2.11", count=2)
    _drop_entry(vulnerabilities, "  - id: PYSEC-2024-70")
    # Pillow and CVE-2023-4863 arrived with 2.4.0
    _drop_entry(folder / "sbom/gateway.yaml", "  - ref: pkg:pypi/pillow@10.3.0")
    _edit(folder / "architecture.yaml", "      - pkg:pypi/pillow@10.3.0\n", "")
    _drop_entry(vulnerabilities, "  - id: CVE-2023-4863")
    # the BLE link was Bluetooth LE 4.2
    _edit(folder / "architecture.yaml", "protocol: Bluetooth LE 5.0", "protocol: Bluetooth LE 4.2")
    # THR-054 is new in 2.4.0
    _drop_entry(folder / "threats/supply-chain.yaml", "  - id: THR-054")
    _drop_from_flow_lists(folder / "evidence.yaml", "THR-054")
    # CVE-2024-6119 was open, its fix planned for 2.4.0
    x509 = "    detail: >-\n      Possible denial of service in X.509 name checks"
    _edit(vulnerabilities, f"    status: fixed\n{x509}", f"    status: affected\n{x509}")
    _edit(
        vulnerabilities,
        '      planned_release: "2.4.0"\n      fixed_in: "2.4.0"\n      fixed_on: 2026-05-20\n',
        '      planned_release: "2.4.0"\n',
    )
