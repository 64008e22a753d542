"""SARIF 2.1.0, so that code scanning (GitHub, GitLab, Azure DevOps) annotates the YAML."""

from __future__ import annotations

import json
from typing import Any

from cyberfile import __version__
from cyberfile.diagnostics.diagnostic import Diagnostic, Severity
from cyberfile.diagnostics.rules import RULES
from cyberfile.report.model import Report, display_path

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def _result(diagnostic: Diagnostic, index: dict[str, int]) -> dict[str, Any]:
    text = diagnostic.message + (f" Hint: {diagnostic.hint}" if diagnostic.hint else "")
    result: dict[str, Any] = {
        "ruleId": diagnostic.code,
        "level": _LEVEL[diagnostic.severity],
        "message": {"text": text},
    }
    if diagnostic.code in index:
        result["ruleIndex"] = index[diagnostic.code]
    if diagnostic.waived is not None:
        waived = diagnostic.waived
        # SARIF 2.1.0 §3.35: a suppressed result stays in the log; code scanning shows it
        # as dismissed with this justification
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": (
                    f"{waived.reason} (approved by {waived.approved_by}; waiver until "
                    f"{waived.until.isoformat()})"
                ),
            }
        ]
    pos = diagnostic.position
    if pos is not None:
        result["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": display_path(pos.file)},
                    "region": {"startLine": pos.line, "startColumn": pos.column},
                }
            }
        ]
    return result


def _automation_id(report: Report) -> str:
    """The run's category for code scanning (which lets it take precedence over an upload's
    own `category`): per command, and per project when the log is about one, so that the
    uploads of several devices in one repository never replace each other's alerts."""
    if len(report.projects) == 1:
        name = report.projects[0].root.resolve().name
        return f"cyberfile/{report.command}/{name}/"
    return f"cyberfile/{report.command}/"


def render(report: Report) -> str:
    ran = report.all_rules()
    found = sorted({d.code for d in report.all()} - set(ran))
    rules = [RULES[code] for code in (*ran, *found)]
    index = {rule.code: i for i, rule in enumerate(rules)}
    driver = {
        "name": "cyberfile",
        "version": __version__,
        "informationUri": "https://github.com/cyberfile/cyberfile",
        "rules": [
            {
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "help": {"text": f"Fix: {rule.hint}. Example:\n{rule.example}"},
                "defaultConfiguration": {"level": _LEVEL[rule.severity]},
            }
            for rule in rules
        ],
    }
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver},
                "automationDetails": {"id": _automation_id(report)},
                "results": [_result(d, index) for d in report.all()],
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
