"""Merge an imported CycloneDX SBOM into `sbom.yaml`, keeping the team's annotations.

Fields the SBOM owns (type, name, group, version, supplier, purl, hashes, licenses,
depends_on) follow the imported file; `type` is written only when it is not `library`
(the default), so files of library-only SBOMs keep their shape. Fields the team owns
(support, end_of_support, support_evidence, replacement_plan, justification, and every
comment) are kept. A value the SBOM does not state (say, a supplier) never erases one
written by hand.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from cyberfile.edit.roundtrip import ensure_list
from cyberfile.model.purl import package_of
from cyberfile.sbom.cyclonedx_read import ImportedComponent, ImportedSbom

SBOM_OWNED = (
    "name",
    "group",
    "version",
    "supplier",
    "purl",
    "cpe",
    "hashes",
    "licenses",
    "depends_on",
)


@dataclass
class MergeReport:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    version_changed: list[tuple[str, str]] = field(default_factory=list)
    """(old ref, new ref)."""
    updated: list[tuple[str, list[str]]] = field(default_factory=list)
    """(ref, fields that changed)."""
    shared: list[tuple[str, str]] = field(default_factory=list)
    """(ref, SBOM): components of this SBOM written in another SBOM's file."""
    unchanged: int = 0
    removed_entries: dict[str, CommentedMap] = field(default_factory=dict)
    """The entries `removed` names, as they were written (with their annotations)."""

    @property
    def renamed(self) -> dict[str, str]:
        return dict(self.version_changed)


def _versionless(ref: str, purl: str | None) -> str | None:
    return package_of(purl or ref)


def _flow(items: list[str]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _sbom_value(component: ImportedComponent, key: str) -> object:
    value = getattr(component, key)
    if key in ("licenses", "depends_on"):
        return list(value)
    if key == "hashes":
        return dict(sorted(value.items()))
    return value


def _plain(value: object) -> object:
    if isinstance(value, CommentedMap | dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, CommentedSeq | list | tuple):
        return [_plain(v) for v in value]
    return value


DEFAULT_TYPE = "library"
"""The component type sbom.yaml leaves unwritten (the model's default)."""


def _set_type(entry: CommentedMap, component: ImportedComponent) -> bool:
    """Write the CycloneDX type next to `ref` unless it is the default; True if it changed."""
    current = entry.get("type", DEFAULT_TYPE)
    if current == component.type:
        return False
    if component.type == DEFAULT_TYPE:
        del entry["type"]
    elif "type" in entry:
        entry["type"] = component.type
    else:
        keys = list(entry.keys())
        entry.insert(keys.index("ref") + 1 if "ref" in keys else 0, "type", component.type)
    return True


def _apply(entry: CommentedMap, component: ImportedComponent) -> list[str]:
    """Set the SBOM-owned fields on an existing entry; return the names that changed."""
    changed = []
    if entry.get("ref") != component.ref:
        entry["ref"] = component.ref
        changed.append("ref")
    if _set_type(entry, component):
        changed.append("type")
    for key in SBOM_OWNED:
        value = _sbom_value(component, key)
        if value in (None, [], {}):
            if key == "depends_on" and entry.get(key):
                # the SBOM states the dependency graph: an empty one is a statement
                del entry[key]
                changed.append(key)
            continue
        if _plain(entry.get(key)) == value:
            continue
        entry[key] = _for_yaml(value)
        changed.append(key)
    return changed


def _for_yaml(value: object) -> object:
    """Lists in flow style (`[a, b]`), mappings as round-trip mappings."""
    if isinstance(value, list):
        return _flow(value)
    if isinstance(value, dict):
        return CommentedMap(value)
    return value


def _new_entry(component: ImportedComponent) -> CommentedMap:
    entry = CommentedMap()
    entry["ref"] = component.ref
    if component.type != DEFAULT_TYPE:
        entry["type"] = component.type
    for key in SBOM_OWNED:
        value = _sbom_value(component, key)
        if value not in (None, [], {}):
            entry[key] = _for_yaml(value)
    entry["support"] = "unknown"
    return entry


@dataclass(frozen=True)
class Target:
    """Which SBOM of the project an import writes, and what is written elsewhere."""

    name: str | None = None
    """Written as `source.name` (None: the file's own name stands)."""
    asset: str | None = None
    """Written as `source.asset` (None: keep what is there)."""
    elsewhere: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Refs and purls of components written in other SBOMs' files -> (that SBOM's name,
    the component's ref there)."""


def merge(
    document: CommentedMap, sbom: ImportedSbom, source_file: str, target: Target | None = None
) -> MergeReport:
    """Merge `sbom` into the round-trip `document` of one sbom file, in place. A component
    another SBOM's file already holds (same ref or purl) is not written twice: it is listed
    under `source.shared`."""
    target = target or Target()
    report = MergeReport()
    items = ensure_list(document, "components")
    by_ref: dict[str, CommentedMap] = {}
    by_purl: dict[str, CommentedMap] = {}
    by_package: dict[str, list[CommentedMap]] = {}
    for entry in items:
        if not isinstance(entry, CommentedMap):
            continue
        ref = str(entry.get("ref", ""))
        by_ref.setdefault(ref, entry)
        if entry.get("purl"):
            by_purl.setdefault(str(entry["purl"]), entry)
        key = _versionless(ref, entry.get("purl"))
        if key:
            by_package.setdefault(key, []).append(entry)
    matched: set[int] = set()
    incoming_packages: dict[str, int] = {}
    for component in sbom.components:
        key = _versionless(component.ref, component.purl)
        if key:
            incoming_packages[key] = incoming_packages.get(key, 0) + 1
    for component in sbom.components:
        entry = by_ref.get(component.ref) or (
            by_purl.get(component.purl) if component.purl else None
        )
        renamed_from = None
        if entry is None:
            other = target.elsewhere.get(component.ref) or (
                target.elsewhere.get(component.purl) if component.purl else None
            )
            if other is not None:
                report.shared.append((other[1], other[0]))
                continue
        if entry is None or id(entry) in matched:
            entry = None
            key = _versionless(component.ref, component.purl)
            candidates = [e for e in by_package.get(key or "", []) if id(e) not in matched]
            # a version change only when the package appears once on each side
            if key and len(candidates) == 1 and incoming_packages.get(key) == 1:
                entry = candidates[0]
                renamed_from = str(entry.get("ref"))
        if entry is None:
            entry = _new_entry(component)
            items.append(entry)
            matched.add(id(entry))
            report.added.append(component.ref)
            continue
        matched.add(id(entry))
        changed = _apply(entry, component)
        if renamed_from is not None:
            report.version_changed.append((renamed_from, component.ref))
        elif changed:
            report.updated.append((component.ref, changed))
        else:
            report.unchanged += 1
    for index in reversed(range(len(items))):
        entry = items[index]
        if isinstance(entry, CommentedMap) and id(entry) not in matched:
            report.removed.append(str(entry.get("ref")))
            report.removed_entries[str(entry.get("ref"))] = entry
            del items[index]
    report.removed.reverse()
    _set_source(document, sbom, source_file, target, [ref for ref, _ in report.shared])
    return report


def _set_source(
    document: CommentedMap,
    sbom: ImportedSbom,
    source_file: str,
    target: Target,
    shared: list[str],
) -> None:
    source = document.get("source")
    if not isinstance(source, CommentedMap):
        source = CommentedMap()
        document.insert(0, "source", source)
    for position, key, label in ((0, "name", target.name), (1, "asset", target.asset)):
        if label is None or source.get(key) == label:
            continue
        if key in source:
            source[key] = label
        else:
            source.insert(min(position, len(source)), key, label)
    values: dict[str, object] = {
        "shared": _flow(shared) if shared else None,
        "file": source_file,
        "sha256": sbom.sha256,
        "spec_version": sbom.spec_version,
        "serial_number": sbom.serial_number,
        "timestamp": sbom.timestamp,
        "authors": _flow(list(sbom.authors)) if sbom.authors else None,
        "tools": _flow(list(sbom.tools)) if sbom.tools else None,
    }
    for key, value in values.items():
        if value is None:
            source.pop(key, None)
        elif _plain(source.get(key)) != _plain(value):
            source[key] = value


def relative_source(sbom_file: Path, root: Path) -> str:
    """How sbom.yaml names the file it was imported from: relative to the project folder
    (so the record does not depend on where the command ran)."""
    return Path(os.path.relpath(sbom_file.resolve(), root.resolve())).as_posix()
