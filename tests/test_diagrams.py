"""Diagrams: a data-flow diagram Graphviz cannot lay out is drawn more plainly or replaced
by a placeholder that lists its elements, and reported; the build never stops on it."""

from __future__ import annotations

import dataclasses
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
    DiagramError,
    dataflow_dot,
    dot_program,
    project_diagrams,
    render_svg,
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
    text = shared_data_path(TRIANGULATION_FAILED).read_text(encoding="utf-8")
    arch = architecture_of_dot(text)
    # the very diagram of the shared file is what cyberfile hands to Graphviz
    assert dataflow_dot(arch, None, SYSTEM_TITLE) == text
    return arch


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
    only_the_bundled_graphviz(monkeypatch, tmp_path)
    project = with_architecture(example, real_failing_architecture)
    problems: list[str] = []

    drawn = project_diagrams(project, problems=problems)

    svg = drawn["dataflow-system"]
    assert graphviz_clusters(svg) == 4  # the trust boundaries are still boxes
    titles = graphviz_titles(svg)
    for asset in real_failing_architecture.assets:
        assert asset.id in titles
    for flow in real_failing_architecture.data_flows:
        assert f"{flow.from_}->{flow.to}" in titles  # no "lost edge": every flow is drawn
        assert f"{flow.id} · " in svg_text(svg)
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
    only_the_bundled_graphviz(monkeypatch, tmp_path)
    project = with_architecture(example, real_failing_architecture)
    first: list[str] = []
    second: list[str] = []
    assert project_diagrams(project, problems=first) == project_diagrams(project, problems=second)
    assert first == second


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
    only_the_bundled_graphviz(monkeypatch, tmp_path)
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
