"""Diagrams as SVG, made at build time so the site and the PDFs show the same picture:
data-flow diagrams with trust boundaries (Graphviz `dot`, from the graphviz-pure wheel
or a system Graphviz) and the risk matrix (drawn directly)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from cyberfile.model.architecture import Architecture
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


class DiagramError(Exception):
    """Graphviz is missing or failed; the message says how to get it."""


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


def _q(text: str) -> str:
    """A DOT double-quoted string that shows `text` literally."""
    flat = " ".join(text.split())
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wrap(text: str, width: int = 28) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\\n".join(part.replace("\\", "\\\\").replace('"', '\\"') for part in lines if part)


def dataflow_dot(arch: Architecture, elements: Iterable[str] | None, title: str) -> str:
    """DOT source of the data-flow diagram of the given elements (None: everything)."""
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
    lines = [
        "digraph dataflow {",
        f"  label={_q(title)}; labelloc=t; fontname=Arimo; fontsize=14; rankdir=LR;",
        "  node [fontname=Arimo, fontsize=10, style=filled, fillcolor=white];",
        "  edge [fontname=Arimo, fontsize=9];",
    ]
    placed: set[str] = set()
    for index, boundary in enumerate(sorted(boundaries, key=lambda b: b.id)):
        members = [a for a in sorted(boundary.assets) if a in shown and a not in placed]
        if not members:
            continue
        lines.append(f"  subgraph cluster_{index} {{")
        lines.append(f"    label={_q(boundary.name)}; style=dashed; color=red; fontcolor=red;")
        for asset_id in members:
            placed.add(asset_id)
            lines.append(f"    {_q(asset_id)};")
        lines.append("  }")
    for asset_id in sorted(shown):
        asset = assets[asset_id]
        label = f"{_wrap(asset.name)}\\n({asset.kind.value})"
        critical = ", penwidth=2, color=darkred" if asset.critical_function else ""
        lines.append(
            f'  {_q(asset_id)} [label="{label}", shape={_SHAPES.get(asset.kind.value, "box")}'
            f"{critical}];"
        )
    for flow in sorted(flows, key=lambda f: f.id):
        if flow.from_ not in shown or flow.to not in shown:
            continue
        parts = [flow.id]
        if flow.interface:
            parts.append(flow.interface.value)
        if flow.carries:
            parts.append("/".join(c.value for c in flow.carries))
        lines.append(f"  {_q(flow.from_)} -> {_q(flow.to)} [label={_q(' · '.join(parts))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot_source: str, program: str | None = None) -> str:
    try:
        result = subprocess.run(
            [program or dot_program(), "-Tsvg"],
            input=dot_source.encode("utf-8"),
            capture_output=True,
            check=False,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DiagramError(f"Graphviz failed to run: {exc}") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise DiagramError(f"Graphviz failed: {message}")
    svg = result.stdout.decode("utf-8")
    # drop the generator comment (a version string) so outputs do not depend on it
    return re.sub(r"<!-- Generated by .*?-->\n?", "", svg, flags=re.S)


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
    out.append(f'<text x="{left + 20}" y="{legend_y}">acceptable (controlled)</text>')
    out.append(
        f'<rect x="{left + 200}" y="{legend_y - 11}" width="14" height="14" '
        'fill="#f7d4d4" stroke="#555"/>'
    )
    out.append(f'<text x="{left + 220}" y="{legend_y}">not acceptable (uncontrolled)</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def project_diagrams(project: Project) -> dict[str, str]:
    """Diagram name -> SVG: the whole system, each view, and the risk matrix."""
    arch = project.architecture
    program = dot_program()
    diagrams = {
        "dataflow-system": render_svg(
            dataflow_dot(arch, None, "Data flows and trust boundaries"), program
        ),
        "risk-matrix": risk_matrix_svg(project),
    }
    for view in arch.views:
        diagrams[f"view-{view.id.lower()}"] = render_svg(
            dataflow_dot(arch, view.elements, view.title), program
        )
    return diagrams
