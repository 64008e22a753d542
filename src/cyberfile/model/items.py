"""The kinds of identified item: where each lives, what identifies it, what it references,
and whether it can be reviewed. One declarative table (`KINDS`) that the index, the
reference checks, the review fingerprints and `cyberfile review` all read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cyberfile.diagnostics.position import PathKey
from cyberfile.model.project import Project


class Kind(StrEnum):
    ASSET = "asset"
    TRUST_BOUNDARY = "trust boundary"
    DATA_FLOW = "data flow"
    VIEW = "view"
    THREAT = "threat"
    CONTROL = "control"
    REQUIREMENT = "requirement"
    TEST = "test"
    EVIDENCE = "evidence item"
    ANOMALY = "anomaly"
    COMPONENT = "component"
    SBOM = "SBOM"
    SUPPORT_RULE = "support rule"
    VULNERABILITY = "vulnerability"


ANY_KIND = frozenset(Kind)


@dataclass(frozen=True)
class ReferenceField:
    """A field of an item that names other items."""

    name: str
    """As written in YAML (`from`); `findings.tracked_in` is a field of each entry of a list."""
    attribute: str
    """On the model (`from_`); a string, a tuple of strings, or None."""
    allowed: frozenset[Kind]


def _refs(name: str, *allowed: Kind, attribute: str | None = None) -> ReferenceField:
    return ReferenceField(name, attribute or name, frozenset(allowed))


@dataclass(frozen=True)
class ItemKind:
    kind: Kind
    plural: str
    """How documents and messages name several of them."""
    part: str
    """The project part (file or folder) it is written in."""
    key: str
    """The list in that part (for requirements: the list inside each control)."""
    ident: str = "id"
    """The field that identifies it (`ref` for components)."""
    references: tuple[ReferenceField, ...] = ()
    reviewable: bool = False
    """Carries a `reviewed` stamp (`cyberfile review`, drift CF500/CF501)."""
    inside: Kind | None = None
    """The kind whose items hold the list (requirements are inside controls)."""


KINDS: tuple[ItemKind, ...] = (
    ItemKind(
        Kind.ASSET,
        "assets",
        "architecture",
        "assets",
        references=(_refs("components", Kind.COMPONENT),),
        reviewable=True,
    ),
    ItemKind(
        Kind.TRUST_BOUNDARY,
        "trust boundaries",
        "architecture",
        "trust_boundaries",
        references=(_refs("assets", Kind.ASSET),),
    ),
    ItemKind(
        Kind.DATA_FLOW,
        "data flows",
        "architecture",
        "data_flows",
        references=(_refs("from", Kind.ASSET, attribute="from_"), _refs("to", Kind.ASSET)),
        reviewable=True,
    ),
    ItemKind(
        Kind.VIEW,
        "views",
        "architecture",
        "views",
        references=(_refs("elements", Kind.ASSET, Kind.DATA_FLOW, Kind.TRUST_BOUNDARY),),
        reviewable=True,
    ),
    ItemKind(
        Kind.THREAT,
        "threats",
        "threats",
        "threats",
        references=(
            _refs("targets", Kind.ASSET, Kind.DATA_FLOW),
            _refs("controls", Kind.CONTROL),
        ),
        reviewable=True,
    ),
    ItemKind(
        Kind.CONTROL,
        "controls",
        "controls",
        "controls",
        references=(_refs("implemented_in", Kind.ASSET),),
        reviewable=True,
    ),
    ItemKind(Kind.REQUIREMENT, "requirements", "controls", "requirements", inside=Kind.CONTROL),
    ItemKind(
        Kind.TEST,
        "tests",
        "tests",
        "tests",
        references=(
            _refs("verifies", Kind.REQUIREMENT, Kind.CONTROL),
            _refs("evidence", Kind.EVIDENCE),
            ReferenceField("findings.tracked_in", "findings.tracked_in", ANY_KIND),
        ),
        reviewable=True,
    ),
    ItemKind(
        Kind.EVIDENCE,
        "evidence items",
        "evidence",
        "evidence",
        references=(ReferenceField("covers", "covers", ANY_KIND),),
    ),
    ItemKind(
        Kind.ANOMALY,
        "anomalies",
        "anomalies",
        "anomalies",
        references=(_refs("found_by", Kind.TEST),),
    ),
    ItemKind(
        Kind.COMPONENT,
        "SBOM components",
        "sbom",
        "components",
        ident="ref",
        references=(_refs("depends_on", Kind.COMPONENT),),
    ),
    ItemKind(
        Kind.SBOM,
        "SBOMs",
        "sbom",
        "sources",
        ident="name",
        references=(_refs("asset", Kind.ASSET), _refs("shared", Kind.COMPONENT)),
    ),
    ItemKind(Kind.SUPPORT_RULE, "support rules", "sbom", "support_rules"),
    ItemKind(
        Kind.VULNERABILITY,
        "vulnerabilities",
        "vulnerabilities",
        "vulnerabilities",
        references=(_refs("components", Kind.COMPONENT), _refs("found_by", Kind.TEST)),
        reviewable=True,
    ),
)

SPECS: dict[Kind, ItemKind] = {spec.kind: spec for spec in KINDS}


@dataclass(frozen=True)
class Item:
    """One identified item of a project, where it is written, and its model."""

    spec: ItemKind
    ident: str
    path: PathKey
    """Path inside its part: ("controls", 3, "requirements", 1)."""
    model: Any

    @property
    def kind(self) -> Kind:
        return self.spec.kind

    @property
    def part(self) -> str:
        return self.spec.part


def _listed(spec: ItemKind, holder: Any, base: PathKey) -> Iterator[Item]:
    for index, model in enumerate(getattr(holder, spec.key)):
        yield Item(spec, str(getattr(model, spec.ident)), (*base, spec.key, index), model)


def items(project: Project) -> Iterator[Item]:
    """Every identified item, in the order of KINDS (nested lists after their holders).
    Listed once per project (a project is immutable): the checks ask several times."""
    listed: tuple[Item, ...] | None = project.__dict__.get("_items")
    if listed is None:
        listed = tuple(_all_items(project))
        object.__setattr__(project, "_items", listed)
    return iter(listed)


def _all_items(project: Project) -> Iterator[Item]:
    holders: dict[Kind, list[Item]] = {}
    for spec in KINDS:
        if spec.inside is None:
            found = list(_listed(spec, getattr(project, spec.part), ()))
        else:
            found = [
                item
                for holder in holders.get(spec.inside, [])
                for item in _listed(spec, holder.model, holder.path)
            ]
        holders[spec.kind] = found
        yield from found


def _values(model: Any, name: str, attribute: str, base: PathKey) -> Iterator[tuple[PathKey, str]]:
    if "." in attribute:  # a field of each entry of a list
        outer, inner = attribute.split(".", 1)
        for index, entry in enumerate(getattr(model, outer)):
            yield from _values(entry, inner.split(".")[0], inner, (*base, outer, index))
        return
    value = getattr(model, attribute)
    if isinstance(value, str):
        yield (*base, name), value
    elif value is not None:
        for index, target in enumerate(value):
            yield (*base, name, index), str(target)


def referenced(item: Item) -> Iterator[tuple[ReferenceField, PathKey, str]]:
    """The references an item makes: field, path of the value, the id it names."""
    for field in item.spec.references:
        for path, target in _values(item.model, field.name, field.attribute, item.path):
            yield field, path, target
