"""The rule registry: the one place every diagnostic code is defined.

Each rule has a stable code (CF1xx schema and references, CF2xx traceability, CF3xx
evidence freshness, CF4xx SBOM and vulnerabilities, CF5xx suspect reviews, CF6xx
readiness), a name, a default severity, a summary, a default hint and an example for the
documentation. `docs/rules.md` is generated from this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from cyberfile.check.diagnostic import Diagnostic, Severity
from cyberfile.load.yamlsource import Position


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    hint: str
    example: str
    unreadable: bool = False
    """The input could not be read: the command exits 2."""

    def __call__(
        self, position: Position | None, message: str, hint: str | None = None
    ) -> Diagnostic:
        return Diagnostic(
            code=self.code,
            name=self.name,
            severity=self.severity,
            message=message,
            hint=hint if hint is not None else self.hint,
            position=position,
            unreadable=self.unreadable,
        )


RULES: dict[str, Rule] = {}


def _rule(
    code: str,
    name: str,
    severity: Severity,
    summary: str,
    hint: str,
    example: str,
    *,
    unreadable: bool = False,
) -> Rule:
    if code in RULES:
        raise ValueError(f"rule code {code} defined twice")
    rule = Rule(code, name, severity, summary, hint, example, unreadable)
    RULES[code] = rule
    return rule


E, W = Severity.ERROR, Severity.WARNING

# CF1xx: reading the project, schema and references
NO_PROJECT = _rule(
    "CF001",
    "no-project",
    E,
    "No `cyberfile.yaml` was found where a project was expected.",
    "run `cyberfile init PATH` to create a project, or name the project folder",
    "cyberfile validate docs/   # a folder without cyberfile.yaml",
    unreadable=True,
)
YAML_SYNTAX = _rule(
    "CF100",
    "yaml-syntax",
    E,
    "The file is not well-formed YAML (syntax, tabs, control characters, unreadable).",
    "check indentation and quoting around this place",
    "threats:\n\t- id: THR-001     # a tab indents this line",
    unreadable=True,
)
YAML_ENCODING = _rule(
    "CF101",
    "yaml-encoding",
    E,
    "The file is not valid UTF-8.",
    "save the file as UTF-8",
    "title: Pumpe \\xfc         # a Latin-1 byte",
    unreadable=True,
)
YAML_UNSUPPORTED = _rule(
    "CF102",
    "yaml-unsupported",
    E,
    "The file uses YAML features the format excludes: anchors, aliases, explicit tags, "
    "or nesting deeper than any cyberfile part needs.",
    "write the value out in full",
    "base: &b {severity: critical}\nother: *b",
    unreadable=True,
)
YAML_DUPLICATE_KEY = _rule(
    "CF103",
    "duplicate-key",
    E,
    "A mapping has the same key twice; YAML parsers would silently keep one.",
    "a key may appear once per mapping; merge the two entries",
    "- id: THR-001\n  title: Spoofed gateway\n  title: Spoofed gateway commands",
    unreadable=True,
)
YAML_NOT_MAPPING = _rule(
    "CF104",
    "not-a-mapping",
    E,
    "The file is empty, holds several documents, or is not a mapping of keys.",
    "start the file with keys such as `threats:`",
    "- THR-001                 # a bare list instead of `threats: [...]`",
    unreadable=True,
)
PART_LAYOUT = _rule(
    "CF105",
    "part-layout",
    E,
    "A part is given both as `NAME.yaml` and as a folder `NAME/`, or a key other than a "
    "list appears in more than one file of a part folder.",
    "keep one of the two; in a folder, lists are concatenated and other keys appear once",
    "threats.yaml  and  threats/network.yaml  side by side",
)
SCHEMA_VERSION = _rule(
    "CF106",
    "schema-version",
    E,
    "`cyberfile.yaml` declares a format version this cyberfile does not read.",
    "upgrade cyberfile, or set `schema_version: 1`",
    "schema_version: 2",
    unreadable=True,
)
INVALID_VALUE = _rule(
    "CF110",
    "invalid-value",
    E,
    "A value has the wrong type, is not one of the allowed values, or breaks a format "
    "(dates YYYY-MM-DD, durations such as 30d, ids such as THR-001, 64-hex sha256).",
    "see the format reference for the allowed values",
    "stride: [spoofing, taempering]",
)
UNKNOWN_KEY = _rule(
    "CF111",
    "unknown-key",
    E,
    "A key the format does not define; usually a typo.",
    "remove the key or correct its spelling",
    "- id: THR-001\n  titel: Spoofed gateway",
)
MISSING_FIELD = _rule(
    "CF112",
    "missing-field",
    E,
    "A required field is missing.",
    "add the field",
    "- id: THR-001\n  stride: [spoofing]      # no title",
)
DUPLICATE_ID = _rule(
    "CF120",
    "duplicate-id",
    E,
    "Two items share an id. Ids are unique across the whole project (components by ref, "
    "vulnerabilities among vulnerabilities).",
    "give each item its own id",
    "controls:\n  - id: CTL-MTLS\n  - id: CTL-MTLS",
)
DANGLING_REFERENCE = _rule(
    "CF121",
    "dangling-reference",
    E,
    "A reference names an id that no item in the project has.",
    "correct the id, or add the item it names",
    "threats:\n  - id: THR-001\n    controls: [CTL-MTSL]    # no such control",
)
WRONG_REFERENCE_KIND = _rule(
    "CF122",
    "wrong-reference-kind",
    E,
    "A reference names an item of the wrong kind (for example a threat where a control "
    "is expected).",
    "reference an item of the kind the field expects",
    "threats:\n  - id: THR-001\n    controls: [REQ-MTLS-1]  # a requirement, not a control",
)
EVIDENCE_FILE_MISSING = _rule(
    "CF130",
    "evidence-file-missing",
    E,
    "An evidence item names a file that does not exist.",
    "add the file under the project folder, or correct the path",
    "evidence:\n  - id: EV-PENTEST-2026\n    file: artifacts/pentest.pdf   # not there",
)
PATH_OUTSIDE_PROJECT = _rule(
    "CF131",
    "path-outside-project",
    E,
    "A path the project names (an evidence file) or a part file is absolute, climbs out "
    "with `..`, or is a link that leads outside the project folder.",
    "keep files inside the project folder, conventionally under artifacts/",
    "file: ../../etc/passwd",
)
UNKNOWN_PART = _rule(
    "CF107",
    "unknown-part",
    W,
    "A YAML file at the top of the project is not one of the parts, so nothing in it is "
    "read; usually a misspelt part name.",
    "rename the file to the part it holds, or move it out of the project folder",
    "threat.yaml   # the part is called threats.yaml",
)

# CF2xx: traceability gaps
THREAT_WITHOUT_CONTROL = _rule(
    "CF200",
    "threat-without-control",
    W,
    "A threat names no control that mitigates it.",
    "list the mitigating controls under `controls:`",
    "- id: THR-007\n  controls: []",
)
CONTROL_WITHOUT_REQUIREMENT = _rule(
    "CF201",
    "control-without-requirement",
    W,
    "A control has no requirement, so nothing about it can be verified.",
    "add requirements with acceptance criteria",
    "- id: CTL-LOGS\n  requirements: []",
)
REQUIREMENT_NOT_VERIFIED = _rule(
    "CF202",
    "requirement-not-verified",
    W,
    "No test names the requirement in `verifies`.",
    "add a test that verifies the requirement",
    "requirements:\n  - id: REQ-LOG-1    # no test lists REQ-LOG-1",
)
TEST_FAILED = _rule(
    "CF203",
    "test-failed",
    W,
    "A test's result is `fail`.",
    "fix and retest, or record the open finding as an anomaly or vulnerability",
    "- id: TST-FUZZ-BLE\n  result: fail",
)
TEST_NOT_PERFORMED = _rule(
    "CF204",
    "test-not-performed",
    W,
    "A test is `blocked` or `not_run`, so it verifies nothing yet.",
    "run the test and record its result",
    "- id: TST-PEN-1\n  result: not_run",
)
COMPONENT_UNUSED = _rule(
    "CF205",
    "component-unused",
    W,
    "An SBOM component is used by no asset, directly or through `depends_on`.",
    "list the component under the `components:` of the asset built from it",
    "sbom: pkg:pypi/lxml@4.9.1, listed by no asset",
)
VIEW_MISSING = _rule(
    "CF206",
    "view-missing",
    W,
    "One of the four FDA architecture view types is neither present nor explained in "
    "`omitted_views`.",
    "add a view of this type, or explain in `omitted_views` why there is none",
    "views: [global_system only]; omitted_views: {}",
)
RESIDUAL_RISK_UNJUSTIFIED = _rule(
    "CF207",
    "residual-risk-unjustified",
    W,
    "A threat's post-mitigation risk is not acceptable under the policy matrix and no "
    "`residual_risk_rationale` explains why the device is still safe.",
    "lower the residual risk with controls, or write a residual_risk_rationale",
    "post_mitigation: {exploitability: high, severity: critical}",
)

# CF4xx: SBOM and vulnerabilities
SUPPORT_UNKNOWN_UNJUSTIFIED = _rule(
    "CF400",
    "support-unknown-unjustified",
    W,
    "A component's level of support is `unknown` and no `justification` says why.",
    "find the support facts (level and end of support), or write a justification",
    "- ref: pkg:pypi/six@1.16.0\n  support: unknown",
)
NOT_AFFECTED_UNJUSTIFIED = _rule(
    "CF401",
    "not-affected-unjustified",
    E,
    "A vulnerability is `not_affected` with neither a `justification` nor a `detail`; "
    "VEX consumers require one.",
    "add a justification (e.g. code_not_reachable) and a detail",
    "status: not_affected",
)
INVALID_CVSS = _rule(
    "CF403",
    "invalid-cvss",
    E,
    "A vulnerability's `cvss` is not a valid CVSS 3.0, 3.1 or 4.0 vector.",
    "copy the vector from the advisory, e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
    'cvss: "CVSS:3.1/AV:N/AC:L"   # base metrics missing',
)
INVALID_PURL = _rule(
    "CF402",
    "invalid-purl",
    E,
    "A component's `purl` (or a `ref` written as a purl) is not a valid package URL.",
    "write it as pkg:type/namespace/name@version, e.g. pkg:pypi/django@4.2.7",
    "purl: pkg:pypi/django/4.2.7",
)
