"""JUnit XML for CI test reports: per project a test suite; per rule a passing test case
when it found nothing, else one test case per finding. Errors are failures; warnings
are failures only with --fail-on warning, otherwise passing cases with the text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from cyberfile.diagnostics.diagnostic import Diagnostic, Severity
from cyberfile.diagnostics.rules import RULES
from cyberfile.report.model import Report, display_path


def _where(diagnostic: Diagnostic) -> str:
    pos = diagnostic.position
    return f"{display_path(pos.file)}:{pos.line}" if pos else "project"


def _suite(
    name: str,
    diagnostics: Sequence[Diagnostic],
    ran: tuple[str, ...],
    report: Report,
    fail_on: Severity,
) -> ET.Element:
    suite = ET.Element("testsuite", name=name)
    found: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        found.setdefault(diagnostic.code, []).append(diagnostic)
    failures = tests = 0
    # every rule that ran, then (defensively) any finding of a rule not listed as run
    codes = [*ran, *sorted(set(found) - set(ran))]
    for rule in [RULES[code] for code in codes]:
        classname = f"cyberfile.{report.command}.{rule.code}"
        hits = found.pop(rule.code, [])
        if not hits:
            ET.SubElement(suite, "testcase", classname=classname, name=f"{rule.code} {rule.name}")
            tests += 1
        for diagnostic in hits:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=classname,
                name=f"{rule.code} {rule.name} at {_where(diagnostic)}",
            )
            tests += 1
            text = f"{_where(diagnostic)}: {diagnostic.message}"
            if diagnostic.hint:
                text += f"\nhint: {diagnostic.hint}"
            if diagnostic.waived is not None:
                waived = diagnostic.waived
                ET.SubElement(case, "system-out").text = (
                    f"waived until {waived.until.isoformat()} (approved by "
                    f"{waived.approved_by}: {waived.reason}): {text}"
                )
            elif diagnostic.severity.rank >= fail_on.rank:
                failure = ET.SubElement(
                    case, "failure", type=diagnostic.severity.value, message=diagnostic.message
                )
                failure.text = text
                failures += 1
            else:
                ET.SubElement(case, "system-out").text = f"warning: {text}"
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    return suite


def render(report: Report) -> str:
    fail_on = report.options.fail_on
    root = ET.Element("testsuites", name=f"cyberfile {report.command}")
    if report.general:
        root.append(_suite("cyberfile", report.general, report.rules, report, fail_on))
    for project in report.projects:
        root.append(
            _suite(display_path(project.root), project.diagnostics, project.rules, report, fail_on)
        )
    totals = [int(s.get("tests", "0")) for s in root], [int(s.get("failures", "0")) for s in root]
    root.set("tests", str(sum(totals[0])))
    root.set("failures", str(sum(totals[1])))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
