"""Diagrams: a data-flow diagram Graphviz cannot lay out is drawn more plainly or replaced
by a placeholder that lists its elements, and reported; the build never stops on it."""

from __future__ import annotations

import dataclasses
import itertools
import re
import shutil
import stat
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from cyberfile.load.project import load_project
from cyberfile.model.architecture import Architecture
from cyberfile.model.project import Project
from cyberfile.render import diagrams
from cyberfile.render.diagrams import (
    LAYOUTS,
    DiagramError,
    choose_drawing,
    dataflow_dot,
    dot_program,
    project_diagrams,
    render_svg,
    svg_size,
    without_links,
)

from .conftest import EXAMPLE, Run, shared_data_path

TRIANGULATION_FAILED = "graphviz/triangulation-failed.dot"
SYSTEM_TITLE = "Data flows and trust boundaries"


@pytest.fixture(scope="module")
def example() -> Project:
    project = load_project(EXAMPLE).project
    assert project is not None
    return project


def with_architecture(project: Project, arch: Architecture) -> Project:
    return dataclasses.replace(project, architecture=arch)


def graphviz_clusters(svg: str) -> int:
    return svg.count('class="cluster"')


XLINK = "{http://www.w3.org/1999/xlink}"
SVG_NS = "{http://www.w3.org/2000/svg}"


@dataclasses.dataclass(frozen=True)
class Link:
    href: str
    target: str | None
    tooltip: str | None
    kind: str  # the class of the Graphviz group it is in: node, edge or cluster
    title: str  # that group's title: a node's id, `A->B` for an edge, cluster_N


def links_of(svg: str) -> list[Link]:
    """Every link in an SVG (`a` elements with `xlink:href` or `href`), with the node,
    edge or cluster that holds it."""
    found: list[Link] = []
    for group in ET.fromstring(svg).iter(f"{SVG_NS}g"):
        kind = group.get("class")
        if kind not in {"node", "edge", "cluster"}:
            continue
        title = group.findtext(f"{SVG_NS}title") or ""
        for anchor in group.iter(f"{SVG_NS}a"):
            href = anchor.get(f"{XLINK}href") or anchor.get("href")
            if href is not None:
                tooltip = anchor.get(f"{XLINK}title") or anchor.get("title")
                found.append(Link(href, anchor.get("target"), tooltip, kind, title))
    return found


def all_hrefs(svg: str) -> list[str]:
    """Every href or xlink:href attribute anywhere in the SVG."""
    return [
        value
        for element in ET.fromstring(svg).iter()
        for name, value in element.attrib.items()
        if name in {"href", f"{XLINK}href"}
    ]


def page(ident: str) -> str:
    return f"../items/{ident}.html"


def graphviz_titles(svg: str) -> set[str]:
    """The titles of the nodes and edges Graphviz drew (node ids, `A->B` for edges)."""
    return {t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}title")}


def only_the_bundled_graphviz(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Hide any system `dot`, so that the bundled graphviz-pure is the only engine."""
    empty = tmp_path / "empty-path"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", str(empty))
    program = dot_program()
    assert Path(program).name == "graphviz-pure", program
    return program


def fake_graphviz(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, script: str) -> Path:
    """A Graphviz that is this shell script, and no other Graphviz anywhere."""
    folder = tmp_path / "fake-bin"
    folder.mkdir()
    program = folder / "dot"
    program.write_text(script, encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    empty = tmp_path / "empty-path"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(diagrams, "dot_program", lambda: str(program))
    return program


def no_graphviz(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def missing() -> str:
        raise DiagramError("no Graphviz found")

    empty = tmp_path / "empty-path"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(diagrams, "dot_program", missing)


def architecture_of_dot(text: str) -> Architecture:
    """The architecture whose whole-system diagram is `text` (DOT as dataflow_dot writes
    it): boundaries from the clusters, assets from the nodes, flows from the edges."""
    boundaries: list[dict[str, object]] = []
    assets: list[dict[str, object]] = []
    flows: list[dict[str, object]] = []
    for line in text.splitlines():
        if re.fullmatch(r"  subgraph cluster_\d+ \{", line):
            boundaries.append({"id": f"TB-{len(boundaries):02d}", "assets": []})
        elif found := re.fullmatch(r'    label="([^"]*)"; style=dashed.*', line):
            boundaries[-1]["name"] = found[1]
        elif found := re.fullmatch(r'    "([^"]+)";', line):
            members = boundaries[-1]["assets"]
            assert isinstance(members, list)
            members.append(found[1])
        elif found := re.fullmatch(
            r'  "([^"]+)" \[label="(.*)\\n\((\w+)\)", shape=\w+(, penwidth=2, color=darkred)?\];',
            line,
        ):
            assets.append(
                {
                    "id": found[1],
                    "name": found[2].replace("\\n", " "),
                    "kind": found[3],
                    "critical_function": found[4] is not None,
                }
            )
        elif found := re.fullmatch(r'  "([^"]+)" -> "([^"]+)" \[label="([^"]*)"\];', line):
            flow_id, interface, carries = found[3].split(" · ")
            flows.append(
                {
                    "id": flow_id,
                    "from": found[1],
                    "to": found[2],
                    "interface": interface,
                    "carries": carries.split("/"),
                }
            )
    return Architecture.model_validate(
        {"assets": assets, "data_flows": flows, "trust_boundaries": boundaries}
    )


@pytest.fixture
def real_failing_architecture() -> Architecture:
    """The architecture of the shared diagram (as cyberfile wrote it before its diagrams
    had links and larger text), which the bundled Graphviz cannot lay out left to right
    with curved edges ("triangulation failed")."""
    text = shared_data_path(TRIANGULATION_FAILED).read_text(encoding="utf-8")
    arch = architecture_of_dot(text)
    # every cluster, node and edge of the shared file was read
    assert len(arch.trust_boundaries) == text.count("subgraph cluster_") == 4
    assert len(arch.assets) == len(re.findall(r"^  \"[^\"]+\" \[label=", text, re.M)) == 20
    assert len(arch.data_flows) == text.count(" -> ") == 25
    return arch


def left_to_right_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The bundled Graphviz, made to lay out every diagram left to right (as cyberfile
    did before it tried top to bottom too), so that a diagram it cannot lay out left to
    right fails in every direction tried and the plainer LAYOUTS are used."""
    sed = shutil.which("sed")
    if sed is None:
        pytest.skip("no `sed` to make the wrapper script")
    bundled = only_the_bundled_graphviz(monkeypatch, tmp_path)
    fake_graphviz(
        monkeypatch,
        tmp_path,
        f'#!/bin/sh\n"{sed}" "s/rankdir=TB;/rankdir=LR;/" | "{bundled}" "$@"\n',
    )


def test_a_failed_run_is_an_error_even_when_it_printed_an_svg(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text = shared_data_path(TRIANGULATION_FAILED).read_text(encoding="utf-8")
    program = only_the_bundled_graphviz(monkeypatch, tmp_path)
    # graphviz-pure exits 1 but still prints an SVG, one with a data flow missing
    with pytest.raises(DiagramError, match=r"^triangulation failed$"):
        render_svg(text, program)


def test_triangulation_failure_is_drawn_with_straight_edges_and_reported(
    example: Project,
    real_failing_architecture: Architecture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    left_to_right_only(monkeypatch, tmp_path)
    project = with_architecture(example, real_failing_architecture)
    problems: list[str] = []

    drawn = project_diagrams(project, problems=problems)

    svg = drawn["dataflow-system"]
    assert graphviz_clusters(svg) == 4  # the trust boundaries are still boxes
    titles = graphviz_titles(svg)
    tooltips = {link.href: link.tooltip for link in links_of(svg)}
    for asset in real_failing_architecture.assets:
        assert asset.id in titles
    for flow in real_failing_architecture.data_flows:
        assert f"{flow.from_}->{flow.to}" in titles  # no "lost edge": every flow is drawn
        # 25 flows: labelled with their ids only, the rest is in the tooltip
        assert flow.id in svg_text(svg).split("\n")
        assert flow.interface is not None
        carries = "/".join(c.value for c in flow.carries)
        assert f"; {flow.interface.value}; carries {carries}" in tooltips[page(flow.id)]
    assert problems == [
        "system diagram (dataflow-system): Graphviz failed with splines=spline "
        "(triangulation failed); drawn with splines=line"
    ]
    assert "<svg" in drawn["risk-matrix"]


def test_fallback_drawings_are_byte_identical_run_after_run(
    example: Project,
    real_failing_architecture: Architecture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    left_to_right_only(monkeypatch, tmp_path)
    project = with_architecture(example, real_failing_architecture)
    first: list[str] = []
    second: list[str] = []
    assert project_diagrams(project, problems=first) == project_diagrams(project, problems=second)
    assert first == second
    assert first  # the drawings are fallbacks indeed


def synthetic_large_view() -> Architecture:
    """20 assets, 40 crossing flows and 3 trust boundaries: the bundled engine stops in
    its ranking ("trouble in init_rank") whatever the splines, as long as the trust
    boundaries are clusters."""
    kinds = ["software", "firmware", "hardware", "data", "service", "external_system", "user"]
    n = 20
    assets = [{"id": f"AST-{i:03d}", "name": f"Asset {i}", "kind": kinds[i % 7]} for i in range(n)]
    flows = [
        {"id": f"DF-{i:03d}-{k}", "from": f"AST-{i:03d}", "to": f"AST-{(i * s + k + 1) % n:03d}"}
        for i in range(n)
        for k, s in enumerate((3, 7))
        if (i * s + k + 1) % n != i
    ]
    boundaries = [
        {
            "id": f"TB-{b}",
            "name": f"Trust boundary {b}",
            "assets": [f"AST-{(b * 15 + j * 2) % n:03d}" for j in range(5)],
        }
        for b in range(3)
    ]
    everything = [a["id"] for a in assets] + [f["id"] for f in flows]
    views = [
        {
            "id": "VIEW-ALL",
            "type": "global_system",
            "title": "Everything",
            "elements": everything + [b["id"] for b in boundaries],
        }
    ]
    return Architecture.model_validate(
        {"assets": assets, "data_flows": flows, "trust_boundaries": boundaries, "views": views}
    )


def test_ranking_failure_is_drawn_with_trust_boundaries_as_text(
    example: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    left_to_right_only(monkeypatch, tmp_path)
    arch = synthetic_large_view()
    problems: list[str] = []

    drawn = project_diagrams(with_architecture(example, arch), problems=problems)

    for name in ("dataflow-system", "view-view-all"):
        svg = drawn[name]
        assert graphviz_clusters(svg) == 0
        assert {a.id for a in arch.assets} <= graphviz_titles(svg)
        assert "[Trust boundary 0]" in svg and "[Trust boundary 2]" in svg
        assert "(trust boundaries in [brackets])" in svg
    tried = (
        "Graphviz failed with splines=spline (trouble in init_rank), splines=line "
        "(trouble in init_rank); drawn with splines=spline and trust boundaries as text"
    )
    assert problems == [f"system diagram (dataflow-system): {tried}", f"view VIEW-ALL: {tried}"]


def test_example_project_lays_out_normally(example: Project) -> None:
    problems: list[str] = []

    drawn = project_diagrams(example, problems=problems)

    assert problems == []
    views = example.architecture.views
    assert set(drawn) == {"dataflow-system", "risk-matrix"} | {
        f"view-{v.id.lower()}" for v in views
    }
    for name, svg in drawn.items():
        if name != "risk-matrix":
            assert 'class="graph"' in svg, name  # drawn by Graphviz, not a placeholder
            assert "not drawn" not in svg
    boxes = dataflow_dot(example.architecture, None, "").count("subgraph cluster_")
    assert boxes and graphviz_clusters(drawn["dataflow-system"]) == boxes
    assert project_diagrams(example) == drawn  # and the same bytes every time


def element_ids(arch: Architecture, elements: tuple[str, ...]) -> list[str]:
    known = (
        {a.id for a in arch.assets}
        | {f.id for f in arch.data_flows}
        | {b.id for b in arch.trust_boundaries}
    )
    return [e for e in elements if e in known]


def svg_text(svg: str) -> str:
    """All the text an SVG shows, from its parsed XML (so it must be well-formed)."""
    return "\n".join("".join(node.itertext()) for node in ET.fromstring(svg).iter() if node.text)


def test_without_graphviz_each_diagram_is_a_placeholder_listing_its_elements(
    example: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    no_graphviz(monkeypatch, tmp_path)
    problems: list[str] = []

    drawn = project_diagrams(example, problems=problems)

    arch = example.architecture
    assert len(problems) == 1 + len(arch.views)
    assert problems[0].startswith("system diagram (dataflow-system): not drawn, no Graphviz")
    for view, problem in zip(arch.views, problems[1:], strict=True):
        assert problem.startswith(f"view {view.id}: not drawn, no Graphviz found;")
        assert "pip install graphviz-pure" in problem and "`dot` is on PATH" in problem
        text = svg_text(drawn[f"view-{view.id.lower()}"])
        assert view.title in text
        assert "This diagram was not drawn: no Graphviz was found" in text
        for element in element_ids(arch, view.elements):
            assert element in text, (view.id, element)
    system = svg_text(drawn["dataflow-system"])
    for asset in arch.assets:
        assert f"{asset.id}: {asset.name} ({asset.kind.value}" in system
    assert "<svg" in drawn["risk-matrix"]  # drawn without Graphviz, as always


CRASHES = {
    "exit 1": (
        '#!/bin/sh\necho "Warning: ignore me" >&2\necho "$0: cannot lay out" >&2\nexit 1\n',
        "(dot: cannot lay out)",
    ),
    "killed": ("#!/bin/sh\nkill -9 $$\n", "(killed by signal SIGKILL)"),
    "silent exit 3": ("#!/bin/sh\nexit 3\n", "(exit status 3)"),
    "no SVG": ("#!/bin/sh\ncat >/dev/null\necho hello\n", "(no SVG in the output)"),
}


@pytest.mark.parametrize("crash", sorted(CRASHES))
def test_crashing_graphviz_gives_placeholders_and_problems(
    crash: str, example: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    script, reason = CRASHES[crash]
    fake_graphviz(monkeypatch, tmp_path, script)
    problems: list[str] = []

    drawn = project_diagrams(example, problems=problems)

    arch = example.architecture
    assert len(problems) == 1 + len(arch.views)
    for view, problem in zip(arch.views, problems[1:], strict=True):
        assert problem.startswith(f"view {view.id}: not drawn, Graphviz failed with ")
        assert f"splines=spline {reason}" in problem
        assert f"splines=line and trust boundaries as text {reason}" in problem
        assert "install Graphviz" in problem
        assert str(tmp_path) not in problem
        text = svg_text(drawn[f"view-{view.id.lower()}"])
        assert "This diagram was not drawn: Graphviz could not lay it out." in text
        for element in element_ids(arch, view.elements):
            assert element in text, (view.id, element)


def test_graphviz_that_cannot_be_started_gives_placeholders(
    example: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    program = fake_graphviz(monkeypatch, tmp_path, "#!/bin/sh\nexit 0\n")
    program.chmod(0o644)
    problems: list[str] = []

    drawn = project_diagrams(example, problems=problems)

    assert problems[0] == (
        "system diagram (dataflow-system): not drawn, Graphviz failed with `dot` (could not be "
        "started: Permission denied); the document lists its elements as text instead. To draw "
        "it: install Graphviz (https://graphviz.org/download/, e.g. `apt-get install "
        "graphviz`) so that `dot` is on PATH, then build again"
    )
    assert "not drawn" in svg_text(drawn["dataflow-system"])


@pytest.mark.slow
def test_a_hanging_graphviz_is_stopped(
    example: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # `sleep` is a child of the script: stopping the script alone would leave it holding
    # the output pipe open for 30 s
    sleep = shutil.which("sleep") or "/bin/sleep"
    fake_graphviz(monkeypatch, tmp_path, f"#!/bin/sh\n{sleep} 30\nexit 0\n")
    monkeypatch.setattr(diagrams, "LAYOUT_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(diagrams, "DIAGRAM_BUDGET_SECONDS", 0.8)
    arch = example.architecture.model_copy(update={"views": ()})
    problems: list[str] = []
    start = time.monotonic()

    drawn = project_diagrams(with_architecture(example, arch), problems=problems)

    assert time.monotonic() - start < 10
    assert len(problems) == 1
    assert "splines=spline (timed out after 0.3 s)" in problems[0]
    assert "stopped after 0.8 s for this diagram" in problems[0]
    assert "not drawn" in svg_text(drawn["dataflow-system"])


def test_a_system_dot_is_the_second_opinion(
    example: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundled = only_the_bundled_graphviz(monkeypatch, tmp_path)
    fake_graphviz(monkeypatch, tmp_path, "#!/bin/sh\necho 'Error: broken' >&2\nexit 1\n")
    system = tmp_path / "system-bin"
    system.mkdir()
    (system / "dot").write_text(f'#!/bin/sh\nexec "{bundled}" "$@"\n', encoding="utf-8")
    (system / "dot").chmod(0o755)
    monkeypatch.setenv("PATH", str(system))
    arch = example.architecture.model_copy(update={"views": ()})
    problems: list[str] = []

    drawn = project_diagrams(with_architecture(example, arch), problems=problems)

    assert problems == [
        "system diagram (dataflow-system): Graphviz failed with splines=spline (broken), "
        "splines=line (broken), splines=spline and trust boundaries as text (broken), "
        "splines=line and trust boundaries as text (broken); drawn with the system "
        "Graphviz `dot` with splines=spline"
    ]
    assert graphviz_clusters(drawn["dataflow-system"]) > 0


def test_when_the_system_dot_fails_too_the_advice_is_not_to_install_it(
    example: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    program = fake_graphviz(monkeypatch, tmp_path, "#!/bin/sh\nexit 1\n")
    monkeypatch.setenv("PATH", str(program.parent))  # the failing `dot` is the system one
    arch = example.architecture.model_copy(update={"views": ()})
    problems: list[str] = []

    project_diagrams(with_architecture(example, arch), problems=problems)

    assert len(problems) == 1
    assert "install Graphviz" not in problems[0]
    assert problems[0].endswith(
        "To draw it: make the view smaller (fewer elements or trust boundaries), or report "
        "the diagram to the cyberfile maintainers"
    )


HOSTILE = "<script>alert(1)</script>"


def test_hostile_names_stay_escaped_in_the_placeholder(
    example: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    no_graphviz(monkeypatch, tmp_path)
    arch = Architecture.model_validate(
        {
            "assets": [
                {"id": "AST-EVIL", "name": HOSTILE, "kind": "software"},
                {"id": "AST-CTRL", "name": 'Tab\tbell\x07 & "quotes"', "kind": "data"},
            ],
            "data_flows": [{"id": "DF-EVIL", "from": "AST-EVIL", "to": "AST-CTRL"}],
            "trust_boundaries": [
                {"id": "TB-EVIL", "name": '<img src=x onerror="alert(2)">', "assets": ["AST-EVIL"]}
            ],
            "views": [
                {
                    "id": "VIEW-EVIL",
                    "type": "security_use_case",
                    "title": "</text><script>alert(3)</script>",
                    "elements": ["DF-EVIL"],
                }
            ],
        }
    )
    problems: list[str] = []

    drawn = project_diagrams(with_architecture(example, arch), problems=problems)

    for name in ("dataflow-system", "view-view-evil"):
        svg = drawn[name]
        assert "<script" not in svg and "<img" not in svg
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
        text = svg_text(svg)  # well-formed XML, the bell character replaced
        assert f"AST-EVIL: {HOSTILE} (software)" in text
        assert 'TB-EVIL: <img src=x onerror="alert(2)">; assets: AST-EVIL' in text
        assert 'AST-CTRL: Tab bell\ufffd & "quotes" (data)' in text
    assert "</text><script>alert(3)</script>" in svg_text(drawn["view-view-evil"])
    assert [p.split(":")[0] for p in problems] == [
        "system diagram (dataflow-system)",
        "view VIEW-EVIL",
    ]


def test_hostile_names_stay_escaped_in_graphviz_drawings(example: Project) -> None:
    arch = Architecture.model_validate(
        {
            "assets": [{"id": "AST-EVIL", "name": f"{HOSTILE} \x07", "kind": "software"}],
            "trust_boundaries": [
                {"id": "TB-EVIL", "name": '<img src=x onerror="alert(2)">', "assets": ["AST-EVIL"]}
            ],
        }
    )
    problems: list[str] = []

    svg = project_diagrams(with_architecture(example, arch), problems=problems)["dataflow-system"]

    assert problems == []
    assert "<script" not in svg and "<img" not in svg
    text = svg_text(svg)  # well-formed XML: no bell character from the name
    assert HOSTILE in text and '<img src=x onerror="alert(2)">' in text


@pytest.mark.slow
def test_build_goes_on_when_graphviz_crashes_and_says_so(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Through the command line: a crashing Graphviz was 'internal error', exit 3."""
    fake_graphviz(monkeypatch, tmp_path, "#!/bin/sh\necho 'Segmentation fault' >&2\nexit 139\n")
    out = tmp_path / "out"
    run = cli("build", str(EXAMPLE), "-o", str(out), "--no-pdf", "--no-site")
    assert run.code == 0, run.err
    assert "internal error" not in run.err
    warnings = [line for line in run.err.splitlines() if ": warning: " in line]
    assert any("view VIEW-GLOBAL: not drawn" in line for line in warnings), run.err
    svg = (out / EXAMPLE.name / "documents" / "diagrams" / "view-view-global.svg").read_text()
    assert "This diagram was not drawn" in svg


# ------------------------------------------------------------ links and legibility


def example_views(example: Project) -> dict[str, tuple[tuple[str, ...] | None, str]]:
    """Diagram name -> the elements it shows (None: the whole system) and its title."""
    views: dict[str, tuple[tuple[str, ...] | None, str]] = {"dataflow-system": (None, SYSTEM_TITLE)}
    views.update(
        {f"view-{v.id.lower()}": (v.elements, v.title) for v in example.architecture.views}
    )
    return views


def test_every_element_of_the_global_view_links_to_its_page(example: Project) -> None:
    arch = example.architecture
    view = next(v for v in arch.views if v.id == "VIEW-GLOBAL")
    svg = project_diagrams(example)["view-view-global"]

    links = links_of(svg)

    assert links and all(link.target == "_top" for link in links)
    names = {a.id: a.name for a in arch.assets}
    nodes = {link.title: link for link in links if link.kind == "node"}
    assets = [a for a in view.elements if a in names]
    assert sorted(nodes) == sorted(assets)
    for asset_id in assets:
        assert nodes[asset_id].href == page(asset_id)
        assert nodes[asset_id].tooltip is not None
        assert nodes[asset_id].tooltip.startswith(f"{asset_id}: {names[asset_id]} (")
    flows = {f.id: f for f in arch.data_flows if f.id in view.elements}
    edges = [link for link in links if link.kind == "edge"]
    # each edge is linked twice (its line and its label), to the page of its own flow
    assert sorted({link.href for link in edges}) == sorted(page(f) for f in flows)
    for link in edges:
        flow = flows[link.href.removeprefix("../items/").removesuffix(".html")]
        assert link.title == f"{flow.from_}->{flow.to}"
        assert link.tooltip is not None and link.tooltip.startswith(f"{flow.id}: ")
        assert f"{names[flow.from_]} \u2192 {names[flow.to]}" in link.tooltip
    boundaries = {b.id: b for b in arch.trust_boundaries if b.id in view.elements}
    clusters = {link.href: link for link in links if link.kind == "cluster"}
    assert sorted(clusters) == sorted(page(b) for b in boundaries)
    for ident, boundary in boundaries.items():
        assert clusters[page(ident)].tooltip == f"{ident}: {boundary.name} (trust boundary)"
    # nothing else is a link, and every link is to an item page
    assert len(links) == len(nodes) + len(edges) + len(clusters)
    assert all(re.fullmatch(r"\.\./items/[A-Z0-9-]+\.html", h) for h in all_hrefs(svg))


def cluster_box(svg: str, href: str) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the dashed box of the cluster linked to `href`."""
    for group in ET.fromstring(svg).iter(f"{SVG_NS}g"):
        anchor = group.find(f"{SVG_NS}g/{SVG_NS}a")
        if anchor is None or anchor.get(f"{XLINK}href") != href:
            continue
        polygon = anchor.find(f"{SVG_NS}polygon")
        assert group.get("class") == "cluster" and polygon is not None
        points = [tuple(map(float, p.split(","))) for p in polygon.get("points", "").split()]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return min(xs), min(ys), max(xs), max(ys)
    raise AssertionError(f"no cluster links to {href}")


def test_a_trust_boundary_inside_another_is_drawn_inside_it(example: Project) -> None:
    # TB-SAFETY-DOMAIN holds AST-MOTOR-MCU only, which TB-PUMP-ENCLOSURE holds too: it
    # used to be left out of the drawing
    svg = project_diagrams(example)["view-view-global"]

    inner = cluster_box(svg, page("TB-SAFETY-DOMAIN"))
    outer = cluster_box(svg, page("TB-PUMP-ENCLOSURE"))

    assert outer[0] < inner[0] and outer[1] < inner[1]
    assert inner[2] < outer[2] and inner[3] < outer[3]


def texts_of(svg: str) -> list[str]:
    return sorted("".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG_NS}text"))


def test_without_links_leaves_no_link_and_every_text(example: Project) -> None:
    drawn = project_diagrams(example)

    for name, svg in drawn.items():
        plain = without_links(svg)
        assert all_hrefs(plain) == [], name
        assert "href" not in plain and "<a " not in plain and "</a>" not in plain
        assert not list(ET.fromstring(plain).iter(f"{SVG_NS}a"))
        assert texts_of(plain) == texts_of(svg), name  # every label kept
        assert graphviz_titles(plain) == graphviz_titles(svg)
    assert without_links(drawn["risk-matrix"]) == drawn["risk-matrix"]


def test_without_links_takes_out_the_link_tags_only() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<g id="a_node1"><a xlink:href="../items/A.html" xlink:title="1 > 0 and \'q\'" '
        'target="_top">\n<text>A &amp; <tspan>b</tspan></text>\n</a>\n</g>'
        "<a href='x'/><animate attributeName=\"x\"/><altGlyph>c</altGlyph></svg>"
    )

    assert without_links(svg) == (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<g id="a_node1">\n<text>A &amp; <tspan>b</tspan></text>\n\n</g>'
        '<animate attributeName="x"/><altGlyph>c</altGlyph></svg>'
    )


def font_sizes(svg: str) -> list[float]:
    return [float(size) for size in re.findall(r'font-size="([\d.]+)', svg)]


def assert_natural_size_in_points(svg: str) -> None:
    """Graphviz's SVG: width and height in pt, a viewBox of the same size and no scaling,
    so a font-size in it is in pt when the SVG is shown at its natural size."""
    root = ET.fromstring(svg)
    width, height = root.get("width", ""), root.get("height", "")
    assert width.endswith("pt") and height.endswith("pt")
    box = [float(v) for v in root.get("viewBox", "").split()]
    assert box[2:] == [float(width[:-2]), float(height[:-2])]
    graph = root.find(f"{SVG_NS}g")
    assert graph is not None and "scale(1 1)" in graph.get("transform", "")


def test_example_diagrams_have_text_of_12_pt_or_more(example: Project) -> None:
    drawn = project_diagrams(example)

    for name in example_views(example):
        svg = drawn[name]
        assert_natural_size_in_points(svg)
        assert font_sizes(svg) and min(font_sizes(svg)) >= 12, name
    assert min(font_sizes(drawn["risk-matrix"])) >= 12


def test_the_example_diagrams_are_no_wider_than_they_need_be(example: Project) -> None:
    """Each view of the example is drawn the way that needs least scrolling: no wider than
    the site's text column, or than the narrower of the plain left-to-right and
    top-to-bottom drawings; the global view, its leaves staggered, narrower than both."""
    drawn = project_diagrams(example)
    arch = example.architecture

    plain: dict[str, float] = {}
    for name, (elements, title) in example_views(example).items():
        plain[name] = min(
            svg_size(render_svg(dataflow_dot(arch, elements, title, LAYOUTS[0], d)))[0]
            for d in diagrams.DIRECTIONS
        )
        width = svg_size(drawn[name])[0]
        assert width <= max(plain[name], diagrams.FIT_WIDTH_PX), name
    for name in ("view-view-uc-autoprogram", "view-view-uc-drug-library"):
        assert svg_size(drawn[name])[0] <= diagrams.FIT_WIDTH_PX
    width, height = svg_size(drawn["view-view-global"])
    assert width < plain["view-view-global"] - 100
    assert width <= 1200 and height <= 1100  # 1156 x 1019 px when written


def sized(width: float, height: float, tag: str) -> str:
    return f'<svg width="{width * 0.75}pt" height="{height * 0.75}pt"><!-- {tag} --></svg>'


def test_choose_drawing_prefers_what_fits_then_the_narrowest() -> None:
    wide, tall = sized(1500, 400, "wide"), sized(700, 900, "tall")
    short = sized(600, 300, "short")
    assert choose_drawing([wide, tall]) == tall  # only one fits the text column
    assert choose_drawing([tall, short]) == short  # both fit: the least tall
    assert choose_drawing([sized(2000, 300, "a"), sized(1300, 2500, "b")]).endswith(
        "<!-- b --></svg>"
    )  # none fits: the narrowest
    assert choose_drawing([sized(800, 300, "a"), sized(800, 300, "b")]).endswith(
        "<!-- a --></svg>"
    )  # a tie: the first
    assert svg_size(sized(1500, 400, "")) == (1500, 400)


# A generated architecture of 40 assets and 60 data flows. ZONES: trust boundaries, each
# with a hub that talks to the other assets of its zone (some both ways), hubs that talk
# to each other both ways, and links between the zones; or, `scrambled`, flows between
# assets taken in a fixed but jumbled order.
ZONES = [
    ("TB-GEN-CLOUD", "Manufacturer cloud (production accounts)", 7),
    ("TB-GEN-HOSPITAL", "Hospital network (clinical VLAN and data centre)", 9),
    ("TB-GEN-MOBILE", "Hospital-managed mobile devices", 3),
    ("TB-GEN-PUMP", "Pump enclosure", 11),
    ("TB-GEN-DOCK", "Docking station", 4),
    ("", "", 6),  # assets outside every trust boundary
]
WORDS = [
    "infusion",
    "gateway",
    "drug library",
    "update",
    "telemetry",
    "event log",
    "identity",
    "certificate",
    "scheduler",
    "controller",
    "monitor",
    "backup",
    "directory",
    "analytics",
]
ROLES = ["service", "agent", "store", "module", "portal", "bridge", "firmware"]
KINDS = ["service", "software", "data", "firmware", "hardware", "external_system", "user"]
INTERFACES = ["wifi", "ethernet", "internet", "ble", "usb", "serial", "cloud"]
CARRIES = [["data"], ["data", "commands"], ["code"]]


def generated_architecture(scrambled: bool = False) -> Architecture:
    assets: list[dict[str, object]] = []
    boundaries: list[dict[str, object]] = []
    zones: list[list[str]] = []
    for z, (boundary, boundary_name, count) in enumerate(ZONES):
        ids = [f"AST-G{z}-{k:02d}" for k in range(count)]
        for k, ident in enumerate(ids):
            n = len(assets)
            words = [WORDS[n % 14], WORDS[(n * 5 + 3) % 14], ROLES[n % 7]][k % 3 == 0 :]
            assets.append(
                {
                    "id": ident,
                    "name": " ".join(words).capitalize(),
                    "kind": KINDS[(n * 3 + z) % 7],
                    "critical_function": n % 4 == 0,
                }
            )
        zones.append(ids)
        if boundary:
            boundaries.append({"id": boundary, "name": boundary_name, "assets": ids})
    pairs: list[tuple[str, str]] = []
    if scrambled:
        everything = [ident for ids in zones for ident in ids]
        step = 0
        while len(pairs) < 60:
            a, b = (step * 7 + 3) % 40, (step * 13 + 5 + step // 40) % 40
            step += 1
            if a != b and (everything[a], everything[b]) not in pairs:
                pairs.append((everything[a], everything[b]))
    else:
        for ids in zones:
            for k, ident in enumerate(ids[1:], 1):
                pairs.append((ids[0], ident))
                if k % 3 == 0:
                    pairs.append((ident, ids[0]))
        for here, there in itertools.pairwise(zones):
            pairs += [(here[0], there[0]), (there[0], here[0])]
        step = 0
        while len(pairs) < 60:
            here, there = zones[step % 6], zones[(step * 2 + 2) % 6]
            if here is not there:
                pairs.append(
                    (here[1 + step % (len(here) - 1)], there[1 + step * 3 % (len(there) - 1)])
                )
            step += 1
    flows = [
        {
            "id": f"DF-GEN-{n:03d}",
            "from": a,
            "to": b,
            "interface": INTERFACES[n % 7],
            "carries": CARRIES[n % 3],
            "protocol": f"Protocol {n} over TLS 1.3",
        }
        for n, (a, b) in enumerate(pairs)
    ]
    elements = [str(a["id"]) for a in assets] + [str(f["id"]) for f in flows]
    elements += [str(b["id"]) for b in boundaries]
    view = {"id": "VIEW-BIG", "type": "global_system", "title": "Generated", "elements": elements}
    return Architecture.model_validate(
        {"assets": assets, "data_flows": flows, "trust_boundaries": boundaries, "views": [view]}
    )


SANE_WIDTH_PX = 1920
"""At most two screens wide: the site's box scrolls sideways, but not for long."""
SANE_HEIGHT_PX = 4320
"""At most four screens (of 1080 px) tall: a page scrolls down easily."""


@pytest.mark.parametrize("scrambled", [False, True], ids=["zones", "scrambled"])
def test_a_view_of_40_assets_and_60_flows_stays_readable(
    scrambled: bool, example: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    only_the_bundled_graphviz(monkeypatch, tmp_path)
    arch = generated_architecture(scrambled)
    assert (len(arch.assets), len(arch.data_flows)) == (40, 60)
    problems: list[str] = []

    drawn = project_diagrams(with_architecture(example, arch), problems=problems)

    svg = drawn["view-view-big"]
    assert problems == []
    width, height = svg_size(svg)
    assert width <= SANE_WIDTH_PX and height <= SANE_HEIGHT_PX, (width, height)
    assert_natural_size_in_points(svg)
    assert min(font_sizes(svg)) >= 12
    assert graphviz_clusters(svg) == len(arch.trust_boundaries)  # still drawn as boxes
    titles = graphviz_titles(svg)
    assert {a.id for a in arch.assets} <= titles
    assert {f"{f.from_}->{f.to}" for f in arch.data_flows} <= titles
    links = links_of(svg)
    assert {link.href for link in links} == {
        page(x.id) for x in (*arch.assets, *arch.data_flows, *arch.trust_boundaries)
    }
    # many flows: each labelled with its id, its interface and protocol in the tooltip
    texts = texts_of(svg)
    tooltips = {link.href: link.tooltip or "" for link in links}
    for flow in arch.data_flows:
        assert flow.id in texts
        assert flow.interface is not None and flow.protocol is not None
        assert f"; {flow.interface.value}; " in tooltips[page(flow.id)]
        assert flow.protocol in tooltips[page(flow.id)]
    assert project_diagrams(with_architecture(example, arch))["view-view-big"] == svg


def test_diagrams_that_fail_left_to_right_are_drawn_top_to_bottom(
    example: Project,
    real_failing_architecture: Architecture,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    program = only_the_bundled_graphviz(monkeypatch, tmp_path)
    for arch, reason in (
        (real_failing_architecture, "triangulation failed"),
        (synthetic_large_view(), "trouble in init_rank"),
    ):
        with pytest.raises(DiagramError, match=reason):
            render_svg(dataflow_dot(arch, None, SYSTEM_TITLE, LAYOUTS[0], "LR"), program)
        problems: list[str] = []

        svg = project_diagrams(with_architecture(example, arch), problems=problems)[
            "dataflow-system"
        ]

        assert problems == []  # nothing is missing: no warning
        assert graphviz_clusters(svg) == len(arch.trust_boundaries)
        assert "rankdir=TB;" in dataflow_dot(arch, None, SYSTEM_TITLE, LAYOUTS[0], "TB")
        titles = graphviz_titles(svg)
        assert {f"{f.from_}->{f.to}" for f in arch.data_flows} <= titles


def test_assets_with_many_leaves_can_have_them_staggered(example: Project) -> None:
    arch = example.architecture
    # the gateway talks with six assets; the EHR, the two cloud services and the SIEM
    # talk with the gateway only
    plain = dataflow_dot(arch, None, "", LAYOUTS[0], "TB")
    staggered = dataflow_dot(arch, None, "", LAYOUTS[0], "TB", stagger=2)

    assert "minlen" not in plain
    longer = sorted(re.findall(r'^  "([A-Z-]+)" -> "([A-Z-]+)" .*minlen=2\];$', staggered, re.M))
    assert longer and len(longer) < 4
    assert all("AST-GATEWAY" in pair for pair in longer)


EVIL_NAMES = {
    "AST-EVIL": HOSTILE,
    "AST-JS": "javascript:alert(1)",
    "AST-QUOTE": 'Say "hi"\nthen\\N go \\" \\\\ ',
}


def test_hostile_names_stay_text_and_never_become_links(example: Project) -> None:
    arch = Architecture.model_validate(
        {
            "assets": [
                {"id": ident, "name": name, "kind": "software"}
                for ident, name in EVIL_NAMES.items()
            ],
            "data_flows": [
                {
                    "id": "DF-EVIL",
                    "from": "AST-EVIL",
                    "to": "AST-JS",
                    "protocol": 'javascript:alert(2) <img src=x onerror="alert(3)">',
                },
                {"id": "DF-QUOTE", "from": "AST-QUOTE", "to": "AST-EVIL"},
            ],
            "trust_boundaries": [
                {"id": "TB-EVIL", "name": "</text><script>x</script>", "assets": ["AST-JS"]}
            ],
        }
    )
    problems: list[str] = []

    svg = project_diagrams(with_architecture(example, arch), problems=problems)["dataflow-system"]

    assert problems == []
    assert "<script" not in svg and "<img" not in svg
    hrefs = all_hrefs(svg)  # parses: well-formed XML
    assert sorted(set(hrefs)) == sorted(
        page(x) for x in (*EVIL_NAMES, "DF-EVIL", "DF-QUOTE", "TB-EVIL")
    )
    assert not any("javascript" in h.lower() for h in hrefs)
    root = ET.fromstring(svg)
    where = {name for e in root.iter() for name, v in e.attrib.items() if "javascript:" in v}
    assert where == {f"{XLINK}title"}  # tooltips only, never a link or other attribute
    texts = " ".join(texts_of(svg))
    assert HOSTILE in texts and "javascript:alert(1)" in texts
    assert "</text><script>x</script>" in texts
    assert 'Say "hi" then\\N go \\" \\\\' in texts  # backslashes and quotes kept as they are
    tooltips = {link.href: link.tooltip or "" for link in links_of(svg)}
    assert tooltips[page("AST-EVIL")] == f"AST-EVIL: {HOSTILE} (software)"
    # Graphviz reads backslashes in a tooltip as escapes (\N: the node's name): each is
    # shown as a look-alike character
    assert tooltips[page("AST-QUOTE")] == (
        'AST-QUOTE: Say "hi" then\u29f5N go \u29f5" \u29f5\u29f5 (software)'
    )
    assert "onerror" in tooltips[page("DF-EVIL")]  # as text in an attribute
