"""Load a device project: find its files, parse them, merge folder parts, build models.

Loading never stops at the first problem. Unreadable files, schema errors and layout
mistakes all become diagnostics; whatever is valid is kept, so that reference and
traceability checks still run on the rest of the project.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from cyberfile.diagnostics import rules
from cyberfile.diagnostics.diagnostic import Diagnostic, Severity
from cyberfile.diagnostics.position import PathKey, Position
from cyberfile.errors import InputError, UsageError
from cyberfile.gcpause import cyclic_gc_paused
from cyberfile.load.deprecations import apply_deprecations
from cyberfile.load.errors import convert, relevant
from cyberfile.load.yamlsource import Document, SourceMap, YamlProblem, read_document
from cyberfile.model.manifest import SCHEMA_VERSION, Device, Manifest, Policy
from cyberfile.model.project import MANIFEST_NAME, PARTS, PartSpec, Project
from cyberfile.model.sbom import Sbom, apply_support_rules, sboms_of

MANIFEST_PART = "cyberfile"


@dataclass
class LoadResult:
    """What loading produced: the project (None when no manifest could be read at all),
    the diagnostics so far, the source map of each part, and the ids written in the files
    that the model does not hold (items validation left out, misspelt part files), so
    that a reference to an invalid item is not also reported as dangling; the valid
    items' ids are the model's."""

    root: Path
    project: Project | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, SourceMap] = field(default_factory=dict)
    written_ids: set[str] = field(default_factory=set)
    misspelt: set[str] = field(default_factory=set)
    """Parts whose file is misspelt (CF105 said so): not reported missing as well."""
    invalid: dict[str, dict[str, Any]] = field(default_factory=dict)
    """By part, what validation left out of the model, as written: the invalid items of
    each list (`{"tests": {"tests": [item, ...]}}`) and invalid values of other keys, so
    that a traceability gap that exists only because an item was dropped is not reported
    (the item's own error says what is wrong). A misspelt part file (CF105) is recorded
    here whole, under the part it was meant to be."""
    files: list[Path] = field(default_factory=list)
    sbom_members: dict[str, list[str]] = field(default_factory=dict)
    """By SBOM source name, the refs of the components written in its file (and those it
    shares with another file)."""
    sbom_files: dict[str, Path] = field(default_factory=dict)
    """By SBOM source name, the file that holds it."""
    complete: bool = True
    """False when a file could not be read: reference and gap checks would mislead."""


def find_root(path: Path) -> Path | None:
    """The project folder for `path` (a folder or its cyberfile.yaml), if it is one."""
    if path.name == MANIFEST_NAME and path.is_file():
        return path.parent
    if (path / MANIFEST_NAME).is_file():
        return path
    return None


def discover(paths: list[Path], cwd: Path) -> tuple[list[Path], list[Diagnostic]]:
    """Project folders to work on: the given paths, or by default `./projects/*` (or the
    current folder when it holds a cyberfile.yaml)."""
    problems: list[Diagnostic] = []
    if not paths:
        if (cwd / MANIFEST_NAME).is_file():
            return [Path()], problems
        projects = cwd / "projects"
        found = (
            sorted(p.relative_to(cwd) for p in projects.glob(f"*/{MANIFEST_NAME}"))
            if projects.is_dir()
            else []
        )
        if not found:
            problems.append(
                rules.NO_PROJECT(
                    None,
                    "no project here: neither ./cyberfile.yaml nor ./projects/*/cyberfile.yaml",
                )
            )
        return [p.parent for p in found], problems
    roots: list[Path] = []
    for path in paths:
        root = find_root(path)
        if root is None:
            problems.append(
                rules.NO_PROJECT(
                    Position(path, 1, 1) if path.exists() else None,
                    f"{path}: not a cyberfile project (no {MANIFEST_NAME})"
                    if path.exists()
                    else f"{path}: no such file or folder",
                )
            )
        elif root not in roots:
            roots.append(root)
    return roots, problems


def one_project(path: Path | None, cwd: Path) -> Path:
    """The project a single-project command works on, found as every command finds
    projects: the PATH given; else the current folder when it holds a cyberfile.yaml;
    else the one project under ./projects/ (several: the user must name one)."""
    if path is not None:
        root = find_root(path)
        if root is None:
            what = "no such file or folder" if not path.exists() else "not a cyberfile project"
            raise InputError(f"{path.as_posix()}: {what} (no {MANIFEST_NAME})")
        return root
    roots, problems = discover([], cwd)
    if problems:
        raise InputError(problems[0].message)
    if len(roots) > 1:
        names = ", ".join(r.as_posix() for r in roots[:5]) + (", ..." if len(roots) > 5 else "")
        raise UsageError(f"{len(roots)} projects here ({names}); name the one to work on")
    return roots[0]


def _list_fields(model: type[BaseModel]) -> dict[str, Any]:
    """Fields of a part model that hold lists of items, with the item type."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if typing.get_origin(info.annotation) is tuple:
            args = typing.get_args(info.annotation)
            if len(args) == 2 and args[1] is Ellipsis:
                out[info.alias or name] = args[0]
    return out


def _shift(source: SourceMap, key: str, offset: int, into: SourceMap) -> None:
    """Copy positions into `into`, moving items of list `key` down by `offset`."""

    def move(path: PathKey) -> PathKey | None:
        if not path:
            return None
        if offset and path[0] == key and len(path) > 1 and isinstance(path[1], int):
            return (key, path[1] + offset, *path[2:])
        return path

    into.update(source.moved(move))


def _merge_folder(
    spec: PartSpec, docs: list[Document], diagnostics: list[Diagnostic]
) -> tuple[dict[str, Any], SourceMap]:
    """Concatenate the lists of a part folder; other keys may appear in one file only."""
    lists = _list_fields(spec.model)
    merged: dict[str, Any] = {}
    source = SourceMap()
    source.values[()] = docs[0].source.values[()]
    owner: dict[str, Document] = {}
    for doc in docs:
        for key, value in doc.data.items():
            if (
                key in merged
                and key in lists
                and isinstance(value, list)
                and isinstance(merged[key], list)
            ):
                offset = len(merged[key])
                merged[key].extend(value)
                _shift(_only(doc.source, key), key, offset, source)
                continue
            if key in merged:
                first = owner[key]
                first_pos = first.source.keys.get((key,))
                where = f"{first.path}:{first_pos.line}" if first_pos else str(first.path)
                diagnostics.append(
                    rules.PART_LAYOUT(
                        doc.source.keys.get((key,)),
                        f"'{key}' is already defined in {where}; in a part folder only "
                        "lists are concatenated",
                        "keep this key in one file of the folder",
                    )
                )
                continue
            merged[key] = list(value) if isinstance(value, list) else value
            owner[key] = doc
            _shift(_only(doc.source, key), key, 0, source)
    return merged, source


def _only(source: SourceMap, key: str) -> SourceMap:
    return source.moved(lambda path: path if path and path[0] == key else None)


def _collect_ids(data: Any, into: set[str]) -> None:
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key in ("id", "ref"):
                value = node.get(key)
                if isinstance(value, str):
                    into.add(value)
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))


def validate_part(
    model: type[BaseModel],
    data: dict[str, Any],
    source: SourceMap,
    dropped: dict[str, Any] | None = None,
) -> tuple[BaseModel, list[Diagnostic], SourceMap]:
    """Validate a part. On errors, report them all and keep every valid list item, with
    the source map renumbered to match the kept items. What is left out goes into
    `dropped`, as written: a list of the invalid items by list key, the value otherwise."""
    if dropped is None:
        dropped = {}
    try:
        return model.model_validate(data), [], source
    except ValidationError as exc:
        diagnostics = [convert(e, model, data, source) for e in relevant(exc.errors())]
    lists = _list_fields(model)
    kept: dict[str, Any] = {}
    renumber: dict[tuple[str, int], int] = {}
    for key, value in data.items():
        if key not in model.model_fields and key not in lists:
            continue
        if key in lists and isinstance(value, list):
            adapter: TypeAdapter[Any] = TypeAdapter(lists[key])
            items = []
            for index, item in enumerate(value):
                try:
                    items.append(adapter.validate_python(item))
                except ValidationError:
                    dropped.setdefault(key, []).append(item)
                    continue
                renumber[(key, index)] = len(items) - 1
            kept[key] = items
            continue
        try:
            model.model_validate({key: value})
        except ValidationError:
            dropped[key] = value
            continue
        kept[key] = value
    salvaged = model.model_validate(kept)

    def move(path: PathKey) -> PathKey | None:
        if len(path) > 1 and isinstance(path[1], int) and path[0] in lists:
            new_index = renumber.get((str(path[0]), path[1]))
            return None if new_index is None else (path[0], new_index, *path[2:])
        return path

    return salvaged, diagnostics, source.moved(move)


def _problem(problem: YamlProblem, result: LoadResult) -> Diagnostic:
    result.complete = False
    rule = rules.RULES[problem.code]
    return rule(problem.position, problem.message, problem.hint)


def _read_part(
    root: Path, spec: PartSpec, result: LoadResult
) -> tuple[dict[str, Any], SourceMap] | None:
    single = root / f"{spec.name}.yaml"
    folder = root / spec.name
    for stray in (root / f"{spec.name}.yml", *sorted(folder.glob("*.yml"))):
        if stray.is_file():
            result.diagnostics.append(
                _leading(
                    rules.PART_LAYOUT(
                        Position(stray, 1, 1),
                        f"{stray.name}: cyberfile reads files ending in .yaml; this file is "
                        "ignored",
                        f"rename it to {stray.stem}.yaml",
                    )
                )
            )
    if single.is_file() and folder.is_dir():
        result.diagnostics.append(
            _leading(
                rules.PART_LAYOUT(
                    Position(single, 1, 1),
                    f"both {spec.name}.yaml and the folder {spec.name}/ exist",
                    f"move the content of {spec.name}.yaml into the folder, or remove the folder",
                )
            )
        )
        return None
    if single.is_file():
        paths = [single]
    elif folder.is_dir():
        paths = sorted(p for p in folder.glob("*.yaml") if p.is_file())
        if not paths:
            return None
    else:
        return None
    docs: list[Document] = []
    real_root = root.resolve()
    for path in paths:
        result.files.append(path)
        real = path.resolve()
        if real_root not in real.parents:
            result.diagnostics.append(
                rules.PATH_OUTSIDE_PROJECT(
                    Position(path, 1, 1),
                    f"{path.name} is a link to {real}, outside the project folder; not read",
                )
            )
            result.complete = False
            continue
        try:
            docs.append(read_document(path))
        except YamlProblem as problem:
            result.diagnostics.append(_problem(problem, result))
    if not docs:
        return None
    docs = [_per_file(spec, doc, result) for doc in docs]
    if len(docs) == 1 and single.is_file():
        return docs[0].data, docs[0].source
    return _merge_folder(spec, docs, result.diagnostics)


def _source_name(path: Path) -> str:
    """The name of an SBOM source that does not give one: its file's name, as a name."""
    return re.sub(r"[^a-z0-9._-]+", "-", path.stem.lower()).strip("-._") or "sbom"


def _into_list(key: str, plural: str) -> Callable[[PathKey], PathKey | None]:
    def move(path: PathKey) -> PathKey | None:
        return (plural, 0, *path[1:]) if path and path[0] == key else path

    return move


def _per_file(spec: PartSpec, doc: Document, result: LoadResult) -> Document:
    """Keys every file of a part may hold once (the sbom `source`) become entries of the
    part's list (`sources`), so that a folder of files concatenates them."""
    for key, plural in spec.per_file:
        if plural in doc.data:
            result.diagnostics.append(
                rules.UNKNOWN_KEY(
                    doc.source.keys.get((plural,)),
                    f"unknown key '{plural}': each file of the {spec.name} part holds one "
                    f"'{key}'; several go in several files of the folder {spec.name}/",
                )
            )
            del doc.data[plural]
        if key not in doc.data:
            continue
        value = doc.data.pop(key)
        if isinstance(value, dict) and "name" not in value:
            value = {"name": _source_name(doc.path), **value}
        doc.data[plural] = [value]
        doc = replace(doc, source=doc.source.moved(_into_list(key, plural)))
        if spec.name == "sbom" and isinstance(value, dict):
            refs = [
                c["ref"]
                for c in doc.data.get("components") or ()
                if isinstance(c, dict) and isinstance(c.get("ref"), str)
            ]
            shared = value.get("shared")
            refs.extend(r for r in shared or () if isinstance(r, str))
            result.sbom_members.setdefault(str(value.get("name")), []).extend(refs)
            result.sbom_files.setdefault(str(value.get("name")), doc.path)
    return doc


def _load_manifest(root: Path, result: LoadResult) -> Manifest | None:
    path = root / MANIFEST_NAME
    result.files.append(path)
    try:
        doc = read_document(path)
    except YamlProblem as problem:
        result.diagnostics.append(_problem(problem, result))
        return None
    result.sources[MANIFEST_PART] = doc.source
    version = doc.data.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        result.diagnostics.append(
            rules.SCHEMA_VERSION(
                doc.source.value(("schema_version",)),
                f"this project is written in format version {version}; this cyberfile "
                f"reads version {SCHEMA_VERSION}",
                "upgrade cyberfile (pip install -U cyberfile)",
            )
        )
        return None
    try:
        return Manifest.model_validate(doc.data)
    except ValidationError as exc:
        result.diagnostics.extend(
            convert(e, Manifest, doc.data, doc.source) for e in relevant(exc.errors())
        )
    # Keep checking the parts with whatever policy is valid.
    try:
        policy = Policy.model_validate(doc.data.get("policy") or {})
    except ValidationError:
        policy = Policy()
    device = Device.model_construct(name=str(root.name), manufacturer="", version="")
    return Manifest.model_construct(schema_version=1, device=device, policy=policy)


MISSPELT_CUTOFF = 0.75
"""How close (difflib ratio) a file name must be to a missing part to be taken for it:
threat -> threats 0.92, anomaly -> anomalies 0.75, but not notes -> tests 0.6."""


def _leading(diagnostic: Diagnostic) -> Diagnostic:
    """A problem with the project's files themselves: reported before every finding."""
    return replace(diagnostic, leading=True)


def _unknown_parts(root: Path, result: LoadResult) -> None:
    """Report YAML files at the top of the project that are not parts."""
    known = {spec.name for spec in PARTS} | {MANIFEST_NAME.removesuffix(".yaml")}
    missing = sorted(
        spec.name
        for spec in PARTS
        if not (root / f"{spec.name}.yaml").is_file() and not (root / spec.name).is_dir()
    )
    for path in sorted([*root.glob("*.yaml"), *root.glob("*.yml")]):
        if path.stem in known or not path.is_file():
            continue
        meant = difflib.get_close_matches(path.stem, missing, n=1, cutoff=MISSPELT_CUTOFF)
        if meant:
            _misspelt_part(path, meant[0], result)
            continue
        close = difflib.get_close_matches(path.stem, sorted(known), n=1, cutoff=0.6)
        result.diagnostics.append(
            _leading(
                rules.UNKNOWN_PART(
                    Position(path, 1, 1),
                    f"{path.name} is not a cyberfile part; nothing in it is read",
                    f"did you mean {close[0]}.yaml?" if close else None,
                )
            )
        )


def _misspelt_part(path: Path, part: str, result: LoadResult) -> None:
    """A file named like a part that is missing is that part, misspelt: an error, first.
    It is still not read as the part, but its ids and links are recorded like those of
    an invalid item (`written_ids`, `invalid`), so that references to its ids are not
    reported dangling and its links leave no gaps: the one finding is the file name."""
    result.misspelt.add(part)
    result.diagnostics.append(
        _leading(
            rules.PART_LAYOUT(
                Position(path, 1, 1),
                f"{path.name} is not a cyberfile part and there is no {part}.yaml: "
                f"the {part} part is not read",
                f"rename the file to {part}.yaml",
            )
        )
    )
    try:
        doc = read_document(path)
    except YamlProblem:
        return  # its problems show once it has its right name
    _collect_ids(doc.data, result.written_ids)
    result.invalid[part] = doc.data


def load_project(root: Path) -> LoadResult:
    """Load the project in folder `root` (which must hold a cyberfile.yaml)."""
    with cyclic_gc_paused():
        result = LoadResult(root=root, project=None)
        manifest = _load_manifest(root, result)
        _unknown_parts(root, result)
        parts: dict[str, BaseModel] = {}
        for spec in PARTS:
            read = _read_part(root, spec, result)
            if read is None:
                parts[spec.name] = spec.model()
                continue
            data, source = read
            result.diagnostics.extend(apply_deprecations(spec.name, data, source))
            dropped = result.invalid.setdefault(spec.name, {})
            model, problems, source = validate_part(spec.model, data, source, dropped)
            # the ids of what validation left out: the valid items are in the model
            _collect_ids(dropped, result.written_ids)
            result.diagnostics.extend(problems)
            result.sources[spec.name] = source
            parts[spec.name] = model
        if manifest is not None:
            members = {name: tuple(refs) for name, refs in result.sbom_members.items()}
            sbom = parts["sbom"]
            assert isinstance(sbom, Sbom)
            components, rule_of = apply_support_rules(
                sbom.components, sbom.support_rules, sboms_of(members)
            )
            parts["sbom"] = sbom.model_copy(update={"components": components})
            result.project = Project(
                root=root,
                manifest=manifest,
                sbom_members=members,
                support_rule_of=rule_of,
                **parts,  # type: ignore[arg-type]
            )
        return result


def load_for_writing(root: Path) -> tuple[LoadResult, str | None]:
    """Load a project; refuse to write into one that has errors in its files."""
    result = load_project(root)
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    if result.project is None or errors:
        first = errors[0] if errors else None
        where = (
            f" (first: {first.position.file}:{first.position.line}: {first.message})"
            if first and first.position
            else ""
        )
        return result, f"{len(errors)} error(s) in the project; run `cyberfile validate`{where}"
    return result, None


def load_clean(root: Path) -> LoadResult:
    """Load a project that a command writes into or builds from; InputError when its
    files have errors (the message names the first, with file and line)."""
    result, problem = load_for_writing(root)
    if problem or result.project is None:
        raise InputError(f"{root.as_posix()}: {problem}")
    return result
