"""The rule registry: the one place every diagnostic code is defined.

Each rule has a stable code (CF1xx schema and references, CF2xx traceability, CF3xx
evidence freshness, CF4xx SBOM and vulnerabilities, CF5xx suspect reviews, CF6xx
readiness), a name, a default severity, a summary, a default hint and an example for the
documentation. `docs/rules.md` is generated from this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cyberfile.diagnostics.diagnostic import Diagnostic, Severity
from cyberfile.diagnostics.position import Position


class Stage(StrEnum):
    """The checking step that reports a rule. A command runs a fixed set of steps
    (COMMAND_STAGES), so which rules a command runs is decided here, once."""

    READ = "read"
    """Loading: YAML, schema, layout, settings. Every command that loads a project."""
    REFERENCES = "references"
    """Ids and references between items."""
    EVIDENCE_FILES = "evidence-files"
    """Files that evidence items point to."""
    TRACEABILITY = "traceability"
    """Gaps from threat to control to requirement to test."""
    SBOM = "sbom"
    """Date-independent SBOM and vulnerability record checks."""
    DRIFT = "drift"
    """Postmarket promises measured against a date (--as-of)."""
    SCAN = "scan"
    """The components compared with vulnerability feeds."""
    WAIVERS = "waivers"
    """The waivers of cyberfile.yaml, measured against the command's findings and date."""


COMMAND_STAGES: dict[str, tuple[Stage, ...]] = {
    "validate": (
        Stage.READ,
        Stage.REFERENCES,
        Stage.EVIDENCE_FILES,
        Stage.TRACEABILITY,
        Stage.SBOM,
        Stage.WAIVERS,
    ),
    "drift": (Stage.READ, Stage.EVIDENCE_FILES, Stage.SBOM, Stage.DRIFT, Stage.WAIVERS),
    "scan": (Stage.READ, Stage.SCAN),
}
"""The checking steps of each command that reports diagnostics."""


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    summary: str
    hint: str
    example: str
    stage: Stage
    """The checking step that reports it; see COMMAND_STAGES for which command runs it."""
    unreadable: bool = False
    """The input could not be read: the command exits 2."""
    opt_in: bool = False
    """Off unless enabled (`rules: {enable: [CODE]}` or `--enable CODE`)."""

    @property
    def drift(self) -> bool:
        """A date-dependent rule, run by `cyberfile drift` (measured against --as-of)."""
        return self.stage is Stage.DRIFT

    @property
    def commands(self) -> tuple[str, ...]:
        """The commands that run this rule."""
        return tuple(c for c, stages in COMMAND_STAGES.items() if self.stage in stages)

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


def rules_of(command: str) -> list[Rule]:
    """The rules `command` runs, in registry order."""
    stages = COMMAND_STAGES.get(command, ())
    return [rule for rule in RULES.values() if rule.stage in stages]


def _rule(
    code: str,
    name: str,
    severity: Severity,
    summary: str,
    hint: str,
    example: str,
    *,
    stage: Stage,
    unreadable: bool = False,
    opt_in: bool = False,
) -> Rule:
    if code in RULES:
        raise ValueError(f"rule code {code} defined twice")
    rule = Rule(code, name, severity, summary, hint, example, stage, unreadable, opt_in)
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
    stage=Stage.READ,
)
YAML_SYNTAX = _rule(
    "CF100",
    "yaml-syntax",
    E,
    "The file is not well-formed YAML (syntax, tabs, control characters, unreadable).",
    "check indentation and quoting around this place",
    "threats:\n\t- id: THR-001     # a tab indents this line",
    unreadable=True,
    stage=Stage.READ,
)
YAML_ENCODING = _rule(
    "CF101",
    "yaml-encoding",
    E,
    "The file is not valid UTF-8.",
    "save the file as UTF-8",
    "title: Pumpe \\xfc         # a Latin-1 byte",
    unreadable=True,
    stage=Stage.READ,
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
    stage=Stage.READ,
)
YAML_DUPLICATE_KEY = _rule(
    "CF103",
    "duplicate-key",
    E,
    "A mapping has the same key twice; YAML parsers would silently keep one.",
    "a key may appear once per mapping; merge the two entries",
    "- id: THR-001\n  title: Spoofed gateway\n  title: Spoofed gateway commands",
    unreadable=True,
    stage=Stage.READ,
)
YAML_NOT_MAPPING = _rule(
    "CF104",
    "not-a-mapping",
    E,
    "The file is empty, holds several documents, or is not a mapping of keys.",
    "start the file with keys such as `threats:`",
    "- THR-001                 # a bare list instead of `threats: [...]`",
    unreadable=True,
    stage=Stage.READ,
)
PART_LAYOUT = _rule(
    "CF105",
    "part-layout",
    E,
    "A part is given both as `NAME.yaml` and as a folder `NAME/`, a part file is misspelt "
    "(`threat.yaml` where there is no `threats.yaml`, so the part is not read at all), or "
    "a key other than a list appears in more than one file of a part folder. Problems "
    "with the files themselves are reported before every other finding.",
    "keep one of the two; in a folder, lists are concatenated and other keys appear once",
    "threat.yaml   # and no threats.yaml: the threat model is not read",
    stage=Stage.READ,
)
SCHEMA_VERSION = _rule(
    "CF106",
    "schema-version",
    E,
    "`cyberfile.yaml` declares a format version this cyberfile does not read.",
    "upgrade cyberfile, or set `schema_version: 1`",
    "schema_version: 2",
    unreadable=True,
    stage=Stage.READ,
)
INVALID_VALUE = _rule(
    "CF110",
    "invalid-value",
    E,
    "A value has the wrong type, is not one of the allowed values, or breaks a format "
    "(dates YYYY-MM-DD, durations such as 30d, ids such as THR-001, 64-hex sha256). "
    "A URL must be https, http or mailto: `cvd.policy_url` always, and `support_evidence` "
    "or `cvd.contact` (which may also be free text such as `SOP-114 rev C`) when the text "
    "reads as a link: a script or local-file scheme (`javascript:`, `vbscript:`, `data:`, "
    "`file:`, ...), a scheme followed by `//`, or a scheme without digits followed by more "
    "text with no space (`ftp://host`, `ms-msdt:/id`). Schemes are read as a browser reads "
    "them: in any case, after leading spaces or control characters. Feed URLs must be "
    "https or http.",
    "see the format reference for the allowed values",
    "stride: [spoofing, taempering]",
    stage=Stage.READ,
)
UNKNOWN_KEY = _rule(
    "CF111",
    "unknown-key",
    E,
    "A key the format does not define; usually a typo.",
    "remove the key or correct its spelling",
    "- id: THR-001\n  titel: Spoofed gateway",
    stage=Stage.READ,
)
MISSING_FIELD = _rule(
    "CF112",
    "missing-field",
    E,
    "A required field is missing.",
    "add the field",
    "- id: THR-001\n  stride: [spoofing]      # no title",
    stage=Stage.READ,
)
DUPLICATE_ID = _rule(
    "CF120",
    "duplicate-id",
    E,
    "Two items share an id. Ids are unique across the whole project (components by ref, "
    "vulnerabilities among vulnerabilities).",
    "give each item its own id",
    "controls:\n  - id: CTL-MTLS\n  - id: CTL-MTLS",
    stage=Stage.REFERENCES,
)
DANGLING_REFERENCE = _rule(
    "CF121",
    "dangling-reference",
    E,
    "A reference names an id that no item in the project has.",
    "correct the id, or add the item it names",
    "threats:\n  - id: THR-001\n    controls: [CTL-MTSL]    # no such control",
    stage=Stage.REFERENCES,
)
WRONG_REFERENCE_KIND = _rule(
    "CF122",
    "wrong-reference-kind",
    E,
    "A reference names an item of the wrong kind (for example a threat where a control "
    "is expected).",
    "reference an item of the kind the field expects",
    "threats:\n  - id: THR-001\n    controls: [REQ-MTLS-1]  # a requirement, not a control",
    stage=Stage.REFERENCES,
)
DATA_FLOW_SELF_LOOP = _rule(
    "CF123",
    "data-flow-self-loop",
    W,
    "A data flow's `from` and `to` name the same asset. A data flow is a communication "
    "path between two elements (Appendix 2), so a flow from an asset to itself is almost "
    "always a typo in `from` or `to`; it draws no edge between elements and hides the "
    "path the threats on it are about. Reported at the `to` value.",
    "correct `from` or `to` to name the two ends of the path; to describe what happens "
    "inside one asset, use the asset's description instead of a data flow",
    "- id: DF-GW-PUMP\n  from: AST-PUMP-FW\n  to: AST-PUMP-FW   # meant from: AST-GATEWAY",
    stage=Stage.REFERENCES,
)
EVIDENCE_FILE_MISSING = _rule(
    "CF130",
    "evidence-file-missing",
    E,
    "An evidence item names a file that does not exist.",
    "add the file under the project folder, or correct the path",
    "evidence:\n  - id: EV-PENTEST-2026\n    file: artifacts/pentest.pdf   # not there",
    stage=Stage.EVIDENCE_FILES,
)
PATH_OUTSIDE_PROJECT = _rule(
    "CF131",
    "path-outside-project",
    E,
    "A path the project names (an evidence file) or a part file is absolute, climbs out "
    "with `..`, or is a link that leads outside the project folder.",
    "keep files inside the project folder, conventionally under artifacts/",
    "file: ../../etc/passwd",
    stage=Stage.EVIDENCE_FILES,
)
UNKNOWN_PART = _rule(
    "CF107",
    "unknown-part",
    W,
    "A YAML file at the top of the project is not one of the parts, so nothing in it is "
    "read. When its name is close to a part that is missing, it is the error CF105 instead.",
    "rename the file to the part it holds, or move it out of the project folder",
    "threats-old.yaml   # a copy next to threats.yaml",
    stage=Stage.READ,
)
PART_MISSING = _rule(
    "CF113",
    "part-missing",
    E,
    "A part the FDA package cannot do without is absent: `threats`, `controls`, "
    "`architecture`, `sbom` or `postmarket` (neither `NAME.yaml` nor a folder `NAME/`). "
    "Reported by validate only, so that commands which create parts (sbom import, scan) "
    "still work on a new project.",
    "create the part (cyberfile init writes every part), or check the file's name",
    "threat.yaml   # misspelt: there is no threats.yaml, so the project has no threat model",
    stage=Stage.TRACEABILITY,
)
DEPRECATED_VALUE = _rule(
    "CF109",
    "deprecated-value",
    W,
    "A value uses an old spelling that is still read, as its new spelling, but is no "
    "longer part of the format (the JSON Schemas and the format reference list only the "
    "new one); e.g. test types `penetration` and `fuzz`, now `penetration_test` and "
    "`fuzz_test` like evidence types.",
    "write the new spelling named in the message",
    "- id: TST-PEN-1\n  type: penetration     # now penetration_test",
    stage=Stage.READ,
)

# CF2xx: traceability gaps
THREAT_WITHOUT_CONTROL = _rule(
    "CF200",
    "threat-without-control",
    W,
    "A threat names no control that mitigates it.",
    "list the mitigating controls under `controls:`",
    "- id: THR-007\n  controls: []",
    stage=Stage.TRACEABILITY,
)
CONTROL_WITHOUT_REQUIREMENT = _rule(
    "CF201",
    "control-without-requirement",
    W,
    "A control has no requirement, so nothing about it can be verified.",
    "add requirements with acceptance criteria",
    "- id: CTL-LOGS\n  requirements: []",
    stage=Stage.TRACEABILITY,
)
REQUIREMENT_NOT_VERIFIED = _rule(
    "CF202",
    "requirement-not-verified",
    W,
    "No test names the requirement in `verifies`.",
    "add a test that verifies the requirement",
    "requirements:\n  - id: REQ-LOG-1    # no test lists REQ-LOG-1",
    stage=Stage.TRACEABILITY,
)
TEST_FAILED = _rule(
    "CF203",
    "test-failed",
    W,
    "A test's result is `fail`.",
    "fix and retest, or record the open finding as an anomaly or vulnerability",
    "- id: TST-FUZZ-BLE\n  result: fail",
    stage=Stage.TRACEABILITY,
)
TEST_NOT_PERFORMED = _rule(
    "CF204",
    "test-not-performed",
    W,
    "A test is `blocked` or `not_run`, so it verifies nothing yet.",
    "run the test and record its result",
    "- id: TST-PEN-1\n  result: not_run",
    stage=Stage.TRACEABILITY,
)
COMPONENT_UNUSED = _rule(
    "CF205",
    "component-unused",
    W,
    "An SBOM component is used by no asset, directly or through `depends_on`.",
    "list the component under the `components:` of the asset built from it",
    "sbom: pkg:pypi/lxml@4.9.1, listed by no asset",
    stage=Stage.TRACEABILITY,
)
VIEW_MISSING = _rule(
    "CF206",
    "view-missing",
    W,
    "One of the four FDA architecture view types is neither present nor explained in "
    "`omitted_views`.",
    "add a view of this type, or explain in `omitted_views` why there is none",
    "views: [global_system only]; omitted_views: {}",
    stage=Stage.TRACEABILITY,
)
RESIDUAL_RISK_UNJUSTIFIED = _rule(
    "CF207",
    "residual-risk-unjustified",
    W,
    "A threat's post-mitigation risk is not acceptable under the policy matrix and no "
    "`residual_risk_rationale` explains why the device is still safe.",
    "lower the residual risk with controls, or write a residual_risk_rationale",
    "post_mitigation: {exploitability: high, severity: critical}",
    stage=Stage.TRACEABILITY,
)
TEST_FINDING_UNJUSTIFIED = _rule(
    "CF208",
    "test-finding-unjustified",
    W,
    "A finding of a test is not fixed (open, accepted or deferred) and has no `rationale`: "
    "the premarket guidance (§V.C) asks for a rationale and a release plan for every "
    "finding not fixed. The testing document shows the finding with a visible gap.",
    "write a rationale: why releasing with it is acceptable and the release that will fix "
    "it; link the anomaly or vulnerability that tracks it in tracked_in",
    "findings:\n  - {id: NSL-03, title: ..., severity: medium, status: open}   # no rationale",
    stage=Stage.TRACEABILITY,
)

# CF4xx: SBOM and vulnerabilities
SUPPORT_UNKNOWN_UNJUSTIFIED = _rule(
    "CF400",
    "support-unknown-unjustified",
    W,
    "A component's level of support is `unknown` and no `justification` says why.",
    "find the support facts (level and end of support), or write a justification; for "
    "many components at once, a support rule (`support_rules` in the sbom part)",
    "- ref: pkg:pypi/six@1.16.0\n  support: unknown",
    stage=Stage.SBOM,
)
NOT_AFFECTED_UNJUSTIFIED = _rule(
    "CF401",
    "not-affected-unjustified",
    E,
    "A vulnerability is `not_affected` with neither a `justification` nor a `detail`; "
    "VEX consumers require one.",
    "add a justification (e.g. code_not_reachable) and a detail",
    "status: not_affected",
    stage=Stage.SBOM,
)
INVALID_CVSS = _rule(
    "CF403",
    "invalid-cvss",
    E,
    "A vulnerability's `cvss` is not a valid CVSS 3.0, 3.1 or 4.0 vector.",
    "copy the vector from the advisory, e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
    'cvss: "CVSS:3.1/AV:N/AC:L"   # base metrics missing',
    stage=Stage.SBOM,
)
INVALID_PURL = _rule(
    "CF402",
    "invalid-purl",
    E,
    "A component's `purl` (or a `ref` written as a purl) is not a valid package URL.",
    "write it as pkg:type/namespace/name@version, e.g. pkg:pypi/django@4.2.7",
    "purl: pkg:pypi/django/4.2.7",
    stage=Stage.SBOM,
)
END_OF_SUPPORT_UNSTATED = _rule(
    "CF404",
    "end-of-support-unstated",
    W,
    "A component has neither an `end_of_support` date nor a `justification` saying why "
    "there is none (FDA premarket guidance §V.A.4 asks for the end-of-support date of "
    "each component, or a justification when it is unknown). The SBOM document shows "
    "the gap. A component whose support is `unknown` and unjustified is reported by CF400 "
    "instead.",
    "write end_of_support (the date the supplier publishes), or a justification: why no "
    "date is published and how the component's support is monitored",
    "- ref: pkg:pypi/six@1.16.0\n  support: limited   # no end_of_support, no justification",
    stage=Stage.SBOM,
)
SUPPORT_RULE_UNUSED = _rule(
    "CF405",
    "support-rule-unused",
    W,
    "A support rule (`support_rules`) matches no component, or only components that state "
    "all its facts themselves: it says nothing. Usually its match has a typo.",
    "correct the match (purl_type, namespace, pattern, sbom) or remove the rule",
    "support_rules:\n  - id: SUP-NPM\n    match: {purl_type: nmp}",
    stage=Stage.SBOM,
)

WAIVER_EXPIRED = _rule(
    "CF140",
    "waiver-expired",
    W,
    "A waiver's `until` date has passed: it suppresses nothing any more, and the findings it "
    "covered count again.",
    "fix what the waiver covered, or renew the waiver with a new reason, approver and date",
    "waivers:\n  - {rule: CF411, items: [pkg:pypi/django@4.2.15], until: 2026-03-31, ...}",
    stage=Stage.WAIVERS,
)
WAIVER_UNUSED = _rule(
    "CF141",
    "waiver-unused",
    W,
    "A waiver in force matches no finding of the command that runs its rule: what it "
    "covered is fixed (remove the waiver), or its items are misspelt.",
    "remove the waiver, or correct its rule and items",
    "waivers:\n  - {rule: CF411, items: [pkg:pypi/djnago@4.2.15], ...}",
    stage=Stage.WAIVERS,
)
WAIVER_INVALID = _rule(
    "CF142",
    "waiver-invalid",
    E,
    "A waiver names a rule that does not exist or cannot be waived (a file that cannot be "
    "read cannot be waived), or an item that is not defined in the project.",
    "name a rule of docs/rules.md and items of the project",
    "waivers:\n  - {rule: CF101, items: [THR-001], ...}   # unreadable YAML",
    stage=Stage.WAIVERS,
)

UNKNOWN_RULE_CODE = _rule(
    "CF108",
    "unknown-rule-code",
    W,
    "`rules.ignore` or `rules.enable` in cyberfile.yaml names a code that is not a rule.",
    "see docs/rules.md for the codes",
    "rules: {ignore: [CF999]}",
    stage=Stage.READ,
)

# CF3xx: evidence freshness (drift)
EVIDENCE_OVERDUE = _rule(
    "CF300",
    "evidence-overdue",
    E,
    "The newest evidence of a type the postmarket plan promises (a monitoring source's "
    "`evidence_type`, or a `periodic_testing` type) is older than the plan's `every`.",
    "do the activity and record it as an evidence item, or change the plan's cadence",
    "periodic_testing: [{type: penetration_test, every: 1y}]   # newest: 2024-06-30",
    stage=Stage.DRIFT,
)
EVIDENCE_DUE_SOON = _rule(
    "CF301",
    "evidence-due-soon",
    W,
    "The newest evidence of a promised type will be older than `every` within "
    "`policy.warn_before` (for cadences shorter than twice warn_before: within half the "
    "cadence).",
    "schedule the activity",
    "periodic_testing: [{type: penetration_test, every: 1y}]   # due in 12 days",
    stage=Stage.DRIFT,
)
EVIDENCE_NEVER = _rule(
    "CF302",
    "evidence-never-recorded",
    E,
    "The postmarket plan promises an activity of which no evidence item exists at all.",
    "record the activity as an evidence item of that type",
    "monitoring: [{source: OSV, kind: vulnerability_database, every: 7d, "
    "evidence_type: vulnerability_scan}]   # no vulnerability_scan evidence",
    stage=Stage.DRIFT,
)
EVIDENCE_DIGEST_MISMATCH = _rule(
    "CF303",
    "evidence-digest-mismatch",
    E,
    "An evidence file's sha256 differs from the one recorded: the file changed after it "
    "was recorded as evidence.",
    "restore the recorded file; or, when the change was intended, `cyberfile evidence "
    "rehash ID` (or record the new file as new evidence: `cyberfile evidence add`)",
    "sha256: 9f86d0...   # the file on disk now hashes to 2c26b4...",
    stage=Stage.DRIFT,
)
EVIDENCE_DIGEST_UNRECORDED = _rule(
    "CF304",
    "evidence-digest-unrecorded",
    W,
    "An evidence item names a file but no `sha256`, so a later change to the file "
    "cannot be detected.",
    "run `cyberfile evidence rehash ID` (it records the file's sha256)",
    "file: artifacts/pentest-2026.pdf   # no sha256",
    stage=Stage.DRIFT,
)
TEST_RETEST_OVERDUE = _rule(
    "CF310",
    "test-retest-overdue",
    W,
    "A test whose type the plan repeats (`periodic_testing`) was last performed longer "
    "ago than the plan's cadence, or has no `performed` date.",
    "repeat the test and update `performed`, `result` and its evidence",
    "type: penetration_test   performed: 2024-08-14   # periodic_testing penetration_test every 1y",
    stage=Stage.DRIFT,
)
FAILED_TEST_UNRECORDED = _rule(
    "CF311",
    "failed-test-unrecorded",
    E,
    "A failed test is recorded by no open anomaly or vulnerability (`found_by`).",
    "record the finding as an anomaly or vulnerability with found_by: [TEST-ID]",
    "- id: TST-FUZZ-BLE\n  result: fail   # no anomaly lists found_by: [TST-FUZZ-BLE]",
    stage=Stage.DRIFT,
)

# CF41x-CF42x: SBOM and vulnerabilities over time (drift)
SBOM_SOURCE_CHANGED = _rule(
    "CF410",
    "sbom-source-changed",
    E,
    "The CycloneDX file sbom.yaml was imported from is missing or no longer matches "
    "`source.sha256`: the SBOM under configuration management is out of date.",
    "run `cyberfile sbom import FILE` again",
    "source: {file: ../build/sbom.cdx.json, sha256: ...}   # the build produced a new SBOM",
    stage=Stage.DRIFT,
)
END_OF_SUPPORT_PASSED = _rule(
    "CF411",
    "end-of-support-passed",
    E,
    "A component's end of support has passed. An error, unless the component records both "
    "a `replacement_plan` and a `justification` (why it is still acceptable until then): "
    "then a warning, and the documents list it with the plan.",
    "replace or upgrade the component, or write its replacement_plan and justification",
    "end_of_support: 2026-04-07   # no replacement_plan",
    stage=Stage.DRIFT,
)
END_OF_SUPPORT_NEAR = _rule(
    "CF412",
    "end-of-support-near",
    W,
    "A component's end of support falls within `policy.warn_before`.",
    "plan the replacement",
    "end_of_support: 2026-12-15   # as of 2026-11-29",
    stage=Stage.DRIFT,
)
END_OF_SUPPORT_UNPLANNED = _rule(
    "CF413",
    "end-of-support-unplanned",
    W,
    "A component's end of support is past or within `policy.warn_before` and it has no "
    "`replacement_plan`.",
    "write a replacement_plan",
    "end_of_support: 2026-12-15   # and no replacement_plan",
    stage=Stage.DRIFT,
)
TRIAGE_OVERDUE = _rule(
    "CF420",
    "triage-overdue",
    E,
    "A vulnerability is still `under_investigation` after `policy.triage_within`.",
    "assess it: status, exploitability, severity, assessed: {by, on}",
    "status: under_investigation   discovered: 2026-10-01   # triage_within 14d",
    stage=Stage.DRIFT,
)
TRIAGE_DUE_SOON = _rule(
    "CF421",
    "triage-due-soon",
    W,
    "A vulnerability's triage deadline is near.",
    "assess it before the deadline",
    "status: under_investigation   discovered: 2026-11-25",
    stage=Stage.DRIFT,
)
COMMUNICATION_OVERDUE = _rule(
    "CF422",
    "communication-overdue",
    E,
    "A vulnerability with uncontrolled risk was not communicated to customers within "
    "`policy.uncontrolled_risk.communicate_within` (30 days) of its discovery.",
    "notify customers and record remediation.customer_communication",
    "exploitability: high   severity: critical   # no customer_communication after 30 days",
    stage=Stage.DRIFT,
)
REMEDIATION_OVERDUE = _rule(
    "CF423",
    "remediation-overdue",
    E,
    "A vulnerability with uncontrolled risk was not fixed within "
    "`policy.uncontrolled_risk.remediate_within` (60 days) of its discovery; without "
    "the 30/60-day conditions, 21 CFR 806 reporting applies.",
    "release and distribute the fix and record remediation.fixed_on, or reassess",
    "exploitability: high   severity: critical   # not fixed after 60 days",
    stage=Stage.DRIFT,
)
UNCONTROLLED_DEADLINE_NEAR = _rule(
    "CF424",
    "uncontrolled-deadline-near",
    W,
    "The communication or remediation deadline of an uncontrolled risk is near.",
    "prepare the customer communication or the fix",
    "exploitability: high   severity: critical   # discovered 25 days ago",
    stage=Stage.DRIFT,
)
KNOWN_EXPLOITED_OPEN = _rule(
    "CF425",
    "known-exploited-open",
    E,
    "A vulnerability listed in CISA KEV (`known_exploited: true`) affects the device or "
    "is still under investigation; FDA expects known exploited vulnerabilities designed "
    "out.",
    "fix it, or show it does not affect the device (status not_affected, justification)",
    "known_exploited: true   status: affected",
    stage=Stage.DRIFT,
)
ASSESSED_COMPONENT_GONE = _rule(
    "CF426",
    "assessed-component-gone",
    W,
    "A vulnerability's assessment names a component version that is no longer in the "
    "SBOM (another version of the package is): the assessment may not hold any more.",
    "reassess for the current version, or mark the vulnerability fixed",
    "components: [pkg:pypi/django@4.2.15]   # the SBOM now has django 4.2.16",
    stage=Stage.DRIFT,
)
FEED_CACHE_STALE = _rule(
    "CF446",
    "feed-cache-stale",
    W,
    "A feed the project's `feeds:` settings name is older in the local feed cache than "
    "`feeds.max_age` (default 7d), or missing from it, so `cyberfile scan` would refuse "
    "to read it. Reported only when the project has a `feeds:` section or the cache "
    "exists; drift reads the cache's feeds.json and never the network.",
    "run `cyberfile feeds update` (see docs/feeds.md)",
    "feeds: {max_age: 7d}   # OSV PyPI fetched 2026-11-02, 24 days ago",
    stage=Stage.DRIFT,
)

# CF5xx: suspect reviews (drift)
REVIEW_SUSPECT = _rule(
    "CF500",
    "review-suspect",
    W,
    "An item changed after its review, or an item it references did (a threat's target "
    "data flow, asset or control): its `reviewed.fingerprint` no longer matches. When the "
    "project's git history holds the reviewed content (a commit where the fingerprint "
    "matches), the message names what differs from it: the item's fields, and the items it "
    "references that changed, were added or removed.",
    "review the item again: cyberfile review ID --by NAME",
    "a data flow's protocol changed; the threats that target it are suspect",
    stage=Stage.DRIFT,
)
NEVER_REVIEWED = _rule(
    "CF501",
    "never-reviewed",
    W,
    "A reviewable item (threat, control, test, asset, data flow, view, vulnerability) "
    "has no `reviewed` stamp. Opt-in: enable it in cyberfile.yaml `rules.enable`.",
    "review it: cyberfile review ID --by NAME",
    "- id: THR-001   # no reviewed: {by, on, fingerprint}",
    opt_in=True,
    stage=Stage.DRIFT,
)

# CF44x: what a scan against vulnerability feeds found (cyberfile scan)
CVE_UNDETERMINED = _rule(
    "CF443",
    "cve-undetermined",
    W,
    "A CVE record names the component, but its version ranges cannot be evaluated (free "
    "text, git commits, or a default status that leaves the version unknown), so the scan "
    "cannot say whether the component is affected. It is never recorded as a finding.",
    "read the record and assess it by hand; record it in vulnerabilities.yaml if it applies",
    "CVE-2023-5563 names pkg:generic/zephyr@3.5.99-ncs1, but its versions cannot be "
    "evaluated (versionType git)",
    stage=Stage.SCAN,
)
FEED_UNUSABLE = _rule(
    "CF445",
    "feed-unusable",
    E,
    "The feeds given to the scan hold no record at all, or none for any package ecosystem "
    "or CPE vendor of the project's components: the scan could not have found anything, "
    "so it is not a clean scan. Nothing is recorded.",
    "check the paths given to --osv and --cve, and that components have purls or CPEs",
    "cyberfile scan --osv empty-folder/",
    stage=Stage.SCAN,
    unreadable=True,
)
VULNERABILITY_FOUND = _rule(
    "CF440",
    "vulnerability-found",
    E,
    "A vulnerability feed lists a vulnerability that affects a component, and the project "
    "does not record it yet. The scan records it as `under_investigation` (not with "
    "--dry-run), to be triaged within `policy.triage_within`.",
    "assess it in vulnerabilities.yaml: status, exploitability, severity and assessed",
    "pkg:pypi/idna@3.6 is affected by CVE-2024-3651 (fixed in 3.7)",
    stage=Stage.SCAN,
)
ASSESSMENT_OUTDATED = _rule(
    "CF441",
    "assessment-outdated",
    E,
    "A recorded vulnerability says something the feeds now contradict: it is listed in "
    "CISA KEV while `known_exploited` is false, its advisory changed (e.g. a fix was "
    "published) after the assessment, or it affects a component the assessment does not "
    "list. The scan never changes an assessment; it reports it.",
    "review the assessment and update it (known_exploited, components, remediation)",
    "CVE-2024-1086: listed in CISA KEV on 2024-05-30, but known_exploited is false",
    stage=Stage.SCAN,
)
COMPONENT_NOT_MATCHABLE = _rule(
    "CF442",
    "component-not-matchable",
    W,
    "The component has no identifier the feeds given to the scan can match (e.g. a "
    "`pkg:generic` purl and no OSV ecosystem), so the scan cannot say whether it is "
    "vulnerable.",
    "monitor it from the supplier's advisories (postmarket.monitoring), or give it a purl "
    "of a package ecosystem",
    "pkg:generic/openssl@3.0.13: has purl type 'generic', which no OSV ecosystem covers",
    stage=Stage.SCAN,
)
