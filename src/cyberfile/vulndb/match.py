"""Match SBOM components against OSV advisories: by purl type and normalised name, then
by version ranges and explicit version lists. Aliases join advisories of one flaw."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from packageurl import PackageURL

from cyberfile.model.sbom import Component
from cyberfile.vulndb.osv import Advisory, Affected
from cyberfile.vulndb.versions import Comparable, UnparsableVersion, in_range, parse_version

PURL_ECOSYSTEMS = {
    "pypi": "PyPI",
    "npm": "npm",
    "maven": "Maven",
    "golang": "Go",
    "cargo": "crates.io",
    "gem": "RubyGems",
    "nuget": "NuGet",
    "composer": "Packagist",
    "hex": "Hex",
    "pub": "Pub",
    "deb": "Debian",
    "apk": "Alpine",
}
"""purl type -> OSV ecosystem."""

_PEP503 = re.compile(r"[-_.]+")


def normalise(ecosystem: str, name: str) -> str:
    """The package name as the ecosystem compares names."""
    base = ecosystem.split(":", 1)[0]
    if base == "PyPI":
        return _PEP503.sub("-", name).lower()
    if base in ("npm", "crates.io", "Packagist", "NuGet", "Hex", "Pub"):
        return name.lower()
    return name


@dataclass(frozen=True)
class Target:
    """What a component is called in OSV terms."""

    ecosystem: str
    name: str
    version: str


def target_of(component: Component) -> Target | str:
    """The OSV coordinates of a component, or why it cannot be matched."""
    text = component.purl or (component.ref if component.ref.startswith("pkg:") else None)
    if text is None:
        return "has no purl"
    try:
        purl = PackageURL.from_string(text)
    except ValueError:
        return "has an invalid purl"
    ecosystem = PURL_ECOSYSTEMS.get(purl.type)
    if ecosystem is None:
        return f"has purl type '{purl.type}', which no vulnerability database covers"
    version = purl.version or component.version
    if not version:
        return "has no version"
    if purl.type == "maven":
        name = f"{purl.namespace}:{purl.name}" if purl.namespace else purl.name
    elif purl.type in ("npm", "golang", "composer") and purl.namespace:
        name = f"{purl.namespace}/{purl.name}"
    elif purl.type == "deb":
        name = _debian_source(purl)
    else:
        name = purl.name
    return Target(ecosystem, normalise(ecosystem, name), version)


def _debian_source(purl: PackageURL) -> str:
    """The Debian source package a deb purl belongs to: OSV's Debian advisories name source
    packages, and a binary package names its source in the `upstream` qualifier
    (`pkg:deb/debian/tzdata-legacy@2025a-1?upstream=tzdata`, or `upstream=name@version`)."""
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    upstream = str(qualifiers.get("upstream") or "").split("@", 1)[0].strip()
    return upstream or purl.name


@dataclass
class AdvisoryIndex:
    """Advisories by (ecosystem, normalised package name); withdrawn ones left out."""

    by_package: dict[tuple[str, str], list[tuple[Advisory, Affected]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    records: int = 0
    withdrawn: int = 0

    @property
    def ecosystems(self) -> frozenset[str]:
        """The ecosystems the index holds advisories for (withdrawn ones left out)."""
        return frozenset(ecosystem for ecosystem, _ in self.by_package)

    def add(self, advisory: Advisory) -> None:
        self.records += 1
        if advisory.withdrawn:
            self.withdrawn += 1
            return
        for affected in advisory.affected:
            ecosystem = affected.ecosystem.split(":", 1)[0]
            key = (ecosystem, normalise(ecosystem, affected.name))
            self.by_package[key].append((advisory, affected))

    @classmethod
    def build(cls, advisories: Iterable[Advisory]) -> AdvisoryIndex:
        index = cls()
        for advisory in advisories:
            index.add(advisory)
        return index


def affects(affected: Affected, version_text: str, version: Comparable | None) -> bool:
    if version_text in affected.versions:
        return True
    if version is None:
        return False
    for rng in affected.ranges:
        if rng.type == "ECOSYSTEM":
            if in_range(version, rng.events, affected.ecosystem):
                return True
        elif rng.type == "SEMVER":
            try:
                semver = parse_version("SEMVER", version_text)
            except UnparsableVersion:
                continue
            if in_range(semver, rng.events, "SEMVER"):
                return True
    return False


@dataclass(frozen=True)
class Finding:
    """One flaw (all its ids) affecting one component."""

    component: str
    ids: tuple[str, ...]
    """Every id of the flaw, primary first (CVE, then GHSA, then others)."""
    advisories: tuple[Advisory, ...]
    fixed_versions: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.ids[0]

    @property
    def aliases(self) -> tuple[str, ...]:
        return self.ids[1:]

    @property
    def cvss(self) -> str | None:
        for advisory in self.advisories:
            if advisory.cvss:
                return advisory.cvss[0]
        return None


def id_rank(identifier: str) -> tuple[int, str]:
    """Sort key of a flaw's ids: CVE first, then GHSA, PYSEC, the others."""
    for rank, prefix in enumerate(("CVE-", "GHSA-", "PYSEC-")):
        if identifier.startswith(prefix):
            return rank, identifier
    return 3, identifier


def _group(advisories: Sequence[Advisory]) -> list[list[Advisory]]:
    """Advisories that share any id or alias belong to one flaw (union-find)."""
    parent = list(range(len(advisories)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, advisory in enumerate(advisories):
        for identifier in (advisory.id, *advisory.aliases):
            if identifier in owner:
                parent[find(i)] = find(owner[identifier])
            else:
                owner[identifier] = i
    groups: dict[int, list[Advisory]] = defaultdict(list)
    for i, advisory in enumerate(advisories):
        groups[find(i)].append(advisory)
    return list(groups.values())


@dataclass
class MatchResult:
    findings: list[Finding]
    unmatchable: list[tuple[Component, str]]
    """Components that could not be matched, with the reason; also (after being checked)
    those whose version only explicit version lists could be compared with."""
    checked: int
    """Components checked: their ecosystem is one the advisories given hold records for.
    Every other component is in `unmatchable`, so none is counted twice."""


def match_components(components: Sequence[Component], index: AdvisoryIndex) -> MatchResult:
    findings: list[Finding] = []
    unmatchable: list[tuple[Component, str]] = []
    checked = 0
    ecosystems = index.ecosystems
    for component in components:
        target = target_of(component)
        if isinstance(target, str):
            unmatchable.append((component, target))
            continue
        if target.ecosystem not in ecosystems:
            unmatchable.append((component, f"the feed holds no {target.ecosystem} records"))
            continue
        checked += 1
        candidates = index.by_package.get((target.ecosystem, target.name), [])
        if not candidates:
            continue
        try:
            version: Comparable | None = parse_version(target.ecosystem, target.version)
        except UnparsableVersion:
            version = None
            unmatchable.append(
                (
                    component,
                    f"version {target.version!r} is not a {target.ecosystem} version; "
                    "only explicit version lists were checked",
                )
            )
        hits: dict[str, tuple[Advisory, list[Affected]]] = {}
        for advisory, affected in candidates:
            if affects(affected, target.version, version):
                hits.setdefault(advisory.id, (advisory, []))[1].append(affected)
        for group in _group([advisory for advisory, _ in hits.values()]):
            ids = sorted(
                {i for advisory in group for i in (advisory.id, *advisory.aliases)}, key=id_rank
            )
            fixed = sorted(
                {v for advisory in group for a in hits[advisory.id][1] for v in a.fixed_versions()}
            )
            findings.append(
                Finding(
                    component.ref,
                    tuple(ids),
                    tuple(sorted(group, key=lambda a: a.id)),
                    tuple(fixed),
                )
            )
    findings.sort(key=lambda f: (f.component, id_rank(f.id)))
    return MatchResult(findings, unmatchable, checked)
