"""What changed between two versions of a project (`cyberfile.check.changes`), as
terminal text, JSON and Markdown.

The JSON document (`changes_json`, format `cyberfile-diff/1`) has these keys, all
snake_case; absent values are null, lists are in the engine's order (by kind in the
order of the item table, then id):

- `format`: "cyberfile-diff/1"; `base`, `head`: what the caller says each side is
  (`cyberfile diff`: `label`, `path`, `revision`, `commit`, `date`, `subject`, `version`,
  and the side's validation `errors` and `warnings` counts); `empty`: true when nothing
  differs; `counts`: the counts of `ProjectChanges.counts` (added, removed, changed,
  renamed, references_changed, upgraded, risk_ratings, vulnerabilities, evidence_renewed,
  test_results, settings).
- `device`: {`version_before`, `version_after`}.
- `manifest`, `postmarket`: {`part`, `fields`}; `parts`: a list of them (other parts'
  values outside their items: labeling, the threat model's methodology, ...).
  A field is {`field` (YAML path: `protocol`, `findings[2].status`), `before`, `after`}.
- `items`: {`kind` ("threat", "data flow", ...), `id`, `status` (added, removed, changed,
  renamed), `title`, `renamed_from`, `fields`, `references` (ids of referenced items
  that changed)}; components are under `components` only.
- `components`: {`ref`, `ref_before`, `name`, `status` (added, removed, upgraded,
  downgraded, renamed, changed), `version_before`, `version_after`, `support` (fields),
  `fields`}.
- `risks`: {`threat`, `title`, `status`, `renamed_from`, `initial_before`,
  `initial_after`, `residual_before`, `residual_after`}, each rating null or
  {`exploitability`, `severity`, `acceptable`}.
- `vulnerabilities`: {`id`, `components`, `status` (newly known, no longer listed, newly
  fixed, status changed, changed), `state_before`, `state_after`, `risk_before`,
  `risk_after` (controlled, uncontrolled, not_assessed), `known_exploited`,
  `discovered`, `fixed_in`, `fixed_on`, `renamed_from`, `dates`, `fields`,
  `references`}.
- `evidence`: {`id`, `title`, `renamed_from`, `performed_before`, `performed_after`,
  `sha256_before`, `sha256_after`, `file_before`, `file_after`}.
- `tests`: {`id`, `title`, `renamed_from`, `result_before`, `result_after`,
  `performed_before`, `performed_after`}.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from cyberfile.check.changes import (
    JSON,
    ComponentChange,
    EvidenceChange,
    FieldChange,
    ItemChange,
    PartChange,
    ProjectChanges,
    Rating,
    RiskChange,
    TestResultChange,
    VulnerabilityChange,
    id_order,
)
from cyberfile.model.items import KINDS, Kind
from cyberfile.render.environment import md_table
from cyberfile.render.escape import escape_markdown, one_line

FORMAT = "cyberfile-diff/1"

TEXT_WIDTH = 60
"""Longest value the terminal text shows whole; longer ones end in an ellipsis."""
MARKDOWN_WIDTH = 160

_COMPONENT_LABELS = {
    "added": "Added",
    "removed": "Removed",
    "upgraded": "Upgraded",
    "downgraded": "Downgraded",
    "renamed": "Renamed",
    "changed": "Changed",
}
_VULNERABILITY_LABELS = {
    "newly known": "Newly known",
    "no longer listed": "No longer listed",
    "newly fixed": "Newly fixed",
    "status changed": "Status changed",
    "changed": "Changed",
}
_RISK_WORDS = {"controlled": "controlled", "uncontrolled": "uncontrolled"}


# ---------------------------------------------------------------------------------------
# Values and labels shared by the text and Markdown


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in one_line(text))


def shorten(text: str, width: int) -> str:
    """One line, at most `width` characters, ending in an ellipsis when cut."""
    line = _printable(text)
    return line if len(line) <= width else line[: width - 1].rstrip() + "…"


def value_text(value: JSON, width: int = TEXT_WIDTH) -> str:
    """A YAML value as people read it: text as is, lists joined by commas, mappings in
    flow style; shortened to `width`."""
    return shorten(_plain(value), width)


def _plain(value: JSON) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(
        not isinstance(v, list | dict) and v is not None for v in value
    ):
        return ", ".join(_plain(v) for v in value)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def field_text(change: FieldChange, width: int = TEXT_WIDTH) -> str:
    """`protocol: BLE 4.2 -> BLE 5.0`, `end_of_support: added 2027-10-31`,
    `justification: removed (was ...)`."""
    if change.added:
        return f"{change.field}: added {value_text(change.after, width)}"
    if change.removed:
        return f"{change.field}: removed (was {value_text(change.before, width)})"
    listed = _list_change(change.before, change.after, width)
    if listed:
        return f"{change.field}: {listed}"
    before, after = _pair(change.before, change.after, width)
    return f"{change.field}: {before} -> {after}"


def _scalars(value: JSON) -> list[JSON] | None:
    """A list compared as one value (of scalars, or of lists such as the acceptable
    risk pairs); None for anything else."""
    if isinstance(value, list) and all(not isinstance(v, dict) for v in value):
        return value
    return None


def _entries_text(values: list[JSON], width: int) -> str:
    if all(not isinstance(v, list) for v in values):
        return value_text(values, width)
    return shorten("; ".join(_plain(v) for v in values), width)


def _list_change(before: JSON, after: JSON, width: int) -> str | None:
    """`added THR-162; removed THR-062` for two lists compared as one value that differ
    by what they hold (not only by order)."""
    a, b = _scalars(before), _scalars(after)
    if a is None or b is None:
        return None
    added = [v for v in b if v not in a]
    removed = [v for v in a if v not in b]
    parts = []
    if added:
        parts.append(f"added {_entries_text(added, width)}")
    if removed:
        parts.append(f"removed {_entries_text(removed, width)}")
    return "; ".join(parts) or None


def _pair(before: JSON, after: JSON, width: int) -> tuple[str, str]:
    """Both values shortened; two long texts that differ only after what the shortened
    values show are shown from a little before where they differ."""
    if isinstance(before, str) and isinstance(after, str):
        a, b = _printable(before), _printable(after)
        if max(len(a), len(b)) > width:
            same = 0
            for x, y in zip(a, b, strict=False):
                if x != y:
                    break
                same += 1
            start = a.rfind(" ", 0, max(same - 10, 0)) + 1
            if same > width - 15 and start > 0:  # else the difference shows as is
                return shorten("…" + a[start:], width), shorten("…" + b[start:], width)
    return value_text(before, width), value_text(after, width)


def references_only(change: ItemChange) -> bool:
    """The item itself is unchanged; something it references changed (its review, not
    its content, is affected)."""
    return change.status == "changed" and not change.fields and bool(change.references)


def _references_only_line(changes: list[ItemChange]) -> str:
    """One line for the items of a section that changed only through what they
    reference: `Unchanged, but what they reference changed: DF-1, DF-2 (AST-GATEWAY)`."""
    causes = sorted({ref for change in changes for ref in change.references}, key=id_order)
    idents = ", ".join(change.ident for change in changes)
    return f"Unchanged, but what they reference changed: {idents} ({', '.join(causes)})"


def _item_label(change: ItemChange) -> str:
    if change.status == "renamed":
        label = f"Renamed from {change.renamed_from}"
    elif references_only(change):
        return "References changed: " + ", ".join(change.references)
    else:
        label = change.status.capitalize()
    if change.references and change.status != "added":
        label += "; references changed: " + ", ".join(change.references)
    return label


def _component_label(change: ComponentChange) -> str:
    if change.status in ("upgraded", "downgraded"):
        label = (
            f"{_COMPONENT_LABELS[change.status]} {change.version_before} -> {change.version_after}"
        )
    elif change.status == "renamed":
        label = f"Renamed from {change.ref_before}"
    elif change.status == "changed" and change.support and not change.fields:
        label = "Support changed"
    else:
        label = _COMPONENT_LABELS[change.status]
        if change.status == "added" and change.version_after:
            label += f" (version {change.version_after})"
        elif change.status == "removed" and change.version_before:
            label += f" (version {change.version_before})"
    if change.ref_before and change.status != "renamed":
        label += f" (was {change.ref_before})"
    return label


def rating_text(rating: Rating | None, *, separator: str = "/", absent: str = "(none)") -> str:
    """`medium/critical (not acceptable)`; `absent` when the threat has no rating there."""
    if rating is None:
        return absent
    verdict = "acceptable" if rating.acceptable else "not acceptable"
    return f"{rating.exploitability}{separator}{rating.severity} ({verdict})"


def _risk_parts(change: RiskChange) -> list[str]:
    parts = []
    for name, before, after in (
        ("initial", change.initial_before, change.initial_after),
        ("residual", change.residual_before, change.residual_after),
    ):
        if before != after:
            parts.append(f"{name} {rating_text(before)} -> {rating_text(after)}")
    return parts


def _risk_word(value: str | None) -> str:
    if value is None:
        return "(none)"
    return _RISK_WORDS.get(value, "not yet assessed")


def _vulnerability_label(change: VulnerabilityChange) -> str:
    label = _VULNERABILITY_LABELS[change.status]
    if change.status == "newly known":
        label += f": {change.after_state}, risk {_risk_word(change.after_risk)}"
    elif change.status == "no longer listed":
        label += f" (was {change.before_state}, risk {_risk_word(change.before_risk)})"
    else:
        if change.before_state != change.after_state:
            label += f": {change.before_state} -> {change.after_state}"
        if change.before_risk != change.after_risk:
            label += f"; risk {_risk_word(change.before_risk)} -> {_risk_word(change.after_risk)}"
    if change.renamed_from:
        label += f"; renamed from {change.renamed_from}"
    if change.known_exploited:
        label += "; known exploited (KEV)"
    return label


def _digest(value: str | None) -> str:
    return "(none)" if value is None else value[:12] + "…"


def _evidence_parts(change: EvidenceChange) -> list[str]:
    parts = []
    if change.performed_before != change.performed_after:
        parts.append(f"performed {change.performed_before} -> {change.performed_after}")
    if change.sha256_before != change.sha256_after:
        parts.append(f"sha256 {_digest(change.sha256_before)} -> {_digest(change.sha256_after)}")
    if change.file_before != change.file_after:
        parts.append(f"file {value_text(change.file_before)} -> {value_text(change.file_after)}")
    return parts


def _test_parts(change: TestResultChange) -> list[str]:
    parts = []
    if change.result_before != change.result_after:
        parts.append(f"result {change.result_before} -> {change.result_after}")
    if change.performed_before != change.performed_after:
        parts.append(
            f"performed {value_text(change.performed_before)} -> "
            f"{value_text(change.performed_after)}"
        )
    return parts


def _section_kinds() -> list[Kind]:
    return [s.kind for s in KINDS if s.kind not in (Kind.COMPONENT, Kind.VULNERABILITY)]


def _heading(kind: Kind) -> str:
    plural = next(s.plural for s in KINDS if s.kind is kind)
    return plural[0].upper() + plural[1:]


def summary(changes: ProjectChanges) -> str:
    """`2 added, 1 upgraded, 1 risk rating, ...`: the counts that are not zero."""
    names = {
        "added": ("added", "added"),
        "removed": ("removed", "removed"),
        "changed": ("changed", "changed"),
        "renamed": ("renamed", "renamed"),
        "references_changed": (
            "with changed references only",
            "with changed references only",
        ),
        "upgraded": ("component version changed", "component versions changed"),
        "risk_ratings": ("risk rating", "risk ratings"),
        "vulnerabilities": ("vulnerability", "vulnerabilities"),
        "evidence_renewed": ("evidence item renewed", "evidence items renewed"),
        "test_results": ("test result", "test results"),
        "settings": ("setting", "settings"),
    }
    counts = changes.counts
    return ", ".join(
        f"{counts[key]} {one if counts[key] == 1 else many}"
        for key, (one, many) in names.items()
        if counts.get(key)
    )


def _no_changes(base_label: str, head_label: str) -> str:
    return (
        f"No changes between {base_label} and {head_label}: both hold the same project "
        "content (comments, formatting and key order aside)."
    )


def _version_line(changes: ProjectChanges) -> str:
    if changes.version_before == changes.version_after:
        return f"Device version {changes.version_before} (unchanged)"
    return f"Device version {changes.version_before} -> {changes.version_after}"


# ---------------------------------------------------------------------------------------
# Text


def _line(ident: str, title: str | None, label: str) -> str:
    name = ident
    if title:
        name += f" ({shorten(title, 50)})"
    return "  " + _printable(f"{name}: {label}")


def _fields_lines(fields: Iterable[FieldChange]) -> list[str]:
    return [f"    {_printable(field_text(f))}" for f in fields]


def changes_text(changes: ProjectChanges, base_label: str, head_label: str) -> str:
    """Terminal text: a heading line, then one section per kind of change."""
    base_label, head_label = _printable(base_label), _printable(head_label)
    if changes.is_empty:
        return _no_changes(base_label, head_label) + "\n"
    lines = [f"Changes from {base_label} to {head_label}: {summary(changes)}"]
    if changes.version_before or changes.version_after:
        lines.append(_printable(_version_line(changes)))

    def section(title: str, body: list[str]) -> None:
        if body:
            lines.extend(("", title, *body))

    section("Device (cyberfile.yaml)", _fields_lines(changes.manifest.fields))
    body: list[str] = []
    for component in changes.components:
        body.append(_line(component.ref, component.name, _component_label(component)))
        body.extend(_fields_lines((*component.support, *component.fields)))
    section("Components", body)
    for kind in _section_kinds():
        body = []
        only_references: list[ItemChange] = []
        for item in changes.items:
            if item.kind is not kind:
                continue
            if references_only(item):
                only_references.append(item)
                continue
            body.append(_line(item.ident, item.title, _item_label(item)))
            body.extend(_fields_lines(item.fields))
        if only_references:
            body.append("  " + _printable(_references_only_line(only_references)))
        section(_heading(kind), body)
        if kind is Kind.THREAT:
            section(
                "Risk ratings",
                [_line(r.threat, r.title, "; ".join(_risk_parts(r))) for r in changes.risks],
            )
    section("Vulnerabilities", _vulnerability_lines(changes))
    section(
        "Evidence renewed",
        [_line(e.ident, e.title, "; ".join(_evidence_parts(e))) for e in changes.evidence],
    )
    section(
        "Test results",
        [_line(t.ident, t.title, "; ".join(_test_parts(t))) for t in changes.tests],
    )
    section("Postmarket plan (postmarket.yaml)", _fields_lines(changes.postmarket.fields))
    for part in changes.parts:
        section(f"Other values ({part.part})", _fields_lines(part.fields))
    return "\n".join(lines) + "\n"


def _vulnerability_lines(changes: ProjectChanges) -> list[str]:
    items = {i.ident: i for i in changes.items if i.kind is Kind.VULNERABILITY}
    listed = {v.ident: v for v in changes.vulnerabilities}
    lines: list[str] = []
    for ident in sorted({*items, *listed}, key=id_order):
        vulnerability = listed.get(ident)
        item = items.get(ident)
        if vulnerability is None:
            assert item is not None
            lines.append(_line(ident, None, _item_label(item)))
            lines.extend(_fields_lines(item.fields))
            continue
        label = _vulnerability_label(vulnerability)
        if item is not None and item.references and vulnerability.status != "newly known":
            label += "; references changed: " + ", ".join(item.references)
        components = ", ".join(vulnerability.components) or None
        lines.append(_line(ident, components, label))
        lines.extend(_fields_lines(f for f in vulnerability.fields if f.field != "status"))
    return lines


# ---------------------------------------------------------------------------------------
# JSON


def _field_json(change: FieldChange) -> dict[str, Any]:
    return {"field": change.field, "before": change.before, "after": change.after}


def _fields_json(fields: Iterable[FieldChange]) -> list[dict[str, Any]]:
    return [_field_json(f) for f in fields]


def _part_json(part: PartChange) -> dict[str, Any]:
    return {"part": part.part, "fields": _fields_json(part.fields)}


def _rating_json(rating: Rating | None) -> dict[str, Any] | None:
    if rating is None:
        return None
    return {
        "exploitability": rating.exploitability,
        "severity": rating.severity,
        "acceptable": rating.acceptable,
    }


def changes_json(
    changes: ProjectChanges, base: dict[str, Any], head: dict[str, Any]
) -> dict[str, Any]:
    """The changes as a JSON document (keys in the module's docstring); `base` and
    `head` say what each side is."""
    references = {i.ident: i.references for i in changes.items if i.kind is Kind.VULNERABILITY}
    return {
        "format": FORMAT,
        "base": base,
        "head": head,
        "empty": changes.is_empty,
        "counts": changes.counts,
        "device": {
            "version_before": changes.version_before,
            "version_after": changes.version_after,
        },
        "manifest": _part_json(changes.manifest),
        "postmarket": _part_json(changes.postmarket),
        "parts": [_part_json(p) for p in changes.parts],
        "items": [
            {
                "kind": i.kind.value,
                "id": i.ident,
                "status": i.status,
                "title": i.title,
                "renamed_from": i.renamed_from,
                "fields": _fields_json(i.fields),
                "references": list(i.references),
            }
            for i in changes.items
        ],
        "components": [
            {
                "ref": c.ref,
                "ref_before": c.ref_before,
                "name": c.name,
                "status": c.status,
                "version_before": c.version_before,
                "version_after": c.version_after,
                "support": _fields_json(c.support),
                "fields": _fields_json(c.fields),
            }
            for c in changes.components
        ],
        "risks": [
            {
                "threat": r.threat,
                "title": r.title,
                "status": r.status,
                "renamed_from": r.renamed_from,
                "initial_before": _rating_json(r.initial_before),
                "initial_after": _rating_json(r.initial_after),
                "residual_before": _rating_json(r.residual_before),
                "residual_after": _rating_json(r.residual_after),
            }
            for r in changes.risks
        ],
        "vulnerabilities": [
            {
                "id": v.ident,
                "components": list(v.components),
                "status": v.status,
                "state_before": v.before_state,
                "state_after": v.after_state,
                "risk_before": v.before_risk,
                "risk_after": v.after_risk,
                "known_exploited": v.known_exploited,
                "discovered": v.discovered,
                "fixed_in": v.fixed_in,
                "fixed_on": v.fixed_on,
                "renamed_from": v.renamed_from,
                "dates": _fields_json(v.dates),
                "fields": _fields_json(v.fields),
                "references": list(references.get(v.ident, ())),
            }
            for v in changes.vulnerabilities
        ],
        "evidence": [
            {
                "id": e.ident,
                "title": e.title,
                "renamed_from": e.renamed_from,
                "performed_before": e.performed_before,
                "performed_after": e.performed_after,
                "sha256_before": e.sha256_before,
                "sha256_after": e.sha256_after,
                "file_before": e.file_before,
                "file_after": e.file_after,
            }
            for e in changes.evidence
        ],
        "tests": [
            {
                "id": t.ident,
                "title": t.title,
                "renamed_from": t.renamed_from,
                "result_before": t.result_before,
                "result_after": t.result_after,
                "performed_before": t.performed_before,
                "performed_after": t.performed_after,
            }
            for t in changes.tests
        ],
    }


# ---------------------------------------------------------------------------------------
# Markdown: every string from YAML (and the labels) goes through md_table or
# escape_markdown; what this module writes itself is plain words.


def _md(value: JSON) -> str:
    return value_text(value, MARKDOWN_WIDTH)


def _md_field_rows(fields: Iterable[FieldChange]) -> list[list[str]]:
    return [_md_field_row(f) for f in fields]


def _table(headers: Sequence[str], rows: list[list[Any]]) -> str:
    return str(md_table(headers, rows))


def changes_markdown(changes: ProjectChanges, base_label: str, head_label: str) -> str:
    """A Markdown report for reviewers: a summary, then one table per kind of change."""
    base_text, head_text = (
        escape_markdown(one_line(base_label)),
        escape_markdown(one_line(head_label)),
    )
    if changes.is_empty:
        return f"# Changes\n\n{_no_changes(base_text, head_text)}\n"
    out = [
        f"# Changes from {base_text} to {head_text}",
        "",
        "In all: " + escape_markdown(summary(changes)) + ".",
    ]
    if changes.version_before or changes.version_after:
        out[1:1] = ["", escape_markdown(one_line(_version_line(changes))) + "."]

    def section(title: str, headers: Sequence[str], rows: list[list[Any]]) -> None:
        if rows:
            out.extend(("", f"## {escape_markdown(title)}", "", _table(headers, rows)))

    field_headers = ("Field", "Before", "After")
    section("Device (cyberfile.yaml)", field_headers, _md_field_rows(changes.manifest.fields))
    section(
        "Components",
        ("Component", "Name", "Change", "Version before", "Version after", "Details"),
        [
            [
                c.ref,
                c.name,
                _component_label(c),
                c.version_before or "",
                c.version_after or "",
                "; ".join(field_text(f, MARKDOWN_WIDTH) for f in (*c.support, *c.fields)),
            ]
            for c in changes.components
        ],
    )
    item_headers = ("Id", "Title", "Change", "Field", "Before", "After")
    for kind in _section_kinds():
        rows: list[list[Any]] = []
        for item in changes.items:
            if item.kind is not kind:
                continue
            head = [item.ident, shorten(item.title or "", MARKDOWN_WIDTH), _item_label(item)]
            if not item.fields:
                rows.append([*head, "", "", ""])
            for index, f in enumerate(item.fields):
                rows.append([*(head if index == 0 else ["", "", ""]), *_md_field_row(f)])
        section(_heading(kind), item_headers, rows)
        if kind is Kind.THREAT:
            section(
                "Risk ratings",
                (
                    "Threat",
                    "Title",
                    "Initial before",
                    "Initial after",
                    "Residual before",
                    "Residual after",
                ),
                [
                    [
                        r.threat,
                        shorten(r.title or "", MARKDOWN_WIDTH),
                        rating_text(r.initial_before),
                        rating_text(r.initial_after),
                        rating_text(r.residual_before),
                        rating_text(r.residual_after),
                    ]
                    for r in changes.risks
                ],
            )
    section(
        "Vulnerabilities",
        ("Vulnerability", "Components", "Change", "Details"),
        _md_vulnerability_rows(changes),
    )
    section(
        "Evidence renewed",
        ("Evidence", "Title", "Renewed"),
        [[e.ident, e.title or "", "; ".join(_evidence_parts(e))] for e in changes.evidence],
    )
    section(
        "Test results",
        ("Test", "Title", "Change"),
        [[t.ident, t.title or "", "; ".join(_test_parts(t))] for t in changes.tests],
    )
    section(
        "Postmarket plan (postmarket.yaml)",
        field_headers,
        _md_field_rows(changes.postmarket.fields),
    )
    for part in changes.parts:
        section(f"Other values ({part.part})", field_headers, _md_field_rows(part.fields))
    return "\n".join(out) + "\n"


def _md_field_row(change: FieldChange) -> list[str]:
    name = change.field
    if change.added:
        name += " (added)"
    elif change.removed:
        name += " (removed)"
    a, b = _scalars(change.before), _scalars(change.after)
    if a is not None and b is not None and _list_change(a, b, MARKDOWN_WIDTH):
        removed = [v for v in a if v not in b]
        added = [v for v in b if v not in a]
        return [
            name,
            f"removed: {_entries_text(removed, MARKDOWN_WIDTH)}" if removed else "",
            f"added: {_entries_text(added, MARKDOWN_WIDTH)}" if added else "",
        ]
    return [name, _md(change.before), _md(change.after)]


def _md_vulnerability_rows(changes: ProjectChanges) -> list[list[Any]]:
    items = {i.ident: i for i in changes.items if i.kind is Kind.VULNERABILITY}
    listed = {v.ident: v for v in changes.vulnerabilities}
    rows: list[list[Any]] = []
    for ident in sorted({*items, *listed}, key=id_order):
        vulnerability = listed.get(ident)
        item = items.get(ident)
        fields: Iterable[FieldChange]
        if vulnerability is None:
            assert item is not None
            label, components, fields = _item_label(item), "", item.fields
        else:
            label = _vulnerability_label(vulnerability)
            if item is not None and item.references:
                label += "; references changed: " + ", ".join(item.references)
            components = ", ".join(vulnerability.components)
            fields = [f for f in vulnerability.fields if f.field != "status"]
        details = "; ".join(field_text(f, MARKDOWN_WIDTH) for f in fields)
        rows.append([ident, components, label, details])
    return rows
