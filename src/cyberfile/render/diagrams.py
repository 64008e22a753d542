"""Diagrams as SVG, made at build time so the site and the PDFs show the same picture:
data-flow diagrams with trust boundaries (Graphviz `dot`, from the graphviz-pure wheel
or a system Graphviz) and the risk matrix (drawn directly).

A data-flow diagram is made to be read at its natural size (text 12 pt or more): it is
laid out left to right and top to bottom, with and without staggering the assets that
talk to one asset only, and `choose_drawing` keeps the drawing that needs the least
scrolling. Each asset, data flow and trust boundary in it links to its item page
(`../items/<ID>.html`, the SVG files being in the site's `diagrams/`); `without_links`
removes the links for the PDFs.

A diagram Graphviz cannot lay out never stops the build: it is tried again with simpler
layouts (`LAYOUTS`), then with a system `dot` if there is one, and at worst replaced by a
placeholder that lists the diagram's elements as text; `project_diagrams` reports each
such diagram in `problems`."""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from cyberfile.model.architecture import Architecture, Asset, DataFlow, TrustBoundary
from cyberfile.model.project import Project
from cyberfile.model.vocabulary import Exploitability, Severity
from cyberfile.render.links import item_path

_SHAPES = {
    "software": "box",
    "firmware": "box3d",
    "hardware": "component",
    "data": "cylinder",
    "service": "box",
    "external_system": "box",
    "user": "ellipse",
}

FONT_FALLBACK = "Arimo, Liberation Sans, Arial, Helvetica, sans-serif"
"""Fonts with Arimo's metrics, which Graphviz sized the labels with."""

LAYOUT_TIMEOUT_SECONDS = 60.0
"""Longest one Graphviz run may take before it is stopped and the next layout tried."""
DIAGRAM_BUDGET_SECONDS = 180.0
"""Longest all the Graphviz runs for one diagram may take together."""


class DiagramError(Exception):
    """Graphviz is missing or failed; the message says why, in a few words."""


class _NotStarted(DiagramError):
    """The layout program could not be started at all: another layout will not help."""


class _TimedOut(DiagramError):
    """The layout program took too long."""


@dataclass(frozen=True)
class Layout:
    """One way to ask Graphviz for a data-flow diagram."""

    splines: str
    boundaries_as_boxes: bool = True

    def describe(self) -> str:
        text = f"splines={self.splines}"
        return text if self.boundaries_as_boxes else f"{text} and trust boundaries as text"


LAYOUTS: tuple[Layout, ...] = (
    # Graphviz's default: curved edges, trust boundaries as boxes
    Layout("spline"),
    # straight edges need no spline router, so no "triangulation failed ... lost edge";
    # splines=polyline uses the same router and fails on the same diagrams
    Layout("line"),
    # without clusters dot ranks the nodes in one pass, so no "trouble in init_rank";
    # each asset then names its trust boundaries in its box
    Layout("spline", boundaries_as_boxes=False),
    Layout("line", boundaries_as_boxes=False),
)
"""The layouts tried in turn, best first; later ones are plainer and fail less often. Each
is tried in every direction (DIRECTIONS) and with leaves staggered or not (STAGGERS); the
next is tried only when all of these fail."""


def dot_program() -> str:
    """The Graphviz layout program: graphviz-pure (a dependency), else a system `dot`."""
    here = Path(sys.executable).parent / "graphviz-pure"
    for candidate in (str(here), shutil.which("graphviz-pure"), shutil.which("dot")):
        if candidate and Path(candidate).exists():
            return candidate
    raise DiagramError(
        "no Graphviz found: pip install graphviz-pure (a cyberfile dependency), or install "
        "Graphviz so that `dot` is on PATH"
    )


def graphviz_programs() -> list[str]:
    """The layout programs to try, in order: `dot_program()`, then a system `dot` (the
    original C Graphviz) when there is one, as a second opinion; empty when none is
    found."""
    programs: list[str] = []
    with contextlib.suppress(DiagramError):  # none bundled: perhaps a system `dot`
        programs.append(dot_program())
    system = shutil.which("dot")
    if system and all(os.path.realpath(system) != os.path.realpath(p) for p in programs):
        programs.append(system)
    return programs


# characters XML forbids (a YAML string may hold them) would make an SVG invalid
_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _q(text: str) -> str:
    """A DOT double-quoted string that shows `text` literally."""
    flat = " ".join(_XML_INVALID.sub("\ufffd", text).split())
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wrap(text: str, width: int = 28) -> str:
    words, lines, line = _XML_INVALID.sub("\ufffd", text).split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\\n".join(part.replace("\\", "\\\\").replace('"', '\\"') for part in lines if part)


@dataclass(frozen=True)
class _Selection:
    """What a data-flow diagram shows, each sorted by id: assets, the flows between
    them, and the trust boundaries that are asked for or hold a shown asset."""

    assets: tuple[Asset, ...]
    flows: tuple[DataFlow, ...]
    boundaries: tuple[TrustBoundary, ...]


def _select(arch: Architecture, elements: Iterable[str] | None) -> _Selection:
    wanted = set(elements) if elements is not None else None
    assets = {a.id: a for a in arch.assets}
    flows = [f for f in arch.data_flows if wanted is None or f.id in wanted]
    shown = {a for a in assets if wanted is None or a in wanted}
    for flow in flows:
        shown.update(x for x in (flow.from_, flow.to) if x in assets)
    boundaries = [
        b
        for b in arch.trust_boundaries
        if wanted is None or b.id in wanted or any(a in shown for a in b.assets)
    ]
    return _Selection(
        assets=tuple(assets[a] for a in sorted(shown)),
        flows=tuple(
            f for f in sorted(flows, key=lambda f: f.id) if f.from_ in shown and f.to in shown
        ),
        boundaries=tuple(sorted(boundaries, key=lambda b: b.id)),
    )


def _tooltip(text: str) -> str:
    """A DOT string for a `tooltip`: `_q`, with each backslash shown as a look-alike, as
    Graphviz reads backslashes in tooltips as escapes (`\\N` is the node's name)."""
    return _q(text.replace("\\", "\u29f5"))


def _link(ident: str, tooltip: str, separator: str = ", ") -> str:
    """The DOT attributes that make a node, edge or cluster a link to the page of the
    item `ident`. The link is built from the id alone (never from a name), relative to
    the site's `diagrams/` folder where the SVG files are."""
    return separator.join(
        (f"URL={_q('../' + item_path(ident))}", "target=_top", f"tooltip={_tooltip(tooltip)}")
    )


def _flow_label(flow: DataFlow, compact: bool) -> str:
    """An edge's label (DOT-escaped): the flow's id, then, unless `compact`, its interface
    and what it carries. ASCII only: Graphviz guesses the width of other characters."""
    if compact:
        return _wrap(flow.id)
    details = ": ".join(
        part
        for part in (
            flow.interface.value if flow.interface else "",
            "/".join(c.value for c in flow.carries),
        )
        if part
    )
    return _wrap(flow.id) + (f"\\n{_wrap(details)}" if details else "")


def _flow_tooltip(flow: DataFlow, names: dict[str, str]) -> str:
    parts = [f"{names.get(flow.from_, flow.from_)} \u2192 {names.get(flow.to, flow.to)}"]
    if flow.interface:
        parts.append(flow.interface.value)
    if flow.carries:
        parts.append("carries " + "/".join(c.value for c in flow.carries))
    if flow.protocol:
        protocol = " ".join(flow.protocol.split())
        parts.append(protocol if len(protocol) <= 160 else protocol[:159] + "\u2026")
    return f"{flow.id}: " + "; ".join(parts)


@dataclass(frozen=True)
class _Box:
    """A trust boundary drawn as a cluster: the assets placed directly in it and the
    clusters drawn inside it."""

    index: int
    boundary: TrustBoundary
    assets: tuple[str, ...]
    inner: tuple[_Box, ...]


def _boxes(selection: _Selection) -> tuple[_Box, ...]:
    """The trust boundaries as nested clusters. A boundary whose shown assets all lie in
    another boundary is drawn inside the smallest such one (with the same assets: inside
    the one first by id); each asset is drawn in the smallest boundary that holds it, so
    a boundary that overlaps another only in part misses the assets drawn in the other."""
    shown = {a.id for a in selection.assets}
    members = [frozenset(b.assets) & shown for b in selection.boundaries]
    order = sorted(range(len(members)), key=lambda i: (len(members[i]), i))

    def smallest_holding(asset_id: str) -> int:
        return next(i for i in order if asset_id in members[i])

    placed: dict[int, list[str]] = {}
    for asset_id in sorted(set().union(*members)) if members else []:
        placed.setdefault(smallest_holding(asset_id), []).append(asset_id)
    parent: dict[int, int] = {}
    for i, inside in enumerate(members):
        around = [
            j
            for j in order
            if j != i and inside and inside <= members[j] and (inside != members[j] or j < i)
        ]
        if around:
            parent[i] = around[0]

    def box(i: int) -> _Box | None:
        inner = tuple(b for b in (box(j) for j in range(len(members)) if parent.get(j) == i) if b)
        assets = tuple(placed.get(i, ()))
        if not assets and not inner:
            return None
        return _Box(i, selection.boundaries[i], assets, inner)

    return tuple(b for b in (box(i) for i in range(len(members)) if i not in parent) if b)


def _cluster_lines(box: _Box, depth: int) -> list[str]:
    pad = "  " * depth
    boundary = box.boundary
    tooltip = f"{boundary.id}: {boundary.name} (trust boundary)"
    lines = [
        f"{pad}subgraph cluster_{box.index} {{",
        f'{pad}  label="{_wrap(boundary.name, 40)}"; fontsize=13; style=dashed; color=red; '
        "fontcolor=red;",
        f"{pad}  {_link(boundary.id, tooltip, '; ')};",
    ]
    lines.extend(f"{pad}  {_q(asset_id)};" for asset_id in box.assets)
    for inner in box.inner:
        lines.extend(_cluster_lines(inner, depth + 1))
    lines.append(f"{pad}}}")
    return lines


def _in_boxes(boxes: Iterable[_Box]) -> dict[str, int]:
    """Asset id -> the cluster it is drawn in."""
    found: dict[str, int] = {}
    for box in boxes:
        found.update(dict.fromkeys(box.assets, box.index))
        found.update(_in_boxes(box.inner))
    return found


COMPACT_FLOWS = 20
"""A diagram with more data flows than this labels each flow with its id only (the
interface, what it carries and the protocol are in its tooltip and on its page)."""
DIRECTIONS = ("LR", "TB")
"""The directions tried for each data-flow diagram; `choose_drawing` picks a drawing."""
STAGGERS = (1, 2)
"""The numbers of ranks tried for the leaves of an asset (see `_staggered`)."""
STACK = 3
"""Top to bottom, assets without a data flow are stacked this many high (with invisible
edges), rather than all side by side in the first rank."""


def dataflow_dot(
    arch: Architecture,
    elements: Iterable[str] | None,
    title: str,
    layout: Layout = LAYOUTS[0],
    direction: str = DIRECTIONS[0],
    stagger: int = 1,
) -> str:
    """DOT source of the data-flow diagram of the given elements (None: everything),
    drawn left to right (`direction` "LR") or top to bottom ("TB").

    Each asset, data flow and trust boundary is a link to its item page
    (`../items/<ID>.html`, target `_top`) with its id and name as tooltip. Text is 12 pt
    or more (1 pt is 1.333 CSS px at the natural size of the SVG)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    selection = _select(arch, elements)
    names = {a.id: a.name for a in arch.assets}
    if not layout.boundaries_as_boxes and selection.boundaries:
        title = f"{title} (trust boundaries in [brackets])"
    graph = (
        f"label={_q(title)}; labelloc=t; fontname=Arimo; fontsize=16; rankdir={direction}; "
        "nodesep=0.35; ranksep=0.5;"
    )
    if layout.splines != "spline":  # Graphviz's default
        graph += f" splines={layout.splines};"
    lines = [
        "digraph dataflow {",
        f"  {graph}",
        '  node [fontname=Arimo, fontsize=12, style=filled, fillcolor=white, margin="0.14,0.07"];',
        "  edge [fontname=Arimo, fontsize=12];",
    ]
    inside: dict[str, list[str]] = {}
    for boundary in selection.boundaries:
        for asset_id in sorted(boundary.assets):
            inside.setdefault(asset_id, []).append(boundary.name)
    boxes = _boxes(selection) if layout.boundaries_as_boxes else ()
    for box in boxes:
        lines.extend(_cluster_lines(box, 1))
    for asset in selection.assets:
        kind = asset.kind.value.replace("_", " ")
        label = f"{_wrap(asset.name, 22)}\\n({kind})"
        if not layout.boundaries_as_boxes and asset.id in inside:
            label += "\\n" + _wrap("[" + "; ".join(inside[asset.id]) + "]")
        critical = ", penwidth=2, color=darkred" if asset.critical_function else ""
        tooltip = f"{asset.id}: {asset.name} ({kind}"
        tooltip += ", critical function)" if asset.critical_function else ")"
        lines.append(
            f'  {_q(asset.id)} [label="{label}", shape={_SHAPES.get(asset.kind.value, "box")}'
            f"{critical}, {_link(asset.id, tooltip)}];"
        )
    if direction == "TB":
        lines.extend(_stacks(selection, _in_boxes(boxes)))
    compact = len(selection.flows) > COMPACT_FLOWS
    minlen = _staggered(selection, stagger)
    for flow in selection.flows:
        tooltip = _flow_tooltip(flow, names)
        longer = f", minlen={minlen[flow.id]}" if minlen.get(flow.id, 1) > 1 else ""
        lines.append(
            f'  {_q(flow.from_)} -> {_q(flow.to)} [label="{_flow_label(flow, compact)}", '
            f"{_link(flow.id, tooltip)}, labeltooltip={_tooltip(tooltip)}{longer}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _staggered(selection: _Selection, levels: int) -> dict[str, int]:
    """Flow id -> minlen: the assets that talk to one other asset only (its leaves) put
    in `levels` ranks in turn, so that an asset with many leaves does not stand them all
    in one row (as Graphviz's `unflatten -l`)."""
    if levels <= 1:
        return {}
    neighbours: dict[str, set[str]] = {}
    for flow in selection.flows:
        if flow.from_ != flow.to:
            neighbours.setdefault(flow.from_, set()).add(flow.to)
            neighbours.setdefault(flow.to, set()).add(flow.from_)
    leaves: dict[str, list[str]] = {}
    for asset_id in sorted(neighbours):
        if len(neighbours[asset_id]) == 1:
            (hub,) = neighbours[asset_id]
            if len(neighbours[hub]) > 1:  # not two assets that talk only to each other
                leaves.setdefault(hub, []).append(asset_id)
    level: dict[str, int] = {}
    for group in leaves.values():
        if len(group) > levels:
            level.update((leaf, 1 + number % levels) for number, leaf in enumerate(group))
    return {
        flow.id: max(level.get(flow.from_, 1), level.get(flow.to, 1))
        for flow in selection.flows
        if flow.from_ in level or flow.to in level
    }


def _stacks(selection: _Selection, cluster: dict[str, int]) -> list[str]:
    """Invisible edges that stack the assets without a data flow STACK high, in each
    cluster (and outside all clusters), so that they do not all stand in one row."""
    linked = {end for flow in selection.flows for end in (flow.from_, flow.to)}
    alone: dict[int, list[str]] = {}
    for asset in selection.assets:
        if asset.id not in linked:
            alone.setdefault(cluster.get(asset.id, -1), []).append(asset.id)
    lines: list[str] = []
    for group in alone.values():
        for start in range(0, len(group), STACK):
            column = group[start : start + STACK]
            lines.extend(
                f"  {_q(upper)} -> {_q(lower)} [style=invis];"
                for upper, lower in itertools.pairwise(column)
            )
    return lines


# "lib/pathplan/shortest.c:333: " and the like: where in Graphviz's source a message is from
_SOURCE_PLACE = re.compile(r"^(?:[\w.-]+/)*[\w.-]+\.(?:c|cc|cpp|h|rs):\d+(?::\d+)?:\s*")
# an absolute path (of the program or a temporary file): only its last part is kept
_ABSOLUTE_PATH = re.compile(r"(?<![\w.~-])(?:[A-Za-z]:)?(?:[/\\][^\s/\\:'\"`]+)+[/\\]")


def _failure_reason(stderr: bytes, returncode: int) -> str:
    """A few words on why a Graphviz run failed: its first error message, without
    source places, warnings or directories."""
    if returncode < 0:
        try:
            return f"killed by signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    for raw in stderr.decode("utf-8", "replace").splitlines():
        line = " ".join(raw.split())
        if not line or line.lower().startswith("warning"):
            continue
        line = _SOURCE_PLACE.sub("", line)
        line = re.sub(r"^error:\s*", "", line, flags=re.IGNORECASE)
        line = _ABSOLUTE_PATH.sub("", line)
        if line:
            return line if len(line) <= 120 else line[:117] + "..."
    return f"exit status {returncode}"


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill a layout run and everything it started (a wrapper script's children too)."""
    if sys.platform != "win32":
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except OSError:
            process.kill()
    else:
        process.kill()
    process.communicate()


def render_svg(
    dot_source: str, program: str | None = None, *, timeout: float = LAYOUT_TIMEOUT_SECONDS
) -> str:
    """Lay out `dot_source` once with `program` (default `dot_program()`) into SVG; raise
    DiagramError, saying why in a few words, when that fails or takes over `timeout`
    seconds."""
    command = [program or dot_program(), "-Tsvg"]
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # so that a timeout can stop the whole process group
        )
    except OSError as exc:
        raise _NotStarted(f"could not be started: {exc.strerror or type(exc).__name__}") from None
    try:
        stdout, stderr = process.communicate(dot_source.encode("utf-8"), timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process)
        raise _TimedOut(f"timed out after {timeout:.3g} s") from None
    except BaseException:
        _stop(process)
        raise
    if process.returncode != 0:
        # graphviz-pure may still print an SVG, but one with edges missing ("lost edge")
        raise DiagramError(_failure_reason(stderr, process.returncode))
    try:
        svg = stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise DiagramError("the output is not UTF-8") from None
    if "<svg" not in svg:
        raise DiagramError("no SVG in the output")
    # drop the generator comment (a version string) so outputs do not depend on it
    svg = re.sub(r"<!-- Generated by .*?-->\n?", "", svg, flags=re.S)
    # Graphviz names the one font it measured with; browsers without Arimo need a fallback
    # of the same metrics (Liberation Sans, Arial) rather than their default serif
    return svg.replace('font-family="Arimo"', f'font-family="{FONT_FALLBACK}"')


_ROW_STYLE = {
    "title": ' font-size="14" font-weight="bold"',
    "note": ' fill="#8a4b00"',
    "heading": ' font-weight="bold"',
    "item": "",
}


def placeholder_svg(
    arch: Architecture, elements: Iterable[str] | None, title: str, why: str
) -> str:
    """An SVG that says the diagram was not drawn (`why`, a sentence) and lists what it
    would have shown, as text: assets, data flows and trust boundaries."""
    selection = _select(arch, elements)
    shown = {a.id for a in selection.assets}
    rows: list[tuple[str, str]] = [("title", title), ("note", why)]
    if not selection.assets and not selection.flows and not selection.boundaries:
        rows.append(("item", "The diagram has no elements."))
    if selection.assets:
        rows.append(("heading", f"Assets ({len(selection.assets)})"))
        for asset in selection.assets:
            critical = ", critical function" if asset.critical_function else ""
            rows.append(("item", f"{asset.id}: {asset.name} ({asset.kind.value}{critical})"))
    if selection.flows:
        rows.append(("heading", f"Data flows ({len(selection.flows)})"))
        for flow in selection.flows:
            details = [flow.interface.value] if flow.interface else []
            if flow.carries:
                details.append("/".join(c.value for c in flow.carries))
            extra = f" ({'; '.join(details)})" if details else ""
            rows.append(("item", f"{flow.id}: {flow.from_} -> {flow.to}{extra}"))
    if selection.boundaries:
        rows.append(("heading", f"Trust boundaries ({len(selection.boundaries)})"))
        for boundary in selection.boundaries:
            members = ", ".join(a for a in sorted(boundary.assets) if a in shown) or "none shown"
            rows.append(("item", f"{boundary.id}: {boundary.name}; assets: {members}"))
    width, left, line_height = 860, 16, 18
    out: list[str] = []
    y = 12
    for kind, text in rows:
        x = left + (12 if kind == "item" else 0)
        if kind == "heading":
            y += 8
        flat = " ".join(_XML_INVALID.sub("\ufffd", text).split())
        pieces = textwrap.wrap(flat, width=110, break_on_hyphens=False) or [""]
        for number, piece in enumerate(pieces):
            y += line_height
            out.append(
                f'<text x="{x + (24 if number else 0)}" y="{y}"{_ROW_STYLE[kind]}>'
                f"{xml_escape(piece)}</text>"
            )
    height = y + 16
    return (
        "\n".join(
            [
                f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
                f'viewBox="0 0 {width} {height}" font-family="Arimo, Arial, sans-serif" '
                'font-size="12">',
                f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" '
                'fill="#fff8e6" stroke="#b26a00" stroke-dasharray="6 4"/>',
                *out,
                "</svg>",
            ]
        )
        + "\n"
    )


_DIRECTION_NAMES = {"LR": "left to right", "TB": "top to bottom"}
_CANDIDATES = tuple((d, stagger) for stagger in STAGGERS for d in DIRECTIONS)


def _describe(direction: str, stagger: int) -> str:
    name = _DIRECTION_NAMES[direction]
    return name if stagger == 1 else f"{name} with leaves in {stagger} ranks"


def _reasons(reasons: dict[str, str]) -> str:
    """Why a layout failed in each way tried, in a few words (once when all the same)."""
    if len(set(reasons.values())) == 1:
        return next(iter(reasons.values()))
    return "; ".join(f"{tried}: {why}" for tried, why in reasons.items())


_SVG_SIZE = re.compile(r'<svg\b[^>]*?\swidth="([\d.]+)(pt|px)?"[^>]*?\sheight="([\d.]+)(pt|px)?"')


def svg_size(svg: str) -> tuple[float, float]:
    """(width, height) of an SVG at its natural size, in CSS px (1 pt = 4/3 px)."""
    match = _SVG_SIZE.search(svg)
    if match is None:
        raise ValueError("no width and height on the <svg> element")
    scale = {"pt": 4 / 3, "px": 1.0, None: 1.0}
    return (
        float(match[1]) * scale[match[2]],
        float(match[3]) * scale[match[4]],
    )


FIT_WIDTH_PX = 720.0
"""About the width of the site's text column: a diagram this wide or less is seen whole
(the site shows each diagram at its natural size, in a box that scrolls sideways)."""


def choose_drawing(drawings: Sequence[str]) -> str:
    """The most readable of several drawings of one diagram (other directions, leaves
    staggered or not), each seen at its natural size: of those that fit in FIT_WIDTH_PX
    the least tall (the least scrolling), else the narrowest (a page scrolls down more
    easily than sideways); the first on a tie."""

    def size(svg: str) -> tuple[float, float]:
        try:
            return svg_size(svg)
        except ValueError:  # not from a real Graphviz: last choice
            return math.inf, math.inf

    sized = [(size(svg), number) for number, svg in enumerate(drawings)]
    fitting = [(h, w, n) for (w, h), n in sized if w <= FIT_WIDTH_PX]
    if fitting:
        return drawings[min(fitting)[2]]
    return drawings[min((w, h, n) for (w, h), n in sized)[2]]


_LINK_TAG = re.compile(r"""</a\s*>|<a(?:\s+[^\s=<>/"']+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/?>""")


def without_links(svg: str) -> str:
    """`svg` without its links: each `<a ...>` and `</a>` that Graphviz writes around a
    linked node, edge or cluster is removed and what it held is kept (for the PDFs, where
    a link would point into the build folder)."""
    return _LINK_TAG.sub("", svg)


def _draw_dataflow(
    subject: str,
    arch: Architecture,
    elements: Iterable[str] | None,
    title: str,
    programs: Sequence[str],
    problems: list[str],
) -> str:
    """The SVG of one data-flow diagram: each program with each of LAYOUTS in turn, else a
    placeholder; a message in `problems` when the first try was not the one used."""
    failures: list[str] = []
    deadline = time.monotonic() + DIAGRAM_BUDGET_SECONDS
    out_of_time = False
    for number, program in enumerate(programs):
        engine = "" if number == 0 else "the system Graphviz `dot` with "
        not_started: DiagramError | None = None
        for layout in LAYOUTS:
            drawn: list[str] = []
            reasons: dict[str, str] = {}
            tried: set[str] = set()
            for direction, stagger in _CANDIDATES:
                source = dataflow_dot(arch, elements, title, layout, direction, stagger)
                if source in tried:  # nothing to stagger: the same drawing again
                    continue
                tried.add(source)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    out_of_time = True
                    break
                timeout = min(LAYOUT_TIMEOUT_SECONDS, remaining)
                try:
                    drawn.append(render_svg(source, program, timeout=timeout))
                except _NotStarted as exc:  # no layout can help: on to the next program
                    not_started = exc
                    break
                except DiagramError as exc:
                    reasons[_describe(direction, stagger)] = str(exc)
                    if isinstance(exc, _TimedOut):  # the others would take long too
                        break
            if not_started is not None:
                failures.append(f"`{Path(program).name}` ({not_started})")
                break
            if drawn:
                if failures:
                    problems.append(
                        f"{subject}: Graphviz failed with {', '.join(failures)}; "
                        f"drawn with {engine}{layout.describe()}"
                    )
                return choose_drawing(drawn)
            if reasons:
                failures.append(f"{engine}{layout.describe()} ({_reasons(reasons)})")
            if out_of_time:
                break
        if out_of_time:
            break
    if not programs:
        problems.append(
            f"{subject}: not drawn, no Graphviz found; the document lists its elements as "
            "text instead. To draw it: pip install graphviz-pure (a cyberfile dependency), "
            "or install Graphviz so that `dot` is on PATH, then build again"
        )
        why = "This diagram was not drawn: no Graphviz was found when the document was built."
    else:
        limit = (
            f"; stopped after {DIAGRAM_BUDGET_SECONDS:.3g} s for this diagram"
            if out_of_time
            else ""
        )
        fix = (
            "install Graphviz (https://graphviz.org/download/, e.g. `apt-get install "
            "graphviz`) so that `dot` is on PATH, then build again"
            if shutil.which("dot") is None  # else the system Graphviz failed too
            else "make the view smaller (fewer elements or trust boundaries), or report the "
            "diagram to the cyberfile maintainers"
        )
        problems.append(
            f"{subject}: not drawn, Graphviz failed with {', '.join(failures)}{limit}; the "
            f"document lists its elements as text instead. To draw it: {fix}"
        )
        why = "This diagram was not drawn: Graphviz could not lay it out."
    return placeholder_svg(arch, elements, title, why + " Its elements are listed below.")


_EXPLOITABILITY = [Exploitability.HIGH, Exploitability.MEDIUM, Exploitability.LOW]
_SEVERITY = list(Severity)


def risk_matrix_svg(project: Project) -> str:
    """Exploitability (rows) by severity of patient harm (columns); acceptable cells under
    the policy green, others red; each cell counts threats before (pre) and after (post)
    mitigation."""
    acceptance = project.manifest.policy.risk_acceptance
    pre: dict[tuple[str, str], int] = {}
    post: dict[tuple[str, str], int] = {}
    for threat in project.threats.threats:
        for table, rating in ((pre, threat.pre_mitigation), (post, threat.post_mitigation)):
            if rating is not None:
                key = (rating.exploitability.value, rating.severity.value)
                table[key] = table.get(key, 0) + 1
    cell_w, cell_h, left, top = 120, 56, 120, 60
    width = left + cell_w * len(_SEVERITY) + 20
    height = top + cell_h * len(_EXPLOITABILITY) + 50
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Arimo, Arial, sans-serif" font-size="12">',
        f'<text x="{left}" y="20" font-size="14" font-weight="bold">'
        "Residual risk matrix (threat counts: pre / post mitigation)</text>",
        f'<text x="{left + cell_w * len(_SEVERITY) / 2}" y="{top - 22}" text-anchor="middle">'
        "Severity of patient harm</text>",
    ]
    for col, severity in enumerate(_SEVERITY):
        x = left + col * cell_w + cell_w / 2
        out.append(f'<text x="{x}" y="{top - 6}" text-anchor="middle">{severity.value}</text>')
    for row, exploitability in enumerate(_EXPLOITABILITY):
        y = top + row * cell_h
        out.append(
            f'<text x="{left - 8}" y="{y + cell_h / 2 + 4}" text-anchor="end">'
            f"{exploitability.value}</text>"
        )
        for col, severity in enumerate(_SEVERITY):
            x = left + col * cell_w
            fill = "#d9f2d9" if acceptance.is_acceptable(exploitability, severity) else "#f7d4d4"
            key = (exploitability.value, severity.value)
            out.append(
                f'<rect x="{x}" y="{y}" width="{cell_w}" height="{cell_h}" '
                f'fill="{fill}" stroke="#555"/>'
            )
            label = f"{pre.get(key, 0)} / {post.get(key, 0)}"
            out.append(
                f'<text x="{x + cell_w / 2}" y="{y + cell_h / 2 + 4}" '
                f'text-anchor="middle">{xml_escape(label)}</text>'
            )
    out.append(
        f'<text x="12" y="{top + cell_h * 1.5}" transform="rotate(-90 12 '
        f'{top + cell_h * 1.5})" text-anchor="middle">Exploitability</text>'
    )
    legend_y = top + cell_h * len(_EXPLOITABILITY) + 28
    out.append(
        f'<rect x="{left}" y="{legend_y - 11}" width="14" height="14" fill="#d9f2d9" '
        'stroke="#555"/>'
    )
    out.append(f'<text x="{left + 20}" y="{legend_y}">acceptable</text>')
    out.append(
        f'<rect x="{left + 200}" y="{legend_y - 11}" width="14" height="14" '
        'fill="#f7d4d4" stroke="#555"/>'
    )
    out.append(f'<text x="{left + 220}" y="{legend_y}">not acceptable</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def project_diagrams(project: Project, *, problems: list[str] | None = None) -> dict[str, str]:
    """Diagram name -> SVG: the whole system, each view, and the risk matrix. A data-flow
    diagram Graphviz cannot lay out is drawn more plainly or, at worst, replaced by a
    placeholder listing its elements; each such diagram adds one message to `problems`
    (naming the view, saying what happened and, for a placeholder, how to fix it)."""
    arch = project.architecture
    found: list[str] = problems if problems is not None else []
    programs = graphviz_programs()
    diagrams = {
        "dataflow-system": _draw_dataflow(
            "system diagram (dataflow-system)",
            arch,
            None,
            "Data flows and trust boundaries",
            programs,
            found,
        ),
        "risk-matrix": risk_matrix_svg(project),
    }
    for view in arch.views:
        diagrams[f"view-{view.id.lower()}"] = _draw_dataflow(
            f"view {view.id}", arch, view.elements, view.title, programs, found
        )
    return diagrams
