"""Traceability gaps (CF200-CF207): threat -> control -> requirement -> test, and more."""

from __future__ import annotations

from collections.abc import Iterator

from cyberfile.check.index import position
from cyberfile.diagnostics import rules
from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.load.yamlsource import SourceMap
from cyberfile.model.project import Project
from cyberfile.model.vocabulary import TestResult, ViewType


def check_traceability(project: Project, sources: dict[str, SourceMap]) -> Iterator[Diagnostic]:
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

    yield from _unused_components(project, sources)

    present = {view.type for view in project.architecture.views}
    omitted = project.architecture.omitted_views
    for view_type in ViewType:
        if view_type not in present and view_type not in omitted:
            where = position(sources, "architecture", ("views",)) or position(
                sources, "architecture", ()
            )
            yield rules.VIEW_MISSING(
                where,
                f"no {view_type.value} view, and omitted_views does not explain why",
            )


def _unused_components(project: Project, sources: dict[str, SourceMap]) -> Iterator[Diagnostic]:
    depends = {c.ref: c.depends_on for c in project.sbom.components}
    used: set[str] = set()
    pending = [ref for asset in project.architecture.assets for ref in asset.components]
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
