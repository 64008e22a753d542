"""The audit site as a traceability navigator: a page for every item, every id a link.

After mkdocs has built the documents, `publish_navigator` adds to the site:

- `items/<name>.html` for every identified item (see `cyberfile.render.links`): its
  fields, what it references and what references it (backlinks), its review stamp and
  whether the review is suspect, its validation and drift findings, and the documents it
  appears in. The pages are rendered directly with Jinja (mkdocs' per-page cost is too high
  for ten thousand items) in the site's own theme, and added to the search index.
- `items/index.html`: every item by kind, filterable.
- `evidence/<path>`: each evidence file, copied from the project (never from outside it),
  with its recorded and actual sha256 on the evidence item's page.
- every id in the documents' pages becomes a link to its item page, and each data-flow
  diagram is inlined so that its nodes and edges can be clicked.

Everything from YAML is escaped by Jinja's HTML autoescaping; only http, https and mailto
URLs become links."""

from __future__ import annotations

import bisect
import json
import re
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from html import escape as html_escape
from html import unescape as html_unescape
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from cyberfile.diagnostics.diagnostic import Diagnostic
from cyberfile.diagnostics.position import Position
from cyberfile.digest import file_sha256
from cyberfile.load.yamlsource import SourceMap
from cyberfile.model.items import Item, Kind, items, referenced
from cyberfile.model.project import Project
from cyberfile.render.change_summary import ChangeNote
from cyberfile.render.links import ITEMS_FOLDER, item_name, item_path, link_ids, safe_url
from cyberfile.resources import data_dir

EVIDENCE_FOLDER = "evidence"
ASSETS_FOLDER = "assets/cyberfile"


@dataclass
class ItemInfo:
    """One item and everything its page shows."""

    item: Item
    title: str
    position: Position | None
    written_in: str = ""
    """The file it is written in, relative to the project folder."""
    references: list[tuple[str, str]] = field(default_factory=list)
    """(field, id) in the order written."""
    referenced_by: list[tuple[str, str]] = field(default_factory=list)
    """(id of the item that references this one, field)."""
    findings: list[Diagnostic] = field(default_factory=list)
    documents: list[tuple[str, str]] = field(default_factory=list)
    """(page, title) of the site pages that mention it."""
    evidence_file: EvidenceFile | None = None
    parent: str | None = None
    """The item whose list holds this one (a requirement's control)."""
    children: list[str] = field(default_factory=list)

    @property
    def ident(self) -> str:
        return self.item.ident

    @property
    def kind(self) -> Kind:
        return self.item.kind


@dataclass(frozen=True)
class EvidenceFile:
    path: str
    """As written in evidence.yaml, relative to the project."""
    published: str | None
    """Where the site holds its copy, relative to the site root (None: not published)."""
    recorded: str | None
    actual: str | None
    """sha256 of the file as it is now (None: missing, or outside the project)."""

    @property
    def status(self) -> str:
        if self.actual is None:
            return "missing"
        if self.recorded is None:
            return "no digest recorded"
        return "matches" if self.actual == self.recorded else "differs"


def _title(model: Any) -> str:
    for attribute in ("title", "name", "statement", "description"):
        value = getattr(model, attribute, None)
        if isinstance(value, str) and value:
            return value
    return ""


def catalogue(
    project: Project, sources: dict[str, SourceMap], findings: Iterable[Diagnostic]
) -> dict[str, ItemInfo]:
    """Every item of the project with its references, backlinks and findings."""
    infos: dict[str, ItemInfo] = {}
    relative: dict[Path, str] = {}  # by file: a project has few files and many items
    for item in items(project):
        if item.ident in infos:
            continue  # a duplicate id (CF120): the first one has the page
        source = sources.get(item.part)
        where = source.value(item.path) if source else None
        written_in = ""
        if where is not None:
            written_in = relative.get(where.file) or relative.setdefault(
                where.file, _relative(where.file, project.root)
            )
        infos[item.ident] = ItemInfo(item, _title(item.model), where, written_in)
    at = {(info.item.part, info.item.path): info.ident for info in infos.values()}
    for info in infos.values():
        if info.item.spec.inside is not None:
            holder = at.get((info.item.part, info.item.path[:-2]))
            if holder is not None:
                info.parent = holder
                infos[holder].children.append(info.ident)
        for reference, _path, target in referenced(info.item):
            info.references.append((reference.name, target))
            if target in infos and target != info.ident:
                infos[target].referenced_by.append((info.ident, reference.name))
    _assign(infos, findings)
    return infos


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def _assign(infos: dict[str, ItemInfo], findings: Iterable[Diagnostic]) -> None:
    """A finding belongs to the item written nearest above its line in its file."""
    starts: dict[Path, list[tuple[int, str]]] = defaultdict(list)
    for info in infos.values():
        if info.position is not None:
            starts[info.position.file].append((info.position.line, info.ident))
    for entries in starts.values():
        entries.sort()
    for finding in findings:
        where = finding.position
        if where is None or where.file not in starts:
            continue
        entries = starts[where.file]
        index = bisect.bisect_right(entries, (where.line, "\uffff")) - 1
        if index >= 0:
            infos[entries[index][1]].findings.append(finding)


# ------------------------------------------------------------------------- the pages


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(str(data_dir("templates") / "site")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["value"] = _value
    environment.filters["item_href"] = lambda ident: item_name(ident) + ".html"
    environment.filters["item_link"] = _item_link
    return environment


Href = Callable[[str], str | None]


def _item_link(ident: str, href: Href) -> Markup:
    """An id as a link to its page (from an item page), or as text when it has none."""
    target = href(ident)
    if target is None:
        return escape(ident)
    return Markup(f'<a class="cf-id" href="{escape(target)}">{escape(ident)}</a>')


def _value(value: Any, href: Href) -> Markup:
    """A field value as HTML: lists as lists, mappings as small tables, http(s)/mailto
    URLs as links, ids in text as links to their pages, everything else as escaped text."""
    if isinstance(value, dict):
        rows = "".join(
            f"<tr><th>{escape(key)}</th><td>{_value(item, href)}</td></tr>"
            for key, item in value.items()
        )
        return Markup(f'<table class="cf-fields">{rows}</table>')
    if isinstance(value, list | tuple):
        if not value:
            return Markup("")
        if all(not isinstance(v, dict | list | tuple) for v in value):
            return Markup(", ").join(_value(v, href) for v in value)
        return Markup("<ul>" + "".join(f"<li>{_value(v, href)}</li>" for v in value) + "</ul>")
    if value is None:
        return Markup("")
    if isinstance(value, bool):
        return Markup("yes" if value else "no")
    text = str(value)
    url = safe_url(text)
    if url is not None:
        return Markup(f'<a href="{escape(url)}" rel="noopener">{escape(text)}</a>')
    return Markup(link_ids(str(escape(text)), href))


def _fields(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return data


@dataclass(frozen=True)
class SiteContext:
    """What every generated page needs: the theme's stylesheet and the site's name."""

    site_name: str
    theme_css: list[str]
    device: str


def _theme_css(site: Path) -> list[str]:
    folder = site / "assets" / "stylesheets"
    return sorted(p.name for p in folder.glob("*.min.css")) if folder.is_dir() else []


KIND_ORDER = [
    Kind.ASSET,
    Kind.TRUST_BOUNDARY,
    Kind.DATA_FLOW,
    Kind.VIEW,
    Kind.THREAT,
    Kind.CONTROL,
    Kind.REQUIREMENT,
    Kind.TEST,
    Kind.EVIDENCE,
    Kind.ANOMALY,
    Kind.SBOM,
    Kind.SUPPORT_RULE,
    Kind.COMPONENT,
    Kind.VULNERABILITY,
]


def _by_kind(infos: dict[str, ItemInfo]) -> list[tuple[Kind, list[ItemInfo]]]:
    groups: dict[Kind, list[ItemInfo]] = defaultdict(list)
    for info in infos.values():
        groups[info.kind].append(info)
    order = KIND_ORDER + [k for k in Kind if k not in KIND_ORDER]
    return [(kind, groups[kind]) for kind in order if groups.get(kind)]


def publish_navigator(
    project: Project,
    sources: dict[str, SourceMap],
    findings: list[Diagnostic],
    site: Path,
    pages: dict[str, str],
    changed_since: tuple[str, dict[str, ChangeNote]] | None = None,
) -> dict[str, ItemInfo]:
    """Add item pages, the item index and evidence files to the built `site`, and turn
    every id of the document pages into a link. `pages` maps each document page of the
    site (`threat-model.html`) to its title; `changed_since` names the baseline of the
    change summary and how each item changed since (an item not there is unchanged)."""
    infos = catalogue(project, sources, findings)
    _publish_evidence(project, infos, site)
    _link_pages(site, pages, infos)
    context = SiteContext(
        f"{project.manifest.device.name} cybersecurity file",
        _theme_css(site),
        project.manifest.device.name,
    )
    environment = _environment()
    folder = site / ITEMS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    page = environment.get_template("item.html.j2")
    known = {ident: item_name(ident) + ".html" for ident in infos}
    for info in infos.values():
        html = page.render(
            info=info,
            fields=_fields(info.item.model),
            site=context,
            href=_linker(info, known),
            since=changed_since[0] if changed_since else None,
            change=changed_since[1].get(info.ident) if changed_since else None,
        )
        (folder / known[info.ident]).write_text(html, encoding="utf-8")
    index = environment.get_template("items-index.html.j2").render(
        groups=_by_kind(infos), site=context
    )
    (folder / "index.html").write_text(index, encoding="utf-8")
    _extend_search(site, infos, pages)
    return infos


def _linker(info: ItemInfo, known: dict[str, str]) -> Callable[[str], str | None]:
    """Links from an item page: to other items (not to itself)."""

    def href(ident: str) -> str | None:
        return None if ident == info.ident else known.get(ident)

    return href


# --------------------------------------------------------------- the document pages

_IMG = re.compile(r'<img alt="([^"]*)" src="diagrams/([A-Za-z0-9._-]+\.svg)" ?/?>')
_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)


def _inline_diagram(site: Path, match: re.Match[str]) -> str:
    alt, name = match.group(1), match.group(2)
    path = site / "diagrams" / name
    try:
        svg = path.read_text(encoding="utf-8")
    except OSError:
        return match.group(0)
    svg = _PROLOG.sub("", svg, count=1).replace(f'"../{ITEMS_FOLDER}/', f'"{ITEMS_FOLDER}/')
    return (
        f'<figure class="cf-diagram"><div class="cf-diagram__canvas" role="img" '
        f'aria-label="{alt}">{svg}</div><figcaption>{alt} · '
        f'<a href="diagrams/{name}">open full size</a></figcaption></figure>'
    )


def _link_pages(site: Path, pages: dict[str, str], infos: dict[str, ItemInfo]) -> None:
    known = {ident: item_path(ident) for ident in infos}
    for page, title in pages.items():
        path = site / page
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        text = _IMG.sub(lambda m: _inline_diagram(site, m), text)
        seen: set[str] = set()
        text = link_ids(text, known.get, seen.add)
        for ident in sorted(seen):
            infos[ident].documents.append((page, title))
        path.write_text(text, encoding="utf-8")


# ------------------------------------------------------------------------ evidence


def _publish_evidence(project: Project, infos: dict[str, ItemInfo], site: Path) -> None:
    root = project.root.resolve()
    for evidence in project.evidence.evidence:
        info = infos.get(evidence.id)
        if info is None or evidence.file is None:
            continue
        source = (project.root / evidence.file).resolve()
        inside = root in source.parents and source.is_file()
        published = None
        actual = None
        if inside:
            relative = source.relative_to(root).as_posix()
            target = site / EVIDENCE_FOLDER / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            published = f"{EVIDENCE_FOLDER}/{relative}"
            actual = file_sha256(source)
        info.evidence_file = EvidenceFile(evidence.file, published, evidence.sha256, actual)


# -------------------------------------------------------------------------- search


def _search_text(info: ItemInfo) -> str:
    words: list[str] = [info.kind.value, info.ident, info.title]
    for _field, target in info.references:
        words.append(target)
    return " ".join(w for w in words if w)[:2000]


_SECTION = re.compile(r'<h([1-3]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.DOTALL)
_ANY_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def _plain(fragment: str) -> str:
    text = _ANY_TAG.sub(" ", fragment.replace('<a class="headerlink"', "<x").replace("¶", ""))
    return html_escape(html_unescape(_SPACES.sub(" ", text).strip()), quote=False)


def page_sections(page: str, text: str) -> list[dict[str, str]]:
    """Search entries of one built page, one per heading (h1-h3) with the text up to the
    next heading, as Material's indexer makes them, from the page's article."""
    start, end = text.find("<article"), text.rfind("</article>")
    article = text[start:end] if start != -1 and end != -1 else text
    entries: list[dict[str, str]] = []
    found = list(_SECTION.finditer(article))
    for i, heading in enumerate(found):
        stop = found[i + 1].start() if i + 1 < len(found) else len(article)
        level, anchor = heading.group(1), heading.group(2)
        entries.append(
            {
                "location": page if level == "1" else f"{page}#{anchor}",
                "title": _plain(heading.group(3)),
                "text": _plain(article[heading.end() : stop]),
            }
        )
    return entries


def _extend_search(site: Path, infos: dict[str, ItemInfo], pages: dict[str, str]) -> None:
    """The site's search index: the document pages, a section per heading, and one entry
    per item page (added to the index file mkdocs' search plugin writes)."""
    path = site / "search" / "search_index.json"
    if not path.is_file():
        return
    index = json.loads(path.read_text(encoding="utf-8"))
    docs = index.setdefault("docs", [])
    for page in pages:
        built = site / page
        if built.is_file():
            docs.extend(page_sections(page, built.read_text(encoding="utf-8")))
    docs.extend(
        {
            "location": item_path(info.ident),
            "title": f"{info.ident} {info.title}".strip(),
            "text": _search_text(info),
        }
        for info in infos.values()
    )
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def iter_kinds(infos: dict[str, ItemInfo]) -> Iterator[tuple[Kind, int]]:
    for kind, group in _by_kind(infos):
        yield kind, len(group)
