"""Traceability gaps (CF200-CF208): threat -> control -> requirement -> test, and more.

An item that is invalid is left out of the model (its own error says why); what it
links to is still counted here, from `invalid` (the loader's `LoadResult.invalid`), so
that one mistake does not also show up as a gap: a test with a bad date still verifies
its requirements, an asset with a typo still uses its components, a view with a bad
element still is a view of its type. A threat or control that is invalid is dropped
whole with the links it names, so threat -> control and control -> requirement gaps
cannot come from an invalid item.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from cyberfile.check.index import position
from cyberfile.diagnostics import rules
from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.load.yamlsource import SourceMap
from cyberfile.model.project import Project
from cyberfile.model.testing import TestFinding
from cyberfile.model.vocabulary import FindingStatus, TestResult, ViewType

Invalid = Mapping[str, Mapping[str, Any]]
"""By part, what validation left out of the model, as written (`LoadResult.invalid`)."""


def _written(invalid: Invalid, part: str, key: str, field: str) -> Iterator[tuple[Any, str]]:
    """(item, text) for each text an invalid item of list `key` wrote under `field`."""
    items = invalid.get(part, {}).get(key)
    for item in items if isinstance(items, list) else ():
        value = item.get(field) if isinstance(item, dict) else None
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                yield item, text


def finding_unjustified(finding: TestFinding) -> bool:
    """Not fixed and no rationale (CF208): guidance §V.C asks for a rationale and a
    release plan for every finding not fixed."""
    return finding.status is not FindingStatus.FIXED and not finding.rationale


_VIEW_TYPES = {v.value: v for v in ViewType}


def _view_types(texts: Iterable[Any]) -> set[ViewType]:
    return {_VIEW_TYPES[t] for t in texts if isinstance(t, str) and t in _VIEW_TYPES}


def check_traceability(
    project: Project, sources: dict[str, SourceMap], invalid: Invalid | None = None
) -> Iterator[Diagnostic]:
    invalid = invalid or {}
    for i, threat in enumerate(project.threats.threats):
        here = position(sources, "threats", ("threats", i))
        if not threat.controls:
            yield rules.THREAT_WITHOUT_CONTROL(here, f"{threat.id} names no mitigating control")
        if project.residual_risk_acceptable(threat) is False and not threat.residual_risk_rationale:
            rating = threat.post_mitigation
            assert rating is not None
            yield rules.RESIDUAL_RISK_UNJUSTIFIED(
                position(sources, "threats", ("threats", i, "post_mitigation")),
                f"{threat.id}: residual risk ({rating.exploitability} exploitability, "
                f"{rating.severity} severity) is not acceptable under the policy and has no "
                "residual_risk_rationale",
            )

    verified: set[str] = set()
    for test in project.tests.tests:
        verified.update(test.verifies)
    verified.update(text for _, text in _written(invalid, "tests", "tests", "verifies"))
    for i, control in enumerate(project.controls.controls):
        if not control.requirements:
            yield rules.CONTROL_WITHOUT_REQUIREMENT(
                position(sources, "controls", ("controls", i)),
                f"{control.id} has no requirements",
            )
        for j, requirement in enumerate(control.requirements):
            if requirement.id not in verified:
                yield rules.REQUIREMENT_NOT_VERIFIED(
                    position(sources, "controls", ("controls", i, "requirements", j)),
                    f"{requirement.id} ({control.id}) is verified by no test",
                )

    for i, test in enumerate(project.tests.tests):
        where = position(sources, "tests", ("tests", i, "result"))
        if test.result is TestResult.FAIL:
            yield rules.TEST_FAILED(where, f"{test.id} failed")
        elif test.result in (TestResult.BLOCKED, TestResult.NOT_RUN):
            yield rules.TEST_NOT_PERFORMED(where, f"{test.id} is {test.result.value}")
        for j, finding in enumerate(test.findings):
            if finding_unjustified(finding):
                yield rules.TEST_FINDING_UNJUSTIFIED(
                    position(sources, "tests", ("tests", i, "findings", j)),
                    f"{test.id}: finding {finding.id} ({finding.severity.value}, "
                    f"{finding.status.value}) is not fixed and has no rationale",
                )

    yield from _unused_components(project, sources, invalid)

    present = {view.type for view in project.architecture.views}
    present |= _view_types(t for _, t in _written(invalid, "architecture", "views", "type"))
    omitted = set(project.architecture.omitted_views)
    dropped_omitted = invalid.get("architecture", {}).get("omitted_views")
    if isinstance(dropped_omitted, dict):
        omitted |= _view_types(dropped_omitted)
    for view_type in ViewType:
        if view_type not in present and view_type not in omitted:
            where = position(sources, "architecture", ("views",)) or position(
                sources, "architecture", ()
            )
            yield rules.VIEW_MISSING(
                where,
                f"no {view_type.value} view, and omitted_views does not explain why",
            )


def _unused_components(
    project: Project, sources: dict[str, SourceMap], invalid: Invalid
) -> Iterator[Diagnostic]:
    depends: dict[str, list[str]] = {c.ref: list(c.depends_on) for c in project.sbom.components}
    for item, text in _written(invalid, "sbom", "components", "depends_on"):
        ref = item.get("ref")
        if isinstance(ref, str):
            depends.setdefault(ref, []).append(text)
    used: set[str] = set()
    pending = [ref for asset in project.architecture.assets for ref in asset.components]
    assets = {asset.id for asset in project.architecture.assets}
    for source in project.sbom.sources:
        if source.asset in assets and source.name is not None:
            # a whole SBOM imported for an asset: every component of it is used by it
            pending.extend(project.sbom_members.get(source.name, ()))
    pending.extend(text for _, text in _written(invalid, "architecture", "assets", "components"))
    while pending:
        ref = pending.pop()
        if ref in used:
            continue
        used.add(ref)
        pending.extend(depends.get(ref, ()))
    for i, component in enumerate(project.sbom.components):
        if component.ref not in used:
            yield rules.COMPONENT_UNUSED(
                position(sources, "sbom", ("components", i)),
                f"{component.ref} is used by no asset",
            )
