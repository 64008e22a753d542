"""Review fingerprints: what an item said, and what the items it references said, when it
was reviewed.

A fingerprint is `sha256:` + the SHA-256 of a canonical JSON document holding the item's
content and the content of every item it references directly (a threat's targets and
controls, a control's assets, a test's requirements, a vulnerability's components, ...).
Content is the validated model data, without any `reviewed` stamp and without values
equal to their defaults, with keys sorted. So the fingerprint does not change with key
order, quoting, comments, flow or block style, or the file an item lives in; it changes
when the item or anything it references says something different.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from cyberfile.check.references import references
from cyberfile.model.project import Project


@dataclass(frozen=True)
class Reviewable:
    ident: str
    kind: str
    part: str
    path: tuple[str | int, ...]
    item: Any
    """The model object; it has a `reviewed` field."""


def reviewables(project: Project) -> Iterator[Reviewable]:
    arch = project.architecture
    tables: list[tuple[str, str, str, tuple[Any, ...]]] = [
        ("asset", "architecture", "assets", arch.assets),
        ("data flow", "architecture", "data_flows", arch.data_flows),
        ("view", "architecture", "views", arch.views),
        ("threat", "threats", "threats", project.threats.threats),
        ("control", "controls", "controls", project.controls.controls),
        ("test", "tests", "tests", project.tests.tests),
        (
            "vulnerability",
            "vulnerabilities",
            "vulnerabilities",
            project.vulnerabilities.vulnerabilities,
        ),
    ]
    for kind, part, key, items in tables:
        for index, item in enumerate(items):
            yield Reviewable(item.id, kind, part, (key, index), item)


def _content(item: BaseModel) -> Any:
    return item.model_dump(mode="json", by_alias=True, exclude={"reviewed"}, exclude_defaults=True)


def _everything(project: Project) -> dict[str, BaseModel]:
    """Every referenceable item by id (components by ref)."""
    table: dict[str, BaseModel] = {}
    arch = project.architecture
    for group in (
        arch.assets,
        arch.trust_boundaries,
        arch.data_flows,
        arch.views,
        project.threats.threats,
        project.controls.controls,
        project.tests.tests,
        project.evidence.evidence,
        project.anomalies.anomalies,
    ):
        for item in group:
            table.setdefault(item.id, item)
    for control in project.controls.controls:
        for requirement in control.requirements:
            table.setdefault(requirement.id, requirement)
    for component in project.sbom.components:
        table.setdefault(component.ref, component)
    for vulnerability in project.vulnerabilities.vulnerabilities:
        table.setdefault(vulnerability.id, vulnerability)
    return table


class Fingerprints:
    """Fingerprints of a project's items, computed on demand."""

    def __init__(self, project: Project) -> None:
        self._items = _everything(project)
        self._refs: dict[str, set[str]] = {}
        for ref in references(project):
            self._refs.setdefault(ref.owner, set()).add(ref.target)

    def of(self, ident: str, item: BaseModel) -> str:
        document = {
            "item": _content(item),
            "references": {
                target: _content(self._items[target])
                for target in sorted(self._refs.get(ident, ()))
                if target in self._items
            },
        }
        text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
