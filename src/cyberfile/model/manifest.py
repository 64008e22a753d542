"""`cyberfile.yaml`: the device, its 524B answers and the project policy."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from cyberfile.model.base import Date, Duration, Model, NonEmptyStr, StrictBool, StrictStr, Text
from cyberfile.model.vocabulary import (
    Connectivity,
    DeviceClass,
    Exploitability,
    Severity,
    SubmissionType,
)

SCHEMA_VERSION = 1


class Submission(Model):
    type: SubmissionType = Field(description="510k | de_novo | pma | pma_supplement | hde | ide.")
    target_date: Date | None = Field(default=None, description="Planned submission date.")


GIT_REVISION_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9._/@{}~^+-]*$"
GitRevision = Annotated[
    StrictStr,
    StringConstraints(pattern=GIT_REVISION_PATTERN, max_length=200),
]
"""A git revision as `git rev-parse` reads it (a tag, branch, commit, `HEAD~3`); never
option-like (no leading `-`) and without spaces."""


class PriorSubmission(Model):
    """An earlier submission of this device: what was submitted, and the git revision of
    this repository that holds the cybersecurity file as it was submitted (`baseline`),
    from which `cyberfile diff` and the Cybersecurity Change Summary start."""

    type: SubmissionType = Field(description="510k | de_novo | pma | pma_supplement | hde | ide.")
    number: Text | None = Field(
        default=None, description="FDA submission number, e.g. K241234 or P200001/S012."
    )
    submitted: Date | None = Field(default=None, description="Date it was submitted.")
    decision: Date | None = Field(
        default=None, description="Date of FDA's decision (clearance, approval, grant)."
    )
    version: Text = Field(description="Software version of the device submitted then (quote it).")
    baseline: GitRevision | None = Field(
        default=None,
        description="Git revision of this repository holding the project as submitted "
        "(tag, branch or commit), e.g. v2.3.0.",
    )

    @model_validator(mode="after")
    def _decision_after_submission(self) -> PriorSubmission:
        if self.submitted and self.decision and self.decision < self.submitted:
            raise ValueError(
                f"decision {self.decision.isoformat()} is before submitted "
                f"{self.submitted.isoformat()}"
            )
        return self


class CyberDevice(Model):
    """The three conditions of FD&C Act 524B(c); all three true makes a cyber device."""

    validated_software: StrictBool | None = Field(
        default=None, description="The device includes software validated by the sponsor."
    )
    internet_connectable: StrictBool | None = Field(
        default=None,
        description="The device can connect to the internet (FDA reads this broadly: "
        "network, Wi-Fi, Bluetooth/BLE, cellular, USB, serial ports).",
    )
    vulnerable_characteristics: StrictBool | None = Field(
        default=None,
        description="The device has characteristics that could be vulnerable to "
        "cybersecurity threats.",
    )
    rationale: Text | None = Field(default=None, description="Why these answers hold.")

    @property
    def is_cyber_device(self) -> bool:
        """True only when all three 524B(c) conditions are answered true."""
        return (
            self.validated_software is True
            and self.internet_connectable is True
            and self.vulnerable_characteristics is True
        )


class Device(Model):
    name: Text = Field(description="Trade name of the device.")
    manufacturer: Text = Field(description="Legal manufacturer.")
    model: Text | None = Field(default=None, description="Model number.")
    version: Text = Field(description="Software version under submission (quote it).")
    purl: Text | None = Field(
        default=None,
        description="Package URL naming this device in SBOM and VEX documents; default "
        "pkg:generic/<manufacturer>/<model or name>@<version>, lower-cased with hyphens.",
    )
    intended_use: Text | None = Field(default=None, description="Intended use statement.")
    device_class: DeviceClass | None = Field(default=None, description="I | II | III.")
    product_code: Text | None = Field(default=None, description="FDA product code, e.g. FRN.")
    submission: Submission | None = None
    environment_of_use: tuple[Text, ...] = Field(
        default=(), description="Where the device is used, e.g. hospital, home."
    )
    connectivity: tuple[Connectivity, ...] = Field(
        default=(), description="Every interface the device has, used or not."
    )
    cyber_device: CyberDevice = Field(
        default_factory=CyberDevice, description="Section 524B(c) determination."
    )


class UncontrolledRiskPolicy(Model):
    communicate_within: Duration = Field(
        default=timedelta(days=30),
        description="Customers are told of an uncontrolled risk within this time of learning "
        "of it (2016 postmarket guidance: 30 days).",
    )
    remediate_within: Duration = Field(
        default=timedelta(days=60),
        description="The fix is validated and distributed within this time (guidance: 60 days).",
    )


DEFAULT_ACCEPTABLE: tuple[tuple[Exploitability, Severity], ...] = (
    (Exploitability.LOW, Severity.NEGLIGIBLE),
    (Exploitability.LOW, Severity.MINOR),
    (Exploitability.LOW, Severity.SERIOUS),
    (Exploitability.LOW, Severity.CRITICAL),
    (Exploitability.MEDIUM, Severity.NEGLIGIBLE),
    (Exploitability.MEDIUM, Severity.MINOR),
    (Exploitability.HIGH, Severity.NEGLIGIBLE),
)


class RiskAcceptance(Model):
    acceptable: tuple[tuple[Exploitability, Severity], ...] = Field(
        default=DEFAULT_ACCEPTABLE,
        description="The (exploitability, severity) pairs whose residual risk is acceptable "
        "(controlled); every other pair is not acceptable (uncontrolled).",
    )

    def is_acceptable(self, exploitability: Exploitability, severity: Severity) -> bool:
        return (exploitability, severity) in self.acceptable


class ExploitabilityScale(Model):
    """What each exploitability level means for this device."""

    high: Text
    medium: Text
    low: Text


class SeverityScale(Model):
    """What each severity of patient harm means for this device."""

    negligible: Text
    minor: Text
    serious: Text
    critical: Text
    catastrophic: Text


class RiskScales(Model):
    """Definitions printed in the risk assessment; without them it says they are missing."""

    exploitability: ExploitabilityScale | None = None
    severity: SeverityScale | None = None


class Policy(Model):
    """Project policy; every key is optional and the defaults are those shown."""

    warn_before: Duration = Field(
        default=timedelta(days=30),
        description="Drift warns this long before a deadline; also the horizon within which "
        "an end of support needs a replacement_plan.",
    )
    triage_within: Duration = Field(
        default=timedelta(days=14),
        description="A newly discovered vulnerability must be assessed within this time.",
    )
    uncontrolled_risk: UncontrolledRiskPolicy = Field(default_factory=UncontrolledRiskPolicy)
    risk_acceptance: RiskAcceptance = Field(default_factory=RiskAcceptance)
    scales: RiskScales = Field(
        default_factory=RiskScales, description="Definitions of the risk scales' levels."
    )


RuleCode = Annotated[StrictStr, StringConstraints(pattern=r"^CF[0-9]{3}$")]


class RuleSettings(Model):
    """Which rules run: every rule on by default except the opt-in ones."""

    ignore: tuple[RuleCode, ...] = Field(
        default=(), description="Rule codes never reported for this project, e.g. [CF412]."
    )
    enable: tuple[RuleCode, ...] = Field(
        default=(), description="Opt-in rules to turn on, e.g. [CF501] (never reviewed)."
    )
    select: tuple[RuleCode, ...] = Field(
        default=(),
        description="When given, only these codes are reported (reading errors always are).",
    )


class Waiver(Model):
    """A time-boxed acknowledgement of findings of one rule on named items: they still
    show, marked waived with the reason and expiry, but do not fail the run."""

    rule: RuleCode = Field(description="The rule whose findings are waived, e.g. CF411.")
    items: tuple[NonEmptyStr, ...] = Field(
        min_length=1,
        description="Ids or refs of the items the waiver covers (a waiver names what it "
        "covers; there is no project-wide waiver: that is `rules.ignore`).",
    )
    reason: Text = Field(description="Why the finding is accepted for now.")
    approved_by: Text = Field(description="Who approved the waiver.")
    until: Date = Field(
        description="Last day the waiver holds; after it the findings count again and the "
        "expired waiver is itself reported (CF140)."
    )


class DocumentSettings(Model):
    """Title-page fields of the generated documents."""

    company: Text | None = Field(default=None, description="Company shown on every document.")
    prepared_by: Text | None = Field(default=None, description="Author or team.")
    approved_by: Text | None = Field(default=None, description="Approver, as your QMS names it.")
    numbers: dict[Text, Text] = Field(
        default_factory=dict,
        description="Document numbers by document, e.g. {threat-model: DOC-0042}.",
    )
    pdf: StrictBool = Field(default=True, description="Also write PDFs with `cyberfile build`.")


class Approval(Model):
    role: Text = Field(description="Role as your QMS names it (Regulatory Affairs).")
    name: Text


DocumentNumberPrefix = Annotated[
    StrictStr, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
]


class DocumentControl(Model):
    """Document numbers, revision and approvals of the generated documents."""

    number_prefix: DocumentNumberPrefix | None = Field(
        default=None,
        description="Documents are numbered PREFIX-NNN, stable per document (IS3000-CYB-003).",
    )
    revision: Text | None = Field(default=None, description="Revision of this package (B).")
    approvals: tuple[Approval, ...] = Field(
        default=(),
        description="Who approves each document; signature and date are left blank for wet "
        "or electronic signature.",
    )


VendorProduct = Annotated[StrictStr, StringConstraints(pattern=r"^[^:\s]+:[^:\s]+$")]


class Matching(Model):
    """How `cyberfile scan --cve` names components."""

    cpe_aliases: tuple[tuple[VendorProduct, VendorProduct], ...] = Field(
        default=(),
        description="Pairs of CPE vendor:product that name the same software, added to the "
        "built-in table (e.g. [[linux:linux_kernel, linux:linux]]).",
    )


OSV_BUCKET_URL = "https://osv-vulnerabilities.storage.googleapis.com"
"""The public OSV export: URL/ECOSYSTEM/all.zip holds every record of one ecosystem."""
KEV_CATALOG_URL = (
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
)
"""CISA's Known Exploited Vulnerabilities catalog (JSON)."""

FeedUrl = Annotated[StrictStr, StringConstraints(pattern=r"^https?://[^/\s]+(/\S*)?$")]
OsvEcosystem = Annotated[StrictStr, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 .:_-]*$")]


class OsvFeedSettings(Model):
    """Where `cyberfile feeds update` fetches OSV records from."""

    url: FeedUrl = Field(
        default=OSV_BUCKET_URL,
        description="Base URL of an OSV export; URL/ECOSYSTEM/all.zip is fetched for each "
        "ecosystem (default: the public OSV bucket).",
    )
    ecosystems: tuple[OsvEcosystem, ...] | None = Field(
        default=None,
        description="OSV ecosystems to fetch, e.g. [PyPI, npm, Debian]; [] fetches none. "
        "Default: those of the components' purl types (pypi: PyPI, npm: npm, maven: Maven, "
        "golang: Go, cargo: crates.io, gem: RubyGems, nuget: NuGet, composer: Packagist, "
        "hex: Hex, pub: Pub, deb: Debian, apk: Alpine).",
    )


class KevFeedSettings(Model):
    """Where `cyberfile feeds update` fetches the CISA KEV catalog from."""

    url: FeedUrl = Field(
        default=KEV_CATALOG_URL,
        description="URL of the catalog's JSON (default: CISA's own feed).",
    )


class CveFeedSettings(Model):
    """Where `cyberfile feeds update` fetches CVE JSON 5 records from, if anywhere."""

    url: FeedUrl | None = Field(
        default=None,
        description="URL of a zip of CVE JSON 5 records (e.g. a cvelistV5 release asset, "
        "about 500 MB; a zip holding one inner zip is unpacked). No default: CVE records "
        "are downloaded only when this is set.",
    )


class FeedSettings(Model):
    """The local copies of the vulnerability feeds: what `cyberfile feeds update` fetches
    and where, and how old `cyberfile scan` accepts them (see docs/feeds.md)."""

    cache: Text | None = Field(
        default=None,
        description="Folder of the feed cache; `~` is expanded and a relative path is from "
        "this file's folder. Default: the user cache folder (platformdirs), "
        "~/.cache/cyberfile on Linux. Several projects can share one.",
    )
    max_age: Duration = Field(
        default=timedelta(days=7),
        description="`cyberfile scan` refuses cached feeds fetched longer ago than this "
        "(unless --allow-stale) and `cyberfile drift` reports them (CF446).",
    )
    osv: OsvFeedSettings = Field(default_factory=OsvFeedSettings)
    kev: KevFeedSettings = Field(default_factory=KevFeedSettings)
    cve: CveFeedSettings = Field(default_factory=CveFeedSettings)


class Manifest(Model):
    """The project manifest, `cyberfile.yaml`."""

    schema_version: Literal[1] = Field(description="Version of the file format; always 1.")
    device: Device
    policy: Policy = Field(default_factory=Policy)
    rules: RuleSettings = Field(default_factory=RuleSettings)
    documents: DocumentSettings = Field(default_factory=DocumentSettings)
    document_control: DocumentControl = Field(default_factory=DocumentControl)
    matching: Matching = Field(default_factory=Matching)
    feeds: FeedSettings = Field(
        default_factory=FeedSettings,
        description="Vulnerability feeds: download (`cyberfile feeds update`) and cache.",
    )
    waivers: tuple[Waiver, ...] = Field(
        default=(), description="Time-boxed acknowledgements of findings (see docs/rules.md)."
    )
    submissions: tuple[PriorSubmission, ...] = Field(
        default=(),
        description="Earlier submissions of this device; the newest with a `baseline` is "
        "where `cyberfile diff` and the Cybersecurity Change Summary start.",
    )

    @property
    def baseline_submission(self) -> PriorSubmission | None:
        """The newest earlier submission that names a baseline: the latest `submitted`
        date (then `decision`); among undated ones, the last listed."""
        with_baseline = [(i, s) for i, s in enumerate(self.submissions) if s.baseline]
        if not with_baseline:
            return None

        def newest(entry: tuple[int, PriorSubmission]) -> tuple[date, date, int]:
            index, submission = entry
            return (submission.submitted or date.min, submission.decision or date.min, index)

        return max(with_baseline, key=newest)[1]

    @property
    def is_modification(self) -> bool:
        """The submission under preparation is for a modified device: the project lists an
        earlier submission, or the type is a PMA supplement."""
        submission = self.device.submission
        return bool(self.submissions) or (
            submission is not None and submission.type is SubmissionType.PMA_SUPPLEMENT
        )
