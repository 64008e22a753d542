"""What changed between two versions of a project, item by item (`cyberfile diff`), and
which fields of one item differ from a reviewed version (drift CF500).

Everything here compares loaded models, never text: key order, quoting, comments, flow
or block style and the file an item lives in are not changes. An item's content is what
its review fingerprint covers (`cyberfile.check.fingerprint`): the validated model data
without its `reviewed` stamp, a value equal to its default counting as absent. Two
items differ exactly when that content differs.

Rules:

- Field names are YAML paths as a user writes them: `protocol`,
  `post_mitigation.severity`, `findings[2].status`, `hashes.sha256`. A list of scalars
  (or of lists) is compared as one value. A list of mappings that each carry a unique
  `id` is compared entry by entry, matched by id (the index is the entry's position in
  the newer version, or in the older one for an entry removed; an entry whose id changed
  at the same position is compared field by field, `requirements[0].id`; a new order
  of the same ids is one change of the list, shown as the ids before and after). A list
  of mappings without ids is compared entry by entry when its length did not change,
  otherwise as one value. Absent is None; an absent value that has a default on the side
  where its mapping exists shows that default (`multi_patient_harm: true -> false`).
- An item removed and an item added of the same kind whose content is identical apart
  from the id (and the `reviewed` stamp) is a rename, when exactly one removed item and
  one added item share that content; otherwise they stay a removal and an addition.
- `references` of an item are the items it names directly (the references the review
  fingerprint covers, in the older and the newer version) that were added, removed,
  renamed or changed in content. An item unchanged itself is listed (status `changed`,
  no fields) when such a reference changed and its kind carries a review stamp: its
  review no longer covers what it references.
- Components (identified by `ref`) are reported in `ProjectChanges.components` only, not
  among `items`. A component whose ref is the same and whose version differs is
  upgraded (or downgraded, when the versions order the other way). A component removed
  and one added are one component when their content is identical apart from the ref
  (renamed), or when they are the same package in the same SBOMs: the same purl without
  version and qualifiers (`package_of(purl or ref)`), or, without a purl, the same
  group, name and supplier; and exactly one removed and one added component share that
  identity (first among components of the same SBOMs, then project-wide). Versions are
  ordered by the ecosystem of the purl when it has one the vulnerability database knows,
  otherwise by their runs of digits and letters; a version that does not order below the
  old one counts as an upgrade.
- An item id written twice (an invalid project) counts once, with its first occurrence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel

from cyberfile.check.fingerprint import _content
from cyberfile.model.evidence import EvidenceItem
from cyberfile.model.items import KINDS, SPECS, Item, ItemKind, Kind, items, referenced
from cyberfile.model.project import PARTS, Project
from cyberfile.model.purl import package_of, purl_parts
from cyberfile.model.sbom import SUPPORT_FACTS, Component
from cyberfile.model.testing import SecurityTest
from cyberfile.model.threats import Threat
from cyberfile.model.vocabulary import VulnerabilityStatus
from cyberfile.model.vulnerabilities import Vulnerability

JSON: TypeAlias = "bool | int | float | str | list[JSON] | dict[str, JSON] | None"

ItemStatus = Literal["added", "removed", "changed", "renamed"]
ComponentStatus = Literal["added", "removed", "upgraded", "downgraded", "renamed", "changed"]
VulnerabilityStatusChange = Literal[
    "newly known", "no longer listed", "newly fixed", "status changed", "changed"
]

MANIFEST_PART = "cyberfile.yaml"
POSTMARKET_PART = "postmarket.yaml"

VULNERABILITY_DATES = (
    "discovered",
    "assessed.on",
    "remediation.customer_communication",
    "remediation.fixed_on",
    "remediation.deployed_on",
)
"""The date fields of a vulnerability (`VulnerabilityChange.dates`)."""


@dataclass(frozen=True)
class FieldChange:
    """One value that differs: `field` is its YAML path; None is absent."""

    field: str
    before: JSON
    after: JSON

    @property
    def added(self) -> bool:
        return self.before is None and self.after is not None

    @property
    def removed(self) -> bool:
        return self.before is not None and self.after is None


@dataclass(frozen=True)
class ItemChange:
    kind: Kind
    ident: str
    """The id in the newer version (the older one for a removed item)."""
    status: ItemStatus
    fields: tuple[FieldChange, ...] = ()
    """What differs in the item itself (none for added, removed and renamed items)."""
    renamed_from: str | None = None
    references: tuple[str, ...] = ()
    """Ids of the items it references that were added, removed, renamed or changed."""
    title: str | None = None
    """Its title, name or text (requirements), for people."""


@dataclass(frozen=True)
class ComponentChange:
    ref: str
    """The ref in the newer version (the older one for a removed component)."""
    name: str
    status: ComponentStatus
    version_before: str | None = None
    version_after: str | None = None
    support: tuple[FieldChange, ...] = ()
    """Changes of the support facts (support, end_of_support, support_evidence,
    replacement_plan, justification), after support rules are applied."""
    fields: tuple[FieldChange, ...] = ()
    """Other changes, without ref and version (and, for a new version, without the purl
    and CPE changes that only replace the version)."""
    ref_before: str | None = None
    """The older ref, when a component upgraded, renamed or changed under a new ref."""


@dataclass(frozen=True)
class Rating:
    exploitability: str
    severity: str
    acceptable: bool
    """Under the risk acceptance matrix of the same version of the project."""


@dataclass(frozen=True)
class RiskChange:
    """A threat's risk ratings before and after, when one of them changed (its
    acceptability included)."""

    threat: str
    status: ItemStatus
    initial_before: Rating | None
    initial_after: Rating | None
    residual_before: Rating | None
    residual_after: Rating | None
    title: str | None = None
    renamed_from: str | None = None


@dataclass(frozen=True)
class VulnerabilityChange:
    ident: str
    components: tuple[str, ...]
    status: VulnerabilityStatusChange
    before_state: str | None
    """`status` in the older version (under_investigation, affected, ...), None if absent."""
    after_state: str | None
    before_risk: str | None
    """controlled | uncontrolled | not_assessed (Project.risk_control), None if absent."""
    after_risk: str | None
    known_exploited: bool = False
    discovered: str | None = None
    fixed_in: str | None = None
    fixed_on: str | None = None
    dates: tuple[FieldChange, ...] = ()
    """The date fields that changed (VULNERABILITY_DATES)."""
    fields: tuple[FieldChange, ...] = ()
    """Every field that changed, dates and status included."""
    renamed_from: str | None = None


@dataclass(frozen=True)
class EvidenceChange:
    """An evidence item renewed: its date, digest or file changed."""

    ident: str
    title: str | None
    performed_before: str
    performed_after: str
    sha256_before: str | None
    sha256_after: str | None
    file_before: str | None
    file_after: str | None
    renamed_from: str | None = None


@dataclass(frozen=True)
class TestResultChange:
    """A test whose result or run date changed."""

    ident: str
    title: str | None
    result_before: str
    result_after: str
    performed_before: str | None
    performed_after: str | None
    renamed_from: str | None = None

    __test__ = False  # not a pytest test class


@dataclass(frozen=True)
class PartChange:
    """Changed values of a part outside its identified items (the manifest, the
    postmarket plan, labeling, the threat model's methodology, ...)."""

    part: str
    """Named like its file: `cyberfile.yaml`, `postmarket.yaml`, `labeling.yaml`."""
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class ProjectChanges:
    items: tuple[ItemChange, ...] = ()
    """Every kind of item but components, by kind (in the order of KINDS), then id."""
    components: tuple[ComponentChange, ...] = ()
    risks: tuple[RiskChange, ...] = ()
    vulnerabilities: tuple[VulnerabilityChange, ...] = ()
    evidence: tuple[EvidenceChange, ...] = ()
    tests: tuple[TestResultChange, ...] = ()
    manifest: PartChange = field(default_factory=lambda: PartChange(MANIFEST_PART))
    postmarket: PartChange = field(default_factory=lambda: PartChange(POSTMARKET_PART))
    parts: tuple[PartChange, ...] = ()
    """The other parts' values outside their items, for parts where some changed."""
    version_before: str = ""
    """The device version (`device.version`) of each side."""
    version_after: str = ""

    @property
    def is_empty(self) -> bool:
        return not (
            self.items
            or self.components
            or self.risks
            or self.vulnerabilities
            or self.evidence
            or self.tests
            or self.manifest.fields
            or self.postmarket.fields
            or self.parts
        )

    @property
    def counts(self) -> dict[str, int]:
        """How many of each: items and components added, removed, changed (in their own
        content), renamed; items unchanged whose references changed; components upgraded
        (or downgraded); risk ratings, vulnerabilities, evidence renewed, test results,
        and values of the parts outside items changed."""
        out = dict.fromkeys(("added", "removed", "changed", "renamed", "upgraded"), 0)
        out["references_changed"] = 0
        for item in self.items:
            if item.status == "changed" and not item.fields:
                out["references_changed"] += 1
            else:
                out[item.status] += 1
        for component in self.components:
            status = "upgraded" if component.status == "downgraded" else component.status
            out[status] += 1
        out["risk_ratings"] = len(self.risks)
        out["vulnerabilities"] = len(self.vulnerabilities)
        out["evidence_renewed"] = len(self.evidence)
        out["test_results"] = len(self.tests)
        out["settings"] = sum(len(p.fields) for p in (self.manifest, self.postmarket, *self.parts))
        return out


# ---------------------------------------------------------------------------------------
# Field by field


class _Absent:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<absent>"


_ABSENT: Any = _Absent()


def _full(model: BaseModel, include: set[str] | None = None) -> dict[str, Any]:
    """Every value, defaults included: what an absent value shows as."""
    return model.model_dump(mode="json", by_alias=True, exclude={"reviewed"}, include=include)


def _shown(value: Any, fallback: Any) -> JSON:
    shown = fallback if value is _ABSENT else value
    if shown is _ABSENT or shown in ([], {}):
        return None
    result: JSON = shown
    return result


def _mapping(value: Any) -> bool:
    return value is _ABSENT or value is None or isinstance(value, dict)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _walk(path: str, a: Any, b: Any, fa: Any, fb: Any, out: list[FieldChange]) -> None:
    """Compare content values `a`, `b` (possibly _ABSENT) at `path`; `fa`, `fb` are the
    same values with defaults, shown where the content has none."""
    if a is b or a == b:
        return
    if _mapping(a) and _mapping(b) and (isinstance(a, dict) or isinstance(b, dict)):
        da: dict[str, Any] = a if isinstance(a, dict) else {}
        db: dict[str, Any] = b if isinstance(b, dict) else {}
        ga: dict[str, Any] = fa if isinstance(fa, dict) else {}
        gb: dict[str, Any] = fb if isinstance(fb, dict) else {}
        for key in dict.fromkeys([*ga, *gb, *da, *db]):  # in the order of the model
            _walk(
                _join(path, key),
                da.get(key, _ABSENT),
                db.get(key, _ABSENT),
                ga.get(key, _ABSENT),
                gb.get(key, _ABSENT),
                out,
            )
        return
    if _list(a) and _list(b) and _entries(a, b, fa, fb, path, out):
        return
    before, after = _shown(a, fa), _shown(b, fb)
    if before != after:
        out.append(FieldChange(path, before, after))


def _list(value: Any) -> bool:
    return value is _ABSENT or value is None or isinstance(value, list)


def _ids(entries: list[Any]) -> list[str] | None:
    ids = [e.get("id") if isinstance(e, dict) else None for e in entries]
    if all(isinstance(i, str) for i in ids) and len(set(ids)) == len(ids):
        return ids  # type: ignore[return-value]
    return None


def _entries(a: Any, b: Any, fa: Any, fb: Any, path: str, out: list[FieldChange]) -> bool:
    """Lists of mappings compared entry by entry; False when they are compared whole."""
    la: list[Any] = a if isinstance(a, list) else []
    lb: list[Any] = b if isinstance(b, list) else []
    if not all(isinstance(e, dict) for e in (*la, *lb)):
        return False
    ga: list[Any] = fa if isinstance(fa, list) and len(fa) == len(la) else la
    gb: list[Any] = fb if isinstance(fb, list) and len(fb) == len(lb) else lb
    ids_a, ids_b = _ids(la), _ids(lb)
    if ids_a is None or ids_b is None:
        if len(la) != len(lb):
            return False
        for index, (x, y) in enumerate(zip(la, lb, strict=True)):
            _walk(f"{path}[{index}]", x, y, ga[index], gb[index], out)
        return True
    at_a = {ident: i for i, ident in enumerate(ids_a)}
    at_b = {ident: j for j, ident in enumerate(ids_b)}
    common_a = [i for i in ids_a if i in at_b]
    common_b = [i for i in ids_b if i in at_a]
    if common_a != common_b:
        out.append(FieldChange(path, list(ids_a), list(ids_b)))
    gone = {i for i, ident in enumerate(ids_a) if ident not in at_b}
    new = {j for j, ident in enumerate(ids_b) if ident not in at_a}
    paired = gone & new  # an entry whose id changed in place
    for j, ident in enumerate(ids_b):
        i = at_a.get(ident, j if j in paired else None)
        if i is None:
            out.append(FieldChange(f"{path}[{j}]", None, _shown(lb[j], gb[j])))
        else:
            _walk(f"{path}[{j}]", la[i], lb[j], ga[i], gb[j], out)
    for i in sorted(gone - paired):
        out.append(FieldChange(f"{path}[{i}]", _shown(la[i], ga[i]), None))
    return True


def _fields(a: BaseModel, b: BaseModel, include: set[str] | None = None) -> tuple[FieldChange, ...]:
    if include is None:
        ca, cb = _content(a), _content(b)
    else:
        ca = a.model_dump(mode="json", by_alias=True, include=include, exclude_defaults=True)
        cb = b.model_dump(mode="json", by_alias=True, include=include, exclude_defaults=True)
    if ca == cb:
        return ()
    out: list[FieldChange] = []
    _walk("", ca, cb, _full(a, include), _full(b, include), out)
    return tuple(out)


def item_fields(before: BaseModel, after: BaseModel) -> tuple[FieldChange, ...]:
    """The fields that differ between two versions of one item (its `reviewed` stamp
    aside): empty exactly when its review fingerprint content is the same."""
    if before is after or before == after:
        return ()
    return _fields(before, after)


# ---------------------------------------------------------------------------------------
# Items


Key: TypeAlias = tuple[Kind, str]


def _index(project: Project) -> dict[Kind, dict[str, Item]]:
    out: dict[Kind, dict[str, Item]] = {spec.kind: {} for spec in KINDS}
    for item in items(project):
        out[item.kind].setdefault(item.ident, item)
    return out


def _title(model: Any, ident: str) -> str | None:
    """Its title, name or text, unless that is its id (SBOMs are identified by name)."""
    for name in ("title", "name", "text"):
        value = getattr(model, name, None)
        if isinstance(value, str):
            return value if value != ident else None
    return None


def _rename_key(spec: ItemKind, model: BaseModel) -> str:
    content = _content(model)
    content.pop(spec.ident, None)
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _pairs_by(
    removed: Iterable[str], added: Iterable[str], key: Mapping[str, Any]
) -> dict[str, str]:
    """new id -> old id for the keys exactly one removed and one added item share."""
    old: dict[Any, list[str]] = {}
    new: dict[Any, list[str]] = {}
    for ident in removed:
        old.setdefault(key[ident], []).append(ident)
    for ident in added:
        new.setdefault(key[ident], []).append(ident)
    return {
        found[0]: old[k][0]
        for k, found in new.items()
        if len(found) == 1 and len(old.get(k, ())) == 1
    }


def _renames(spec: ItemKind, old: dict[str, Item], new: dict[str, Item]) -> dict[str, str]:
    removed = [i for i in old if i not in new]
    added = [i for i in new if i not in old]
    if not removed or not added:
        return {}
    keys = {i: _rename_key(spec, old[i].model) for i in removed}
    keys.update({i: _rename_key(spec, new[i].model) for i in added})
    return _pairs_by(removed, added, keys)


@dataclass
class _KindChanges:
    changed: dict[str, tuple[FieldChange, ...]]
    """id (in both) -> fields that differ."""
    added: list[str]
    removed: list[str]
    renamed: dict[str, str]
    """new id -> old id."""


def _compare(spec: ItemKind, old: dict[str, Item], new: dict[str, Item]) -> _KindChanges:
    changed: dict[str, tuple[FieldChange, ...]] = {}
    for ident, item in new.items():
        before = old.get(ident)
        if before is None:
            continue
        fields = item_fields(before.model, item.model)
        if fields:
            changed[ident] = fields
    renamed = _renames(spec, old, new)
    was = set(renamed.values())
    added = [i for i in new if i not in old and i not in renamed]
    removed = [i for i in old if i not in new and i not in was]
    return _KindChanges(changed, added, removed, renamed)


def _targets(item: Item, touched: set[Key]) -> set[str]:
    return {
        target
        for ref_field, _path, target in referenced(item)
        if any((kind, target) in touched for kind in ref_field.allowed)
    }


def id_order(ident: str) -> tuple[tuple[tuple[int, int | str], ...], str]:
    """Ids in natural order (THR-2 before THR-10), then as written."""
    return _natural(ident), ident


def _order(kind: Kind) -> int:
    return _KIND_ORDER[kind]


_KIND_ORDER = {spec.kind: index for index, spec in enumerate(KINDS)}


# ---------------------------------------------------------------------------------------
# Components

_NATURAL = re.compile(r"(\d+)|([A-Za-z]+)")


def _natural(version: str) -> tuple[tuple[int, int | str], ...]:
    return tuple(
        (1, int(digits)) if digits else (0, letters.lower())
        for digits, letters in _NATURAL.findall(version)
    )


def _downgrade(component: Component, before: str, after: str) -> bool:
    """Whether `after` orders below `before` (see the module's rules)."""
    from cyberfile.vulndb.match import PURL_ECOSYSTEMS
    from cyberfile.vulndb.versions import UnparsableVersion, parse_version

    kind, _namespace = purl_parts(component.purl or component.ref)
    ecosystem = PURL_ECOSYSTEMS.get(kind or "")
    if ecosystem is not None:
        try:
            return bool(parse_version(ecosystem, after) < parse_version(ecosystem, before))
        except UnparsableVersion:
            pass
    return _natural(after) < _natural(before)


def _identity(component: Component) -> tuple[str, ...]:
    package = package_of(component.purl) or package_of(component.ref)
    if package is not None:
        return ("purl", package)
    return ("name", component.group or "", component.name, component.supplier or "")


def _sboms(project: Project) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for name, refs in project.sbom_members.items():
        for ref in refs:
            out.setdefault(ref, []).append(name)
    return {ref: tuple(sorted(set(names))) for ref, names in out.items()}


def _component_change(
    before: Component, after: Component, fields: tuple[FieldChange, ...]
) -> ComponentChange:
    vb, va = before.version, after.version
    new_version = vb != va and vb is not None and va is not None
    support: list[FieldChange] = []
    other: list[FieldChange] = []
    for change in fields:
        top = change.field.split(".", 1)[0].split("[", 1)[0]
        if top in SUPPORT_FACTS:
            support.append(change)
        elif top in ("ref", "version"):
            continue
        elif (
            new_version
            and isinstance(change.before, str)
            and isinstance(change.after, str)
            and change.before.replace(str(vb), str(va)) == change.after
        ):
            continue  # the purl or CPE of the new version
        else:
            other.append(change)
    status: ComponentStatus
    if new_version:
        status = "downgraded" if _downgrade(after, str(vb), str(va)) else "upgraded"
    elif before.ref != after.ref and not support and not other and vb == va:
        status = "renamed"
    else:
        status = "changed"
    return ComponentChange(
        ref=after.ref,
        name=after.name,
        status=status,
        version_before=vb,
        version_after=va,
        support=tuple(support),
        fields=tuple(other),
        ref_before=before.ref if before.ref != after.ref else None,
    )


def _components(
    base: Project, head: Project, old: dict[str, Item], new: dict[str, Item]
) -> tuple[list[ComponentChange], set[str]]:
    """The component changes, and the refs whose content changed (added, removed,
    changed: what references to components see)."""
    touched: set[str] = set()
    out: list[ComponentChange] = []
    for ref, item in new.items():
        before = old.get(ref)
        if before is None:
            touched.add(ref)
            continue
        fields = item_fields(before.model, item.model)
        if fields:
            touched.add(ref)
            out.append(_component_change(before.model, item.model, fields))
    removed = [r for r in old if r not in new]
    added = [r for r in new if r not in old]
    touched.update(removed)
    pairs: dict[str, str] = {}
    if removed and added:
        pairs = _renames(SPECS[Kind.COMPONENT], old, new)
        sboms_old, sboms_new = _sboms(base), _sboms(head)
        for project_wide in (False, True):
            left_old = [r for r in removed if r not in pairs.values()]
            left_new = [r for r in added if r not in pairs]
            keys: dict[str, Any] = {}
            for ref in left_old:
                keys[ref] = (_identity(old[ref].model), () if project_wide else sboms_old.get(ref))
            for ref in left_new:
                keys[ref] = (_identity(new[ref].model), () if project_wide else sboms_new.get(ref))
            pairs.update(_pairs_by(left_old, left_new, keys))
    for ref_new, ref_old in pairs.items():
        a, b = old[ref_old].model, new[ref_new].model
        out.append(_component_change(a, b, _fields(a, b)))
    was = set(pairs.values())
    for ref in added:
        if ref not in pairs:
            model = new[ref].model
            out.append(ComponentChange(ref, model.name, "added", version_after=model.version))
    for ref in removed:
        if ref not in was:
            model = old[ref].model
            out.append(ComponentChange(ref, model.name, "removed", version_before=model.version))
    out.sort(key=lambda c: (*id_order(c.ref), c.status))
    return out, touched


# ---------------------------------------------------------------------------------------
# Risk, vulnerabilities, evidence, tests


def _rating(project: Project, threat: Threat, residual: bool) -> Rating | None:
    rating = threat.post_mitigation if residual else threat.pre_mitigation
    if rating is None:
        return None
    acceptance = project.manifest.policy.risk_acceptance
    return Rating(
        rating.exploitability.value,
        rating.severity.value,
        acceptance.is_acceptable(rating.exploitability, rating.severity),
    )


def _risk(
    base: Project,
    head: Project,
    ident: str,
    before: Threat | None,
    after: Threat | None,
    renamed_from: str | None,
) -> RiskChange | None:
    ib = _rating(base, before, False) if before else None
    rb = _rating(base, before, True) if before else None
    ia = _rating(head, after, False) if after else None
    ra = _rating(head, after, True) if after else None
    if (ib, rb) == (ia, ra):
        return None
    status: ItemStatus = (
        "added"
        if before is None
        else "removed"
        if after is None
        else "renamed"
        if renamed_from
        else "changed"
    )
    shown = after or before
    title = shown.title if shown is not None else None
    return RiskChange(ident, status, ib, ia, rb, ra, title, renamed_from)


def _date(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _vulnerability(
    base: Project,
    head: Project,
    ident: str,
    before: Vulnerability | None,
    after: Vulnerability | None,
    fields: tuple[FieldChange, ...],
    renamed_from: str | None,
) -> VulnerabilityChange | None:
    state_b = before.status.value if before else None
    state_a = after.status.value if after else None
    risk_b = base.risk_control(before).value if before else None
    risk_a = head.risk_control(after).value if after else None
    status: VulnerabilityStatusChange
    if before is None:
        status = "newly known"
    elif after is None:
        status = "no longer listed"
    elif after.status is VulnerabilityStatus.FIXED and before.status is not after.status:
        status = "newly fixed"
    elif before.status is not after.status:
        status = "status changed"
    elif fields or risk_b != risk_a:
        status = "changed"
    else:
        return None
    shown = after or before
    assert shown is not None
    remediation = shown.remediation
    return VulnerabilityChange(
        ident=ident,
        components=tuple(shown.components),
        status=status,
        before_state=state_b,
        after_state=state_a,
        before_risk=risk_b,
        after_risk=risk_a,
        known_exploited=shown.known_exploited,
        discovered=_date(shown.discovered),
        fixed_in=remediation.fixed_in if remediation else None,
        fixed_on=_date(remediation.fixed_on) if remediation else None,
        dates=tuple(f for f in fields if f.field in VULNERABILITY_DATES),
        fields=fields,
        renamed_from=renamed_from,
    )


def _evidence(
    ident: str, before: EvidenceItem, after: EvidenceItem, renamed_from: str | None
) -> EvidenceChange | None:
    facts = (before.performed, before.sha256, before.file)
    if facts == (after.performed, after.sha256, after.file):
        return None
    return EvidenceChange(
        ident,
        after.title,
        before.performed.isoformat(),
        after.performed.isoformat(),
        before.sha256,
        after.sha256,
        before.file,
        after.file,
        renamed_from,
    )


def _test(
    ident: str, before: SecurityTest, after: SecurityTest, renamed_from: str | None
) -> TestResultChange | None:
    if (before.result, before.performed) == (after.result, after.performed):
        return None
    return TestResultChange(
        ident,
        after.title,
        before.result.value,
        after.result.value,
        _date(before.performed),
        _date(after.performed),
        renamed_from,
    )


def _parts(base: Project, head: Project) -> list[PartChange]:
    """Values of the parts outside their item lists (postmarket has its own field)."""
    listed = {(spec.part, spec.key) for spec in KINDS if spec.inside is None}
    out: list[PartChange] = []
    for part in PARTS:
        if part.name == "postmarket":
            continue
        a, b = getattr(base, part.name), getattr(head, part.name)
        names = [
            name
            for name, info in type(a).model_fields.items()
            if (part.name, info.alias or name) not in listed and (part.name, name) not in listed
        ]
        if all(getattr(a, n) == getattr(b, n) for n in names):
            continue
        fields = _fields(a, b, set(names))
        if fields:
            out.append(PartChange(f"{part.name}.yaml", fields))
    return out


# ---------------------------------------------------------------------------------------


def diff_projects(base: Project, head: Project) -> ProjectChanges:
    """What changed from `base` to `head` (see the module's rules)."""
    old_all, new_all = _index(base), _index(head)
    per_kind: dict[Kind, _KindChanges] = {}
    touched: set[Key] = set()
    components, touched_refs = _components(
        base, head, old_all[Kind.COMPONENT], new_all[Kind.COMPONENT]
    )
    touched.update((Kind.COMPONENT, ref) for ref in touched_refs)
    for spec in KINDS:
        if spec.kind is Kind.COMPONENT:
            continue
        found = _compare(spec, old_all[spec.kind], new_all[spec.kind])
        per_kind[spec.kind] = found
        for ident in (*found.changed, *found.added, *found.removed):
            touched.add((spec.kind, ident))
        for new_id, old_id in found.renamed.items():
            touched.update(((spec.kind, new_id), (spec.kind, old_id)))

    changes: list[ItemChange] = []
    for spec in KINDS:
        if spec.kind is Kind.COMPONENT:
            continue
        found = per_kind[spec.kind]
        old, new = old_all[spec.kind], new_all[spec.kind]
        for ident, item in new.items():
            status: ItemStatus | None = None
            renamed_from = found.renamed.get(ident)
            if ident in found.changed:
                status = "changed"
            elif renamed_from is not None:
                status = "renamed"
            elif ident not in old:
                status = "added"
            if status is None and not (touched and spec.reviewable and spec.references):
                continue
            targets = _targets(item, touched) if touched and spec.references else set()
            previous = old.get(renamed_from or ident)
            if status is not None and previous is not None and spec.references:
                targets |= _targets(previous, touched)
            targets.discard(ident)
            if status is None:
                if not targets:
                    continue
                status = "changed"
            changes.append(
                ItemChange(
                    spec.kind,
                    ident,
                    status,
                    found.changed.get(ident, ()),
                    renamed_from,
                    tuple(sorted(targets)),
                    _title(item.model, ident),
                )
            )
        for ident in found.removed:
            changes.append(
                ItemChange(spec.kind, ident, "removed", title=_title(old[ident].model, ident))
            )
    changes.sort(key=lambda c: (_order(c.kind), *id_order(c.ident)))

    risks: list[RiskChange] = []
    vulnerabilities: list[VulnerabilityChange] = []
    evidence: list[EvidenceChange] = []
    tests: list[TestResultChange] = []
    # ratings and risk control also change with the policy's acceptance matrix
    same_policy = base.manifest.policy == head.manifest.policy
    for kind in (Kind.THREAT, Kind.VULNERABILITY, Kind.EVIDENCE, Kind.TEST):
        found = per_kind[kind]
        old, new = old_all[kind], new_all[kind]
        every = kind in (Kind.THREAT, Kind.VULNERABILITY) and not same_policy
        for ident, before_id, renamed_from in _sides(old, new, found, every):
            b = old[before_id].model if before_id is not None else None
            a = new[ident].model if ident in new else None
            if kind is Kind.THREAT:
                risk = _risk(base, head, ident, b, a, renamed_from)
                if risk is not None:
                    risks.append(risk)
            elif kind is Kind.VULNERABILITY:
                fields = found.changed.get(ident, ())
                vuln = _vulnerability(base, head, ident, b, a, fields, renamed_from)
                if vuln is not None:
                    vulnerabilities.append(vuln)
            elif a is None or b is None:
                continue  # added and removed evidence and tests are among the items
            elif kind is Kind.EVIDENCE:
                renewed = _evidence(ident, b, a, renamed_from)
                if renewed is not None:
                    evidence.append(renewed)
            else:
                result = _test(ident, b, a, renamed_from)
                if result is not None:
                    tests.append(result)

    return ProjectChanges(
        items=tuple(changes),
        components=tuple(components),
        risks=tuple(sorted(risks, key=lambda r: id_order(r.threat))),
        vulnerabilities=tuple(sorted(vulnerabilities, key=lambda v: id_order(v.ident))),
        evidence=tuple(sorted(evidence, key=lambda e: id_order(e.ident))),
        tests=tuple(sorted(tests, key=lambda t: id_order(t.ident))),
        manifest=PartChange(MANIFEST_PART, item_fields(base.manifest, head.manifest)),
        postmarket=PartChange(POSTMARKET_PART, item_fields(base.postmarket, head.postmarket)),
        parts=tuple(_parts(base, head)),
        version_before=base.manifest.device.version,
        version_after=head.manifest.device.version,
    )


def _sides(
    old: dict[str, Item], new: dict[str, Item], found: _KindChanges, every: bool
) -> Iterator[tuple[str, str | None, str | None]]:
    """(id, id in the older version or None, renamed from) of the items of the newer
    version that changed, were added or renamed (`every`: of all of them), then (id, id,
    None) of every item removed."""
    for ident in new:
        renamed_from = found.renamed.get(ident)
        if renamed_from is not None:
            yield ident, renamed_from, renamed_from
        elif ident not in old:
            yield ident, None, None
        elif every or ident in found.changed:
            yield ident, ident, None
    for ident in found.removed:
        yield ident, ident, None
