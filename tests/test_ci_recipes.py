"""The CI recipes of docs/ci.md run as written.

docs/ci.md shows docs/ci/github-workflow.yml, docs/ci/gitlab-ci.yml and
docs/ci/pre-commit-config.yaml verbatim. These tests

- parse every YAML block of the page and check the structure GitHub Actions and GitLab CI
  need (no actionlint or GitLab schema here: that is checked in Python);
- run each job of both pipelines for each device of the matrix against a three-device
  portfolio made by `cyberfile init`: every `run:`/`script:` line is interpreted as the
  CI system would (the matrix variable, the environment, `> file`, `|| status=$?`,
  `if: ${{ !cancelled() }}`, the job's exit status), every `cyberfile` command runs
  through `cyberfile.cli.main` from the portfolio root, and the files the steps upload
  (SARIF, JUnit, the documentation package, the feed cache) must exist and parse. The
  feeds come from an HTTP server on 127.0.0.1 serving real OSV advisories and the real
  CISA KEV catalog from ../shared/data; each device's `feeds:` URLs point at it, in the
  test only. What is not run: `pip install` from the team's own mirror (its address is a
  placeholder by design) and `apt-get` (it changes the machine); both are checked for
  shape instead;
- run the shell glue of the GitLab nightly job in real bash, the `repo: local` pre-commit
  configuration through the real pre-commit framework, the `cyberfile` lines of the
  page's console blocks, and the offline install from a wheelhouse.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from packaging.requirements import Requirement

from cyberfile.cli import main

from .conftest import REPO, edit, pin_pypi_components, shared_data_path, tree_digest

PAGE = REPO / "docs" / "ci.md"
RECIPES = REPO / "docs" / "ci"
GITHUB = RECIPES / "github-workflow.yml"
GITLAB = RECIPES / "gitlab-ci.yml"
PRECOMMIT = RECIPES / "pre-commit-config.yaml"
DEVICES = ["infusion-pump", "gateway", "monitor"]

PINS = {
    "infusion-pump": {"idna": "3.6", "urllib3": "1.26.5"},  # both have advisories
    "gateway": {"urllib3": "1.26.5", "jinja2": "3.1.4"},  # urllib3 has
    "monitor": {"idna": "3.10", "jinja2": "3.1.4"},  # none (but the feed knows both)
}
"""Real PyPI pins: the nightly scan finds new vulnerabilities in two devices, none in one."""
OSV_PACKAGES = ("idna", "jinja2", "urllib3")

SHARED = ("osv-pypa/vulns", "kev/known_exploited_vulnerabilities.json", "schemas")
needs_feeds = pytest.mark.shared_data(*SHARED)

WELL_KNOWN_ACTIONS: dict[str, set[str]] = {
    # action -> the inputs its action.yml declares (checked against the actions' own
    # repositories: checkout v7, setup-python v7, cache v5, upload-artifact v7, codeql v4)
    "actions/checkout": {
        "repository", "ref", "token", "ssh-key", "persist-credentials", "path", "clean",
        "filter", "sparse-checkout", "fetch-depth", "fetch-tags", "lfs", "submodules",
    },
    "actions/setup-python": {
        "python-version", "python-version-file", "cache", "architecture", "check-latest",
        "token", "cache-dependency-path", "update-environment", "allow-prereleases",
    },
    "actions/cache": {"path", "key", "restore-keys", "enableCrossOsArchive", "lookup-only"},
    "actions/cache/restore": {
        "path", "key", "restore-keys", "enableCrossOsArchive", "fail-on-cache-miss",
        "lookup-only",
    },
    "actions/cache/save": {"path", "key", "upload-chunk-size", "enableCrossOsArchive"},
    "actions/upload-artifact": {
        "name", "path", "if-no-files-found", "retention-days", "compression-level",
        "overwrite", "include-hidden-files",
    },
    "github/codeql-action/upload-sarif": {
        "sarif_file", "checkout_path", "ref", "sha", "token", "matrix", "category",
        "wait-for-processing",
    },
}  # fmt: skip


# --------------------------------------------------------------------------- the page


def fenced(markdown: str, languages: str) -> list[str]:
    """The code blocks of these languages, also those indented in a list, dedented."""
    blocks = re.findall(rf"^( *)```(?:{languages})\n(.*?)^\1```", markdown, re.M | re.S)
    return [
        "".join(line[len(indent) :] for line in body.splitlines(keepends=True))
        for indent, body in blocks
    ]


def yaml_blocks(markdown: str) -> list[str]:
    return fenced(markdown, "yaml|yml")


def console_blocks(markdown: str) -> list[str]:
    return fenced(markdown, "console|sh|bash|shell")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_every_yaml_block_of_the_page_and_every_recipe_file_parses() -> None:
    blocks = yaml_blocks(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) >= 4
    for block in blocks:
        assert isinstance(yaml.safe_load(block), dict), block[:200]
    files = sorted(RECIPES.iterdir())
    assert files == sorted([GITHUB, GITLAB, PRECOMMIT])
    for path in files:
        assert isinstance(load(path), dict)


def test_the_page_shows_each_recipe_file_verbatim() -> None:
    page = PAGE.read_text(encoding="utf-8")
    blocks = yaml_blocks(page)
    for path in (GITHUB, GITLAB, PRECOMMIT):
        assert path.read_text(encoding="utf-8") in blocks, f"docs/ci.md must show {path} as is"
        assert f"(ci/{path.name})" in page, f"docs/ci.md must link {path.name}"


def test_no_block_shows_a_made_up_rev_or_release() -> None:
    """A `rev:` or an install address must be a visible placeholder, never a tag that looks
    real (cyberfile has no published releases to point at)."""
    page = PAGE.read_text(encoding="utf-8")
    configs = [yaml.safe_load(block) for block in yaml_blocks(page)]
    remote = [r for c in configs for r in c.get("repos", []) if r["repo"] != "local"]
    assert remote, "the page shows how to use the hooks from a mirror"
    for repo in remote:
        assert re.fullmatch(r"<[^<>]+>", str(repo["rev"])), repo["rev"]
        assert "example.com" in repo["repo"]
        hooks = {hook["id"] for hook in load(REPO / ".pre-commit-hooks.yaml")}
        assert {hook["id"] for hook in repo["hooks"]} <= hooks
    assert not re.search(r"rev: *['\"]?v?\d", page), "a made-up rev"
    assert not re.search(r"cyberfile(\.git)?@v?\d", page), "a made-up release"
    assert "git ls-remote" in page
    for path in (GITHUB, GITLAB):
        assert "@v0" not in path.read_text(encoding="utf-8")


def install_requirement(recipe: dict[str, Any], where: str) -> Requirement:
    requirement = Requirement(recipe[where]["CYBERFILE_PIP"])
    return requirement


@pytest.mark.parametrize(("path", "where"), [(GITHUB, "env"), (GITLAB, "variables")])
def test_the_install_line_names_the_teams_own_mirror(path: Path, where: str) -> None:
    requirement = install_requirement(load(path), where)
    assert requirement.name == "cyberfile"
    assert requirement.url is not None
    assert requirement.url.startswith("git+https://git.example.com/")  # reserved: a placeholder
    assert requirement.url.endswith("@<commit>")
    text = path.read_text(encoding="utf-8")
    assert "placeholder" in text and "git ls-remote" in text


# --------------------------------------------------------------------------- structure


def github_on(workflow: dict[Any, Any]) -> dict[str, Any]:
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert isinstance(on, dict)
    return on


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


def test_github_workflow_structure() -> None:
    workflow = load(GITHUB)
    on = github_on(workflow)
    assert "push" in on and "pull_request" in on and "workflow_dispatch" in on
    (cron,) = [entry["cron"] for entry in on["schedule"]]
    assert len(cron.split()) == 5
    assert workflow["permissions"] == {"contents": "read"}
    jobs = workflow["jobs"]
    assert set(jobs) == {"check", "nightly"}
    for name, job in jobs.items():
        assert job["strategy"]["matrix"] == {"device": DEVICES}, name
        assert job["strategy"]["fail-fast"] is False, name
        if steps_using(job, "github/codeql-action/upload-sarif"):
            assert job["permissions"]["security-events"] == "write", name
            assert job["permissions"]["contents"] == "read", name
        for step in job["steps"]:
            if "uses" not in step:
                assert set(step) <= {"name", "if", "run"}, step
                continue
            action, _, ref = step["uses"].partition("@")
            assert action in WELL_KNOWN_ACTIONS, f"{name}: {action} is not a well-known action"
            assert re.fullmatch(r"v\d+|[0-9a-f]{40}", ref), f"{name}: {step['uses']}"
            assert set(step.get("with", {})) <= WELL_KNOWN_ACTIONS[action], step
            assert set(step) <= {"name", "if", "uses", "with"}, step
    # each SARIF upload has its own category, named per device
    categories = [
        s["with"]["category"]
        for job in jobs.values()
        for s in steps_using(job, "github/codeql-action/upload-sarif")
    ]
    assert len(categories) == len(set(categories)) == 3
    assert all(c.endswith("-${{ matrix.device }}") for c in categories)
    nightly = jobs["nightly"]
    restore = steps_using(nightly, "actions/cache/restore")[0]["with"]
    save = steps_using(nightly, "actions/cache/save")[0]
    assert save["with"]["key"] == restore["key"] and restore["key"].startswith(
        restore["restore-keys"]
    )
    assert "${{ matrix.device }}" in restore["restore-keys"] and "run_id" in save["with"]["key"]
    assert save["if"] == "${{ !cancelled() }}"  # saved also when the scan fails the job
    assert nightly["env"]["XDG_CACHE_HOME"] == "${{ github.workspace }}/.feed-cache"
    assert restore["path"] == ".feed-cache/cyberfile"  # XDG_CACHE_HOME/cyberfile


def resolve_gitlab_job(config: dict[str, Any], name: str) -> dict[str, Any]:
    """The job with `extends` merged in (hashes deep-merged, as GitLab does)."""

    def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
        out = dict(base)
        for key, value in over.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merge(out[key], value)
            else:
                out[key] = value
        return out

    job = dict(config[name])
    parents = job.pop("extends", [])
    for parent in [parents] if isinstance(parents, str) else parents:
        job = merge(resolve_gitlab_job(config, parent), job)
    return job


GITLAB_GLOBAL = {"workflow", "variables", "default", "stages", "include"}


def test_gitlab_pipeline_structure() -> None:
    config = load(GITLAB)
    jobs = {k: resolve_gitlab_job(config, k) for k in config if k not in GITLAB_GLOBAL}
    real = {k: v for k, v in jobs.items() if not k.startswith(".")}
    assert set(real) == {"check", "nightly"}
    for name, job in real.items():
        assert job["parallel"]["matrix"] == [{"DEVICE": DEVICES}], name
        assert job["artifacts"]["when"] == "always", name
        assert job["artifacts"]["reports"]["junit"], name
        assert set(job) <= {
            "parallel", "rules", "script", "artifacts", "variables", "cache", "image",
            "before_script",
        }, name  # fmt: skip
    assert real["nightly"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    assert real["check"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE != "schedule"'}]
    cache = real["nightly"]["cache"]
    assert cache["when"] == "always" and "$DEVICE" in cache["key"]
    assert cache["paths"] == [".feed-cache/cyberfile/"]
    assert real["nightly"]["variables"]["XDG_CACHE_HOME"] == "$CI_PROJECT_DIR/.feed-cache"
    assert config["default"]["image"].startswith("python:3.1")


# --------------------------------------------------------------------------- the portfolio


@dataclass
class FeedServer:
    base: str
    routes: dict[str, bytes]
    down: bool = False
    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def feed_server() -> Iterator[FeedServer]:
    """Real OSV advisories (an all.zip of JSON records, as OSV exports them) and the real
    KEV catalog, on 127.0.0.1; `down` answers 503 to everything."""
    routes: dict[str, bytes] = {}
    state = FeedServer("", routes)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            body = routes.get(self.path)
            if state.down or body is None:
                self.send_error(503 if state.down else 404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def serve_real_feeds(server: FeedServer) -> None:
    vulns = shared_data_path("osv-pypa/vulns")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for package in OSV_PACKAGES:
            for path in sorted((vulns / package).glob("*.yaml")):
                record = yaml.safe_load(path.read_text(encoding="utf-8"))
                archive.writestr(f"{record['id']}.json", json.dumps(record, default=str))
    server.routes["/osv/PyPI/all.zip"] = buffer.getvalue()
    kev = shared_data_path("kev/known_exploited_vulnerabilities.json")
    server.routes["/kev.json"] = kev.read_bytes()
    server.down = False


@pytest.fixture
def portfolio(tmp_path: Path, feed_server: FeedServer, capsys: pytest.CaptureFixture[str]) -> Path:
    """A repository with projects/infusion-pump, projects/gateway, projects/monitor, made
    by `cyberfile init`, each with real PyPI components and its feeds on the local server."""
    serve_real_feeds(feed_server)
    root = tmp_path / "repo"
    for device in DEVICES:
        project = root / "projects" / device
        assert main(["init", str(project)]) == 0
        pin_pypi_components(project, PINS[device])
        with (project / "cyberfile.yaml").open("a", encoding="utf-8") as handle:
            handle.write(
                "feeds:  # the test's own server\n"
                f"  osv: {{url: '{feed_server.base}/osv'}}\n"
                f"  kev: {{url: '{feed_server.base}/kev.json'}}\n"
            )
    capsys.readouterr()
    return root


# --------------------------------------------------------------------------- a shell


EXPANSION = re.compile(r"\$(?:\{(\w+)(?::-([^}]*))?\}|(\w+))")


@dataclass
class Shell:
    """Runs one recipe line as bash would, for the constructs the recipes use: `a && b`,
    `cmd > file`, `cmd || status=$?`, `$VAR`, `${VAR:-default}`. `cyberfile` runs
    in-process; `python -c` runs with this interpreter; `pip install` and `apt-get` are
    recorded, not run. Anything else fails the test: a recipe line nobody ran."""

    cwd: Path
    env: dict[str, str]
    capsys: pytest.CaptureFixture[str]
    variables: dict[str, str] = field(default_factory=dict)
    codes: list[tuple[str, int]] = field(default_factory=list)
    installs: list[str] = field(default_factory=list)
    system_packages: list[str] = field(default_factory=list)
    stderr: str = ""

    def expand(self, word: str) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(3)
            got = self.variables.get(name, self.env.get(name))
            if got is None and match.group(2) is not None:
                return match.group(2)
            assert got is not None, f"${name} is not set where the recipe uses it"
            return got

        return EXPANSION.sub(value, word)

    def line(self, text: str) -> int:
        """Run one line; its exit status (`|| var=$?` keeps it in `variables`, returns 0)."""
        words = shlex.split(text, comments=True)
        if "||" in words:
            at = words.index("||")
            (keep,) = words[at + 1 :]
            assert keep.endswith("=$?"), text
            code = self.run(words[:at])
            if code:
                self.variables[keep[: -len("=$?")]] = str(code)
            return 0
        return self.run(words)

    def run(self, words: list[str]) -> int:
        code = 0
        while words:
            head = words[: words.index("&&")] if "&&" in words else words
            words = words[len(head) + 1 :]
            code = self.command([self.expand(w) for w in head])
            if code:
                return code
        return code

    def command(self, words: list[str]) -> int:
        out: Path | None = None
        if ">" in words:
            at = words.index(">")
            out = self.cwd / words[at + 1]
            assert len(words) == at + 2, words
            words = words[:at]
        program, *args = words
        if program == "sudo":
            program, *args = args
        if program == "cyberfile":
            self.capsys.readouterr()
            code: int = main(args)
            printed, errors = self.capsys.readouterr()
            self.stderr += errors
            if out is not None:
                out.write_text(printed, encoding="utf-8")
            self.codes.append((" ".join(words), code))
            return code
        assert out is None, words
        if program == "python" and args[:1] == ["-c"]:
            done = subprocess.run(
                [sys.executable, *args], cwd=self.cwd, env={**os.environ, **self.env}, check=False
            )
            return done.returncode
        if program == "pip" and args[:1] == ["install"]:
            self.installs.append(args[-1])
            return 0
        if program == "apt-get":
            if args[:1] == ["install"]:
                self.system_packages += [a for a in args[1:] if not a.startswith("-")]
            return 0
        raise AssertionError(f"a recipe line the test does not know how to run: {words}")


# --------------------------------------------------------------------------- GitHub Actions


@dataclass
class JobRun:
    failed: bool
    codes: dict[str, int]
    uploads: dict[str, Path] = field(default_factory=dict)  # code-scanning category -> file
    artifacts: dict[str, Path] = field(default_factory=dict)
    reports: list[Path] = field(default_factory=list)
    cache_hit: str | None = None
    system_packages: list[str] = field(default_factory=list)
    stderr: str = ""


def github_expression(text: str, context: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        assert expression in context, f"unknown expression ${{{{ {expression} }}}}"
        return context[expression]

    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", value, text)


def github_job_runs(condition: str | None, event: str) -> bool:
    if condition is None:
        return True
    results = []
    for part in condition.split("||"):
        match = re.fullmatch(r"\s*github\.event_name\s*(==|!=)\s*'(\w+)'\s*", part)
        assert match, condition
        results.append((event == match.group(2)) == (match.group(1) == "=="))
    return any(results)


def sarif_category(path: Path, category: str | None) -> str:
    """The category code scanning files the upload under: upload-sarif uses the SARIF's
    own runs[].automationDetails.id when there is one, else its `category` input."""
    log = json.loads(path.read_text(encoding="utf-8"))
    ids = {run.get("automationDetails", {}).get("id") for run in log["runs"]}
    (own,) = ids
    if own is not None:
        return str(own)
    assert category is not None
    return category if category.endswith("/") else category + "/"


def check_sarif(path: Path, root: Path) -> dict[str, Any]:
    log = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads(shared_data_path("schemas/sarif-schema-2.1.0.json").read_text("utf-8"))
    jsonschema.validate(log, schema)
    for run in log["runs"]:
        for result in run["results"]:
            for location in result.get("locations", []):
                uri = location["physicalLocation"]["artifactLocation"]["uri"]
                assert (root / uri).is_file(), f"{uri}: code scanning could not annotate it"
    return log  # type: ignore[no-any-return]


def check_junit(path: Path) -> ET.Element:
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    assert root.tag == "testsuites" and root.find("testsuite") is not None
    return root


def run_github_job(
    name: str,
    device: str,
    event: str,
    workspace: Path,
    caches: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    run_id: str = "1001",
) -> JobRun | None:
    """One job of the matrix as GitHub runs it; None when its `if:` leaves it out."""
    workflow = load(GITHUB)
    job = workflow["jobs"][name]
    if not github_job_runs(job.get("if"), event):
        return None
    assert device in job["strategy"]["matrix"]["device"]
    context = {
        "matrix.device": device,
        "github.workspace": str(workspace),
        "github.run_id": run_id,
        "github.run_attempt": "1",
        "github.event_name": event,
    }
    env = {
        k: github_expression(str(v), context)
        for k, v in {**workflow.get("env", {}), **job.get("env", {})}.items()
    }
    result = JobRun(failed=False, codes={})
    with monkeypatch.context() as patch:
        patch.chdir(workspace)
        for key, value in env.items():
            patch.setenv(key, value)
        shell = Shell(workspace, env, capsys)
        for step in job["steps"]:
            condition = step.get("if")
            assert condition in (None, "${{ !cancelled() }}"), condition
            if condition is None and result.failed:
                continue
            if "run" in step:
                code = shell.line(github_expression(step["run"], context))
                ok = code == 0
            else:
                inputs = {
                    k: github_expression(str(v), context) for k, v in step.get("with", {}).items()
                }
                ok = github_action(step["uses"].split("@")[0], inputs, workspace, caches, result)
            result.failed |= not ok
        result.codes = dict(shell.codes)
        result.system_packages = shell.system_packages
        result.stderr = shell.stderr
        assert all(r.startswith("cyberfile @ git+https://git.example.com/") for r in shell.installs)
    return result


def github_action(
    action: str, inputs: dict[str, str], workspace: Path, caches: dict[str, Path], job: JobRun
) -> bool:
    if action in ("actions/checkout", "actions/setup-python"):
        if action == "actions/setup-python":
            major, minor = map(int, inputs["python-version"].split("."))
            assert (major, minor) >= (3, 11)
        return True
    if action == "actions/cache/restore":
        target = workspace / inputs["path"]
        hit = inputs["key"] if inputs["key"] in caches else None
        if hit is None:  # the newest entry whose key starts with a restore key
            prefixes = inputs.get("restore-keys", "").split()
            hits = [k for k in caches if any(k.startswith(p) for p in prefixes)]
            hit = hits[-1] if hits else None
        if hit is not None:
            shutil.copytree(caches[hit], target)
        job.cache_hit = hit
        return True
    if action == "actions/cache/save":
        source = workspace / inputs["path"]
        assert (source / "feeds.json").is_file(), "the cache path holds no feed cache"
        assert inputs["key"] not in caches, "cache keys are immutable: this one is taken"
        caches[inputs["key"]] = Path(shutil.copytree(source, workspace.parent / inputs["key"]))
        return True
    if action == "github/codeql-action/upload-sarif":
        path = workspace / inputs["sarif_file"]
        check_sarif(path, workspace)
        job.uploads[sarif_category(path, inputs.get("category"))] = path
        return True
    if action == "actions/upload-artifact":
        path = workspace / inputs["path"]
        assert path.exists() and any(path.iterdir()), f"nothing to upload at {path}"
        job.artifacts[inputs["name"]] = path
        return True
    raise AssertionError(action)


# --------------------------------------------------------------------------- GitLab CI


def gitlab_condition(expression: str, variables: dict[str, str]) -> bool:
    def term(text: str) -> bool:
        match = re.fullmatch(r'\s*\$(\w+)\s*(?:(==|!=)\s*"([^"]*)"\s*)?', text)
        assert match, expression
        value = variables.get(match.group(1), "")
        if match.group(2) is None:
            return value != ""
        return (value == match.group(3)) == (match.group(2) == "==")

    return all(term(part) for part in expression.split("&&"))


def gitlab_rules(rules: list[dict[str, str]] | None, variables: dict[str, str]) -> bool:
    if rules is None:
        return True
    for rule in rules:
        if gitlab_condition(rule["if"], variables):
            return rule.get("when", "on_success") != "never"
    return False


PIPELINES = {
    "push": {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "feature/x"},
    "push with an open merge request": {
        "CI_PIPELINE_SOURCE": "push",
        "CI_COMMIT_BRANCH": "feature/x",
        "CI_OPEN_MERGE_REQUESTS": "group/repo!7",
    },
    "merge request": {"CI_PIPELINE_SOURCE": "merge_request_event"},
    "schedule": {"CI_PIPELINE_SOURCE": "schedule", "CI_COMMIT_BRANCH": "main"},
}


def gitlab_jobs(pipeline: str) -> set[str]:
    config = load(GITLAB)
    variables = PIPELINES[pipeline]
    if not gitlab_rules(config["workflow"]["rules"], variables):
        return set()
    return {
        name
        for name in config
        if name not in GITLAB_GLOBAL and not name.startswith(".")
        if gitlab_rules(resolve_gitlab_job(config, name).get("rules"), variables)
    }


def gitlab_matrix(job: dict[str, Any]) -> list[dict[str, str]]:
    combos = []
    for entry in job["parallel"]["matrix"]:
        keys = list(entry)
        values = [v if isinstance(v, list) else [v] for v in entry.values()]
        combos += [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values)]
    return combos


def run_gitlab_job(
    name: str,
    device: str,
    pipeline: str,
    workspace: Path,
    caches: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> JobRun:
    config = load(GITLAB)
    assert name in gitlab_jobs(pipeline)
    job = resolve_gitlab_job(config, name)
    assert {"DEVICE": device} in gitlab_matrix(job)
    predefined = {**PIPELINES[pipeline], "CI_PROJECT_DIR": str(workspace), "DEVICE": device}
    shell = Shell(workspace, dict(predefined), capsys)
    for key, value in {**config.get("variables", {}), **job.get("variables", {})}.items():
        shell.env[key] = shell.expand(str(value))
    result = JobRun(failed=False, codes={})
    cache = job.get("cache")
    with monkeypatch.context() as patch:
        patch.chdir(workspace)
        for key, value in shell.env.items():
            patch.setenv(key, value)
        if cache:
            key = shell.expand(cache["key"])
            if key in caches:
                for path in cache["paths"]:
                    shutil.copytree(caches[key] / path, workspace / path)
                result.cache_hit = key
        status = 0
        for text in job.get("before_script", config["default"]["before_script"]) + job["script"]:
            words = shlex.split(text, comments=True)
            if words[0] == "exit":
                (word,) = words[1:]
                status = int(shell.expand(word))
                break
            status = shell.line(text)
            if status:
                break
        result.failed = status != 0
        result.codes = dict(shell.codes)
        assert all(r.startswith("cyberfile @ git+https://git.example.com/") for r in shell.installs)
        if cache and (cache.get("when") == "always" or not result.failed):
            key = shell.expand(cache["key"])
            saved = workspace.parent / f"gitlab-cache-{key}"
            shutil.rmtree(saved, ignore_errors=True)
            for path in cache["paths"]:
                assert (workspace / path / "feeds.json").is_file(), path
                shutil.copytree(workspace / path, saved / path)
            caches[key] = saved
        artifacts = job["artifacts"]
        if artifacts.get("when") == "always" or not result.failed:
            junit = artifacts["reports"]["junit"]
            for report in [junit] if isinstance(junit, str) else junit:
                check_junit(workspace / report)
                result.reports.append(workspace / report)
            for path in artifacts.get("paths", []):
                if not result.failed:
                    assert any((workspace / path).iterdir()), path
                    result.artifacts[shell.expand(artifacts["name"])] = workspace / path
    result.system_packages = shell.system_packages
    result.stderr = shell.stderr
    return result


# --------------------------------------------------------------------------- the runs


def clean_workspace(portfolio: Path, device: str) -> Path:
    """A fresh checkout for one job: jobs share nothing but the CI system's cache."""
    workspace = portfolio.parent / f"runner-{device}"
    shutil.rmtree(workspace, ignore_errors=True)
    shutil.copytree(portfolio, workspace)
    return workspace


def assert_package(folder: Path, device: str) -> None:
    assert folder.name == device
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest
    assert list((folder / "pdf").glob("*.pdf")), "the package has its PDFs"
    assert (folder / "site" / "index.html").is_file()


@needs_feeds
@pytest.mark.slow  # builds three packages with PDFs
def test_github_push_validates_each_device_and_uploads_its_package(
    portfolio: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    caches: dict[str, Path] = {}
    categories: dict[str, Path] = {}
    for device in DEVICES:
        workspace = clean_workspace(portfolio, device)
        assert (
            run_github_job("nightly", device, "push", workspace, caches, capsys, monkeypatch)
            is None
        )
        job = run_github_job("check", device, "push", workspace, caches, capsys, monkeypatch)
        assert job is not None
        assert not job.failed, (job.codes, job.stderr)
        assert job.codes == {
            f"cyberfile validate projects/{device} --format sarif": 0,
            f"cyberfile build projects/{device} -o build": 0,
        }
        assert {"libpango-1.0-0", "libpangoft2-1.0-0"} <= set(job.system_packages)  # WeasyPrint
        assert set(job.uploads) == {f"cyberfile/validate/{device}/"}
        categories.update(job.uploads)
        assert set(job.artifacts) == {f"documentation-package-{device}"}
        assert_package(job.artifacts[f"documentation-package-{device}"], device)
    assert len(categories) == 3  # one code-scanning category per device


@needs_feeds
def test_github_validate_failure_is_uploaded_and_fails_the_job(
    portfolio: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = clean_workspace(portfolio, "gateway")
    threats = workspace / "projects" / "gateway" / "threats.yaml"
    edit(threats, "controls: [CTL-BLE-AUTH]", "controls: [CTL-NOPE]")
    job = run_github_job("check", "gateway", "pull_request", workspace, {}, capsys, monkeypatch)
    assert job is not None and job.failed
    assert job.codes == {"cyberfile validate projects/gateway --format sarif": 1}  # no build
    (path,) = job.uploads.values()
    results = check_sarif(path, workspace)["runs"][0]["results"]
    assert any(
        r["ruleId"] == "CF121"
        and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "projects/gateway/threats.yaml"
        for r in results
    )
    assert not job.artifacts


def test_each_devices_sarif_files_its_own_code_scanning_category(
    portfolio: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """upload-sarif lets runs[].automationDetails.id take precedence over its `category`:
    cyberfile names the run per command and per project, so three devices never share one
    category (and one device's upload never closes another's alerts)."""
    monkeypatch.chdir(portfolio)
    ids = []
    for device in DEVICES:
        capsys.readouterr()
        assert main(["validate", f"projects/{device}", "--format", "sarif"]) == 0
        log = json.loads(capsys.readouterr().out)
        ids.extend(run.get("automationDetails", {}).get("id") for run in log["runs"])
    assert ids == [f"cyberfile/validate/{device}/" for device in DEVICES]
    assert "automationDetails" not in GITHUB.read_text(encoding="utf-8")


def nightly_expectations(device: str) -> tuple[int, bool]:
    """The scan's exit status and whether it reports a new vulnerability."""
    return (0, False) if device == "monitor" else (1, True)


@needs_feeds
def test_github_nightly_updates_the_feeds_scans_without_writing_and_reports_drift(
    portfolio: Path,
    feed_server: FeedServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caches: dict[str, Path] = {}
    before = tree_digest(portfolio / "projects")
    first: dict[str, dict[str, Any]] = {}
    for device in DEVICES:
        workspace = clean_workspace(portfolio, device)
        assert (
            run_github_job("check", device, "schedule", workspace, caches, capsys, monkeypatch)
            is None
        )
        job = run_github_job("nightly", device, "schedule", workspace, caches, capsys, monkeypatch)
        assert job is not None and job.cache_hit is None
        scan_code, new = nightly_expectations(device)
        assert job.codes == {
            f"cyberfile feeds update projects/{device}": 0,
            f"cyberfile scan projects/{device} --dry-run --format sarif": scan_code,
            f"cyberfile drift projects/{device} --format sarif": 0,  # ran after a failed scan
        }
        assert job.failed is new  # new findings fail the nightly job
        assert set(job.uploads) == {f"cyberfile/scan/{device}/", f"cyberfile/drift/{device}/"}
        scan = check_sarif(job.uploads[f"cyberfile/scan/{device}/"], workspace)
        found = {r["ruleId"] for r in scan["runs"][0]["results"]}
        assert ("CF440" in found) is new, found
        first[device] = scan
        assert tree_digest(workspace / "projects") == before  # --dry-run: nothing recorded
        assert (workspace / ".feed-cache" / "cyberfile" / "feeds.json").is_file()
    assert sorted(caches) == [f"cyberfile-feeds-{d}-1001-1" for d in sorted(DEVICES)]

    # the next night the feed servers are down: last night's cache is restored, the job
    # fails on the download, and the scan still reads last night's feeds
    feed_server.down = True
    for device in DEVICES:
        workspace = clean_workspace(portfolio, device)
        job = run_github_job(
            "nightly", device, "schedule", workspace, caches, capsys, monkeypatch, run_id="1002"
        )
        assert job is not None and job.failed
        assert job.cache_hit == f"cyberfile-feeds-{device}-1001-1"
        assert job.codes[f"cyberfile feeds update projects/{device}"] == 2
        scan = check_sarif(job.uploads[f"cyberfile/scan/{device}/"], workspace)
        assert scan["runs"][0]["results"] == first[device]["runs"][0]["results"]
        assert job.codes[f"cyberfile drift projects/{device} --format sarif"] == 0


@needs_feeds
def test_the_engineer_records_the_findings_and_the_next_nightly_passes(
    portfolio: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What docs/ci.md tells the team to do when the nightly job fails, run from its
    console block, then the nightly job again."""
    page = PAGE.read_text(encoding="utf-8")
    block = next(b for b in console_blocks(page) if "cyberfile scan projects/infusion-pump\n" in b)
    shell = Shell(portfolio, {}, capsys)
    with monkeypatch.context() as patch:
        patch.chdir(portfolio)
        for text in block.splitlines():
            words = shlex.split(text, comments=True)
            if words and words[0] == "cyberfile":
                shell.line(text)
            elif words:
                assert words[0] == "git", text  # committing is the engineer's, not the test's
    assert [code for _, code in shell.codes] == [0, 1, 0, 0], shell.codes  # scan: new findings
    recorded = (portfolio / "projects" / "infusion-pump" / "vulnerabilities.yaml").read_text(
        encoding="utf-8"
    )
    assert "under_investigation" in recorded
    workspace = clean_workspace(portfolio, "infusion-pump")
    job = run_github_job("nightly", "infusion-pump", "schedule", workspace, {}, capsys, monkeypatch)
    assert job is not None
    assert not job.failed, (job.codes, job.stderr)


@needs_feeds
@pytest.mark.slow  # builds three packages with PDFs
def test_gitlab_branch_pipeline_validates_each_device_and_keeps_its_package(
    portfolio: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert gitlab_jobs("push") == gitlab_jobs("merge request") == {"check"}
    assert gitlab_jobs("push with an open merge request") == set()  # the MR pipeline runs
    for device in DEVICES:
        workspace = clean_workspace(portfolio, device)
        job = run_gitlab_job("check", device, "push", workspace, {}, capsys, monkeypatch)
        assert not job.failed, (job.codes, job.stderr)
        assert {"libpango-1.0-0", "libpangoft2-1.0-0"} <= set(job.system_packages)  # WeasyPrint
        assert job.codes == {
            f"cyberfile validate projects/{device} --format junit": 0,
            f"cyberfile build projects/{device} -o build": 0,
        }
        (report,) = job.reports
        assert check_junit(report).find("testsuite").get("name") == f"projects/{device}"  # type: ignore[union-attr]
        assert set(job.artifacts) == {f"documentation-package-{device}"}
        assert_package(job.artifacts[f"documentation-package-{device}"] / device, device)


@needs_feeds
def test_gitlab_schedule_runs_the_nightly_job_with_its_cache(
    portfolio: Path,
    feed_server: FeedServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert gitlab_jobs("schedule") == {"nightly"}
    caches: dict[str, Path] = {}
    before = tree_digest(portfolio / "projects")
    for device in DEVICES:
        workspace = clean_workspace(portfolio, device)
        job = run_gitlab_job("nightly", device, "schedule", workspace, caches, capsys, monkeypatch)
        scan_code, new = nightly_expectations(device)
        assert job.codes == {
            f"cyberfile feeds update projects/{device}": 0,
            f"cyberfile scan projects/{device} --dry-run --format junit": scan_code,
            f"cyberfile drift projects/{device} --format junit": 0,
        }
        assert job.failed is new
        assert [r.name for r in job.reports] == ["scan-junit.xml", "drift-junit.xml"]
        scan = check_junit(job.reports[0])
        failures = [c for c in scan.iter("testcase") if c.find("failure") is not None]
        assert bool([c for c in failures if "CF440" in (c.get("name") or "")]) is new
        assert tree_digest(workspace / "projects") == before
    assert sorted(caches) == [f"cyberfile-feeds-{d}" for d in sorted(DEVICES)]

    feed_server.down = True  # the cache saved by failed jobs too (`when: always`) is used
    workspace = clean_workspace(portfolio, "infusion-pump")
    job = run_gitlab_job(
        "nightly", "infusion-pump", "schedule", workspace, caches, capsys, monkeypatch
    )
    assert job.cache_hit == "cyberfile-feeds-infusion-pump" and job.failed
    assert job.codes["cyberfile feeds update projects/infusion-pump"] == 2
    assert job.codes["cyberfile scan projects/infusion-pump --dry-run --format junit"] == 1


@pytest.mark.parametrize(
    ("feeds", "scan", "drift", "status"),
    [(0, 0, 0, 0), (0, 1, 0, 1), (2, 1, 0, 1), (2, 0, 0, 2), (0, 0, 1, 1), (0, 2, 0, 2)],
)
def test_gitlab_nightly_script_runs_every_command_and_fails_if_one_did(
    tmp_path: Path, feeds: int, scan: int, drift: int, status: int
) -> None:
    """The nightly script in real bash, as GitLab Runner runs it (one shell, `set -eo
    pipefail`), with `cyberfile` answering given exit codes: the glue the in-process
    runs interpret must mean the same to bash."""
    job = resolve_gitlab_job(load(GITLAB), "nightly")
    script = "\n".join(
        [
            "set -eo pipefail",
            'cyberfile() { echo "$1" >> calls.log; local var="CODE_$1"; return "${!var}"; }',
            *job["script"],
        ]
    )
    env = {
        "PATH": os.environ["PATH"],
        "DEVICE": "gateway",
        "CODE_feeds": str(feeds),
        "CODE_scan": str(scan),
        "CODE_drift": str(drift),
    }
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, check=False)
    assert done.returncode == status
    assert (tmp_path / "calls.log").read_text().split() == ["feeds", "scan", "drift"]
    assert (tmp_path / "scan-junit.xml").exists() and (tmp_path / "drift-junit.xml").exists()


@needs_feeds
def test_feeds_cache_in_cyberfile_yaml_is_the_folder_the_recipes_cache(
    portfolio: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The page's `feeds: {cache: ...}` alternative to XDG_CACHE_HOME fills the folder both
    pipelines cache (.feed-cache/cyberfile), whatever XDG_CACHE_HOME says."""
    page = PAGE.read_text(encoding="utf-8")
    (setting,) = [b for b in yaml_blocks(page) if "cache" in (yaml.safe_load(b).get("feeds") or {})]
    cache = yaml.safe_load(setting)["feeds"]["cache"]
    project = portfolio / "projects" / "gateway"
    edit(
        project / "cyberfile.yaml",
        "feeds:  # the test's own server\n",
        f"feeds:\n  cache: {cache}\n",
    )
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
    monkeypatch.chdir(portfolio)
    assert main(["feeds", "update", "projects/gateway"]) == 0
    assert (portfolio / load(GITLAB)["nightly"]["cache"]["paths"][0] / "feeds.json").is_file()
    restore = steps_using(load(GITHUB)["jobs"]["nightly"], "actions/cache/restore")[0]
    assert (portfolio / restore["with"]["path"] / "feeds.json").is_file()
    assert not (tmp_path / "elsewhere" / "cyberfile").exists()
    capsys.readouterr()


# --------------------------------------------------------------------------- pre-commit


def test_pre_commit_local_hooks_are_the_published_hooks_run_by_an_installed_cyberfile() -> None:
    config = load(PRECOMMIT)
    assert set(config["default_install_hook_types"]) == {"pre-commit", "pre-push"}
    (repo,) = config["repos"]
    assert repo["repo"] == "local" and "rev" not in repo
    published = {hook["id"]: hook for hook in load(REPO / ".pre-commit-hooks.yaml")}
    hooks = {hook["id"]: hook for hook in repo["hooks"]}
    assert set(hooks) == set(published)
    for hook_id, hook in hooks.items():
        assert hook["language"] == "system"
        assert hook["entry"] == published[hook_id]["entry"]
        assert hook["entry"] in ("cyberfile validate", "cyberfile drift")
        assert hook["files"] == published[hook_id]["files"]
        assert hook["pass_filenames"] is False
    assert hooks["cyberfile-validate"]["stages"] == ["pre-commit"]
    assert (
        hooks["cyberfile-drift"]["stages"] == ["pre-push"] == published["cyberfile-drift"]["stages"]
    )


@pytest.mark.slow  # the real pre-commit framework in a fresh git repository (a few seconds)
def test_pre_commit_local_hooks_run_through_pre_commit(tmp_path: Path) -> None:
    repo = tmp_path / "device-repo"
    assert main(["init", str(repo / "projects" / "pump")]) == 0
    shutil.copy(PRECOMMIT, repo / ".pre-commit-config.yaml")
    scripts = Path(sys.executable).parent
    assert (scripts / "cyberfile").exists(), "cyberfile is installed beside this Python"
    env = {
        **os.environ,
        "PATH": f"{scripts}{os.pathsep}{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args), cwd=repo, env=env, capture_output=True, text=True, check=False
        )

    assert run("git", "init", "-q").returncode == 0
    precommit = [sys.executable, "-m", "pre_commit"]
    assert run(*precommit, "validate-config", ".pre-commit-config.yaml").returncode == 0
    installed = run(*precommit, "install")
    assert installed.returncode == 0, installed.stderr
    assert (repo / ".git" / "hooks" / "pre-commit").is_file()
    assert (repo / ".git" / "hooks" / "pre-push").is_file()  # default_install_hook_types
    assert run("git", "add", "-A").returncode == 0
    on_commit = run(*precommit, "run", "--all-files")
    assert on_commit.returncode == 0, on_commit.stdout + on_commit.stderr
    assert re.search(r"cyberfile validate\.+Passed", on_commit.stdout), on_commit.stdout
    assert "cyberfile drift" not in on_commit.stdout
    on_push = run(*precommit, "run", "--all-files", "--hook-stage", "pre-push")
    assert on_push.returncode == 0, on_push.stdout + on_push.stderr
    assert re.search(r"cyberfile drift\.+Passed", on_push.stdout), on_push.stdout
    assert "cyberfile validate" not in on_push.stdout
    edit(
        repo / "projects" / "pump" / "threats.yaml",
        "controls: [CTL-BLE-AUTH]",
        "controls: [CTL-NOPE]",
    )
    broken = run(*precommit, "run", "--all-files")
    assert broken.returncode == 1 and "CF121" in broken.stdout, broken.stdout
    committed = run("git", "commit", "-qam", "a dangling control")  # the installed hook
    assert committed.returncode != 0 and "CF121" in committed.stdout + committed.stderr


# --------------------------------------------------------------------------- offline


@needs_feeds
def test_the_offline_console_lines_run(
    portfolio: Path,
    feed_server: FeedServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The `cyberfile` lines of the page's offline section, with the feed files it names
    brought in from the (local) feed server."""
    page = PAGE.read_text(encoding="utf-8")
    offline = page[page.index("## Offline") :]
    lines = [
        text
        for block in console_blocks(offline)
        for text in block.splitlines()
        if shlex.split(text, comments=True)[:1] == ["cyberfile"]
    ]
    assert len(lines) >= 2, lines
    (portfolio / "all.zip").write_bytes(feed_server.routes["/osv/PyPI/all.zip"])
    kev = feed_server.routes["/kev.json"]
    (portfolio / "known_exploited_vulnerabilities.json").write_bytes(kev)
    shell = Shell(portfolio, {}, capsys)
    with monkeypatch.context() as patch:
        patch.chdir(portfolio)
        for text in lines:
            shell.line(text)
    for command, code in shell.codes:
        assert code in (0, 1), command  # 1: the scan found what the feeds hold
    assert any("--osv all.zip" in command for command, _ in shell.codes)


@pytest.mark.slow  # builds a wheelhouse and installs from it into a new virtualenv (~1 min)
def test_wheelhouse_install_without_an_index(tmp_path: Path) -> None:
    """The page's offline install: `pip wheel -w wheelhouse SOURCE`, then `pip install
    --no-index --find-links wheelhouse cyberfile` in a new virtualenv. The connected
    machine's index is stood in for by .wheelhouse (filled by .ci/setup-tests)."""
    page = PAGE.read_text(encoding="utf-8")
    assert "pip wheel -w wheelhouse" in page
    assert "pip install --no-index --find-links wheelhouse cyberfile" in page
    assert "PIP_NO_INDEX=1" in page and "PIP_FIND_LINKS=" in page
    connected = REPO / ".wheelhouse"
    if not any(connected.glob("hatchling-*.whl")):
        pytest.fail("no .wheelhouse: run the README's test command (it builds the wheelhouse)")
    env = {
        **os.environ,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(connected),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    wheelhouse = tmp_path / "wheelhouse"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "-w", str(wheelhouse), str(REPO)],
        env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert list(wheelhouse.glob("cyberfile-*.whl"))
    offline = {k: v for k, v in env.items() if k != "PIP_FIND_LINKS"}
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    installed = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--no-index", "--find-links",
         str(wheelhouse), "cyberfile"],
        env=offline, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    project = tmp_path / "pump"
    ran = subprocess.run(
        [str(venv / "bin" / "cyberfile"), "init", str(project)], capture_output=True, check=False
    )
    assert ran.returncode == 0
    validated = subprocess.run(
        [str(venv / "bin" / "cyberfile"), "validate", str(project)],
        capture_output=True,
        check=False,
    )
    assert validated.returncode == 0, validated.stdout


def test_recipe_lines_name_only_commands_the_tests_run() -> None:
    """Every run:/script: line of both pipelines is one the Shell above runs or records;
    a new kind of line must be taught to the tests before it ships."""
    workflow = load(GITHUB)
    lines = [s["run"] for job in workflow["jobs"].values() for s in job["steps"] if "run" in s]
    config = load(GITLAB)
    lines += config["default"]["before_script"]
    for name in ("check", "nightly"):
        lines += resolve_gitlab_job(config, name)["script"]
    for text in lines:
        assert "\n" not in text.strip(), text
        words = shlex.split(text, comments=True)
        programs = [words[0]] + [words[i + 1] for i, w in enumerate(words) if w == "&&"]
        for program in programs:
            assert program in {"cyberfile", "python", "pip", "sudo", "apt-get", "exit"}, text
