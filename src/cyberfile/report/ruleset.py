"""The rules a command runs, for formats that list rules (SARIF, JUnit)."""

from __future__ import annotations

from cyberfile.diagnostics.rules import RULES, Rule


def rules_for(command: str) -> list[Rule]:
    """validate: every rule that is not date-dependent; drift: the drift rules and the
    reading, evidence-file and SBOM rules drift also reports."""
    if command == "drift":
        return [
            r
            for r in RULES.values()
            if r.drift or r.unreadable or r.code[:3] in ("CF0", "CF1", "CF4")
        ]
    return [r for r in RULES.values() if not r.drift]
