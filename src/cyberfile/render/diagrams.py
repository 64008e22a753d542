"""Diagrams as SVG, made at build time so the site and the PDFs show the same picture:
data-flow diagrams with trust boundaries (Graphviz `dot`, from the graphviz-pure wheel
or a system Graphviz) and the risk matrix (drawn directly).

A diagram Graphviz cannot lay out never stops the build: it is tried again with simpler
layouts (`LAYOUTS`), then with a system `dot` if there is one, and at worst replaced by a
placeholder that lists the diagram's elements as text; `project_diagrams` reports each
such diagram in `problems`."""

from __future__ import annotations

import contextlib
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

_SHAPES = {
    "software": "box",
    "firmware": "box3d",
    "hardware": "component",
    "data": "cylinder",
    "service": "box",
    "external_system": "box",
    "user": "ellipse",
}

LAYOUT_TIMEOUT_SECONDS = 60.0
"""Longest one Graphviz run may take before it is stopped and the next layout tried."""
DIAGRAM_BUDGET_SECONDS = 180.0
"""Longest all the Graphviz runs for one diagram may take together."""


class DiagramError(Exception):
    """Graphviz is missing or failed; the message says why, in a few words."""


class _NotStarted(DiagramError):
    """The layout program could not be started at all: another layout will not help."""


@dataclass(frozen=True)
class Layout:
    """One way to ask Graphviz for a data-flow diagram."""

    splines: str
    boundaries_as_boxes: bool = True

    def describe(self) -> str:
        text = f"splines={self.splines}"
        return text if self.boundaries_as_boxes else f"{text} and trust boundaries as text"


LAYOUTS: tuple[Layout, ...] = (
    # Graphviz's default, the drawing cyberfile has always made
    Layout("spline"),
    # straight edges need no spline router, so no "triangulation failed ... lost edge";
    # splines=polyline uses the same router and fails on the same diagrams
    Layout("line"),
    # without clusters dot ranks the nodes in one pass, so no "trouble in init_rank";
    # each asset then names its trust boundaries in its box
    Layout("spline", boundaries_as_boxes=False),
    Layout("line", boundaries_as_boxes=False),
)
"""The layouts tried in turn, best first; later ones are plainer and fail less often."""


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


def _flow_label(flow: DataFlow) -> str:
    parts = [flow.id]
    if flow.interface:
        parts.append(flow.interface.value)
    if flow.carries:
        parts.append("/".join(c.value for c in flow.carries))
    return " · ".join(parts)


def dataflow_dot(
    arch: Architecture,
    elements: Iterable[str] | None,
    title: str,
    layout: Layout = LAYOUTS[0],
) -> str:
    """DOT source of the data-flow diagram of the given elements (None: everything)."""
    selection = _select(arch, elements)
    shown = {a.id for a in selection.assets}
    if not layout.boundaries_as_boxes and selection.boundaries:
        title = f"{title} (trust boundaries in [brackets])"
    graph = f"label={_q(title)}; labelloc=t; fontname=Arimo; fontsize=14; rankdir=LR;"
    if layout.splines != "spline":  # Graphviz's default: the source stays as it always was
        graph += f" splines={layout.splines};"
    lines = [
        "digraph dataflow {",
        f"  {graph}",
        "  node [fontname=Arimo, fontsize=10, style=filled, fillcolor=white];",
        "  edge [fontname=Arimo, fontsize=9];",
    ]
    inside: dict[str, list[str]] = {}
    placed: set[str] = set()
    for index, boundary in enumerate(selection.boundaries):
        members = [a for a in sorted(boundary.assets) if a in shown and a not in placed]
        for asset_id in sorted(set(boundary.assets) & shown):
            inside.setdefault(asset_id, []).append(boundary.name)
        if not members or not layout.boundaries_as_boxes:
            continue
        lines.append(f"  subgraph cluster_{index} {{")
        lines.append(f"    label={_q(boundary.name)}; style=dashed; color=red; fontcolor=red;")
        for asset_id in members:
            placed.add(asset_id)
            lines.append(f"    {_q(asset_id)};")
        lines.append("  }")
    for asset in selection.assets:
        label = f"{_wrap(asset.name)}\\n({asset.kind.value})"
        if not layout.boundaries_as_boxes and asset.id in inside:
            label += "\\n" + _wrap("[" + "; ".join(inside[asset.id]) + "]")
        critical = ", penwidth=2, color=darkred" if asset.critical_function else ""
        lines.append(
            f'  {_q(asset.id)} [label="{label}", shape={_SHAPES.get(asset.kind.value, "box")}'
            f"{critical}];"
        )
    for flow in selection.flows:
        lines.append(f"  {_q(flow.from_)} -> {_q(flow.to)} [label={_q(_flow_label(flow))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


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
        raise DiagramError(f"timed out after {timeout:.3g} s") from None
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
    return re.sub(r"<!-- Generated by .*?-->\n?", "", svg, flags=re.S)


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
        for layout in LAYOUTS:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                out_of_time = True
                break
            source = dataflow_dot(arch, elements, title, layout)
            try:
                svg = render_svg(source, program, timeout=min(LAYOUT_TIMEOUT_SECONDS, remaining))
            except _NotStarted as exc:  # no layout can help: on to the next program
                failures.append(f"`{Path(program).name}` ({exc})")
                break
            except DiagramError as exc:
                failures.append(f"{engine}{layout.describe()} ({exc})")
                continue
            if failures:
                problems.append(
                    f"{subject}: Graphviz failed with {', '.join(failures)}; "
                    f"drawn with {engine}{layout.describe()}"
                )
            return svg
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
