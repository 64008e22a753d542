"""What the recorded tests establish, counted from tests.yaml only (premarket guidance §V.C).

The testing document prints these sentences instead of fixed text: each one counts what
the data records (results, the version each test ran against, findings and their status,
performer independence), and says so where something is not recorded. None of them claims
more than that: a test without recorded findings is reported as such, never as a test that
found nothing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from cyberfile.check.traceability import finding_unjustified
from cyberfile.model.project import Project
from cyberfile.model.testing import SecurityTest, TestFinding
from cyberfile.model.vocabulary import FindingSeverity, FindingStatus, TestResult


def _plural(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else (plural or noun + 's')}"


def _by_severity(findings: list[TestFinding]) -> str:
    counts = Counter(f.severity for f in findings)
    return ", ".join(f"{counts[s]} {s.value}" for s in FindingSeverity if counts[s])


@dataclass(frozen=True)
class FindingRow:
    """One finding of one test, for the documents and the matrices."""

    test: str
    finding: str
    title: str
    severity: str
    status: str
    rationale: str
    tracked_in: str
    gap: str
    """What is missing: a rationale when the finding is not fixed."""


def finding_rows(project: Project) -> list[FindingRow]:
    rows = []
    for test in project.tests.tests:
        for f in test.findings:
            rows.append(
                FindingRow(
                    test.id,
                    f.id,
                    f.title,
                    f.severity.value,
                    f.status.value,
                    f.rationale or "",
                    f.tracked_in or "",
                    "not fixed and no rationale" if finding_unjustified(f) else "",
                )
            )
    return rows


def version_note(test: SecurityTest, version: str) -> str:
    """The version a test ran against, compared with the version under submission."""
    if test.version_tested is None:
        return f"not recorded (the version under submission is {version})"
    if test.version_tested == version:
        return f"{version}, the version under submission"
    return f"tested {test.version_tested}; the version under submission is {version}"


def independence(test: SecurityTest) -> str:
    """Whether the performer is independent, as recorded (not assumed from a default)."""
    if test.performer is None:
        return "performer not recorded"
    if "independent" not in test.performer.model_fields_set:
        return "independence not recorded"
    return "independent" if test.performer.independent else "not independent"


_INDEPENDENCE = (
    "independent",
    "not independent",
    "independence not recorded",
    "performer not recorded",
)


@dataclass(frozen=True)
class TestingSummary:
    results: str
    versions: str
    findings: str
    independence: str
    version_differs: tuple[str, ...]
    """Ids of tests that record a version other than the one under submission."""

    @property
    def lines(self) -> tuple[str, ...]:
        return (self.results, self.versions, self.findings, self.independence)


def testing_summary(project: Project) -> TestingSummary:
    tests = project.tests.tests
    version = project.manifest.device.version
    total = len(tests)
    if not tests:
        none = "No tests are recorded in tests.yaml."
        return TestingSummary(none, "", "", "", ())

    results = Counter(t.result for t in tests)
    results_line = (
        f"{_plural(total, 'test')} recorded: "
        + ", ".join(f"{results[r]} {r.value}" for r in TestResult if results[r])
        + "."
    )

    same = [t for t in tests if t.version_tested == version]
    unrecorded = [t for t in tests if t.version_tested is None]
    other = [t for t in tests if t.version_tested not in (None, version)]
    parts = []
    if same:
        parts.append(
            f"{_plural(len(same), 'test')} ran against {version}, the version under submission"
        )
    else:
        parts.append(f"no test records that it ran against {version}, the version under submission")
    if other:
        counts = Counter(t.version_tested for t in other)
        listed = "; ".join(f"{v}: {n}" for v, n in sorted(counts.items()))
        parts.append(f"{_plural(len(other), 'test')} ran against another version ({listed})")
    if unrecorded:
        parts.append(
            f"{_plural(len(unrecorded), 'test does', 'tests do')} not record the version tested"
        )
    versions_line = "Version tested: " + "; ".join(parts) + "."

    findings = [f for t in tests for f in t.findings]
    with_findings = [t for t in tests if t.findings]
    not_fixed = [f for f in findings if f.status is not FindingStatus.FIXED]
    if not findings:
        findings_line = (
            f"No findings are recorded for any of the {_plural(total, 'test')}. This means "
            "that none were recorded in tests.yaml, not that none exist."
        )
    else:
        findings_line = (
            f"{_plural(len(findings), 'finding')} recorded in {len(with_findings)} of "
            f"{_plural(total, 'test')}: "
        )
        if not_fixed:
            findings_line += (
                f"{len(not_fixed)} not fixed ({_by_severity(not_fixed)}), "
                f"{len(findings) - len(not_fixed)} fixed."
            )
        else:
            findings_line += f"all {len(findings)} recorded as fixed."
        unjustified = [f for f in not_fixed if finding_unjustified(f)]
        if unjustified:
            findings_line += (
                f" {_plural(len(unjustified), 'finding')} not fixed "
                f"{'has' if len(unjustified) == 1 else 'have'} no rationale."
            )
        silent = total - len(with_findings)
        if silent:
            findings_line += (
                f" {_plural(silent, 'test records', 'tests record')} no findings: none were "
                "recorded, which does not mean that none exist."
            )

    states = Counter(independence(t) for t in tests)
    independence_line = (
        "Performer independence, as recorded: "
        + ", ".join(f"{states[s]} {s}" for s in _INDEPENDENCE if states[s])
        + "."
    )

    return TestingSummary(
        results_line,
        versions_line,
        findings_line,
        independence_line,
        tuple(t.id for t in other),
    )
