"""The controlled vocabulary of the format: every enumeration, spelled as DESIGN.md writes it."""

from __future__ import annotations

from enum import StrEnum


class DeviceClass(StrEnum):
    I = "I"  # noqa: E741 - FDA's device class names
    II = "II"
    III = "III"


class SubmissionType(StrEnum):
    K510 = "510k"
    DE_NOVO = "de_novo"
    PMA = "pma"
    PMA_SUPPLEMENT = "pma_supplement"
    HDE = "hde"
    IDE = "ide"


class Connectivity(StrEnum):
    WIFI = "wifi"
    ETHERNET = "ethernet"
    CELLULAR = "cellular"
    BLUETOOTH = "bluetooth"
    BLE = "ble"
    USB = "usb"
    SERIAL = "serial"
    NFC = "nfc"
    MAGNETIC_INDUCTIVE = "magnetic_inductive"
    CLOUD = "cloud"
    INTERNET = "internet"


class Exploitability(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Severity(StrEnum):
    """Severity of patient harm: the five levels of FDA's 2016 postmarket guidance example
    (ISO 14971:2019 prescribes no scale; `policy.scales` defines each level)."""

    NEGLIGIBLE = "negligible"
    MINOR = "minor"
    SERIOUS = "serious"
    CRITICAL = "critical"
    CATASTROPHIC = "catastrophic"


class AssetKind(StrEnum):
    SOFTWARE = "software"
    HARDWARE = "hardware"
    FIRMWARE = "firmware"
    DATA = "data"
    SERVICE = "service"
    EXTERNAL_SYSTEM = "external_system"
    USER = "user"


class Carries(StrEnum):
    DATA = "data"
    COMMANDS = "commands"
    CODE = "code"


class ViewType(StrEnum):
    """The four architecture view types of the premarket guidance (Appendix 2)."""

    GLOBAL_SYSTEM = "global_system"
    MULTI_PATIENT_HARM = "multi_patient_harm"
    UPDATABILITY_PATCHABILITY = "updatability_patchability"
    SECURITY_USE_CASE = "security_use_case"


class Stride(StrEnum):
    SPOOFING = "spoofing"
    TAMPERING = "tampering"
    REPUDIATION = "repudiation"
    INFORMATION_DISCLOSURE = "information_disclosure"
    DENIAL_OF_SERVICE = "denial_of_service"
    ELEVATION_OF_PRIVILEGE = "elevation_of_privilege"


class LifecyclePhase(StrEnum):
    DESIGN = "design"
    SUPPLY_CHAIN = "supply_chain"
    MANUFACTURING = "manufacturing"
    DEPLOYMENT = "deployment"
    OPERATION = "operation"
    MAINTENANCE_UPDATE = "maintenance_update"
    DECOMMISSION = "decommission"


class ControlCategory(StrEnum):
    """Appendix 1 security control categories."""

    AUTHENTICATION = "authentication"
    AUTHORIZATION = "authorization"
    CRYPTOGRAPHY = "cryptography"
    CODE_DATA_EXECUTION_INTEGRITY = "code_data_execution_integrity"
    CONFIDENTIALITY = "confidentiality"
    EVENT_DETECTION_LOGGING = "event_detection_logging"
    RESILIENCY_RECOVERY = "resiliency_recovery"
    FIRMWARE_SOFTWARE_UPDATES = "firmware_software_updates"


CONTROL_CATEGORY_ALIASES = {"updatability_patchability": "firmware_software_updates"}
"""Accepted spellings that mean a category (§V.B.1 calls the last one updatability/patchability)."""


class TestType(StrEnum):
    """Kinds of security testing (§V.C); those that are also evidence types are spelt alike."""

    # penetration_test, fuzz_test, static_analysis and vulnerability_scan are EvidenceType
    # values too. The old spellings `penetration` and `fuzz` are still read, with a
    # warning: cyberfile.load.deprecations.
    SECURITY_REQUIREMENT = "security_requirement"
    THREAT_MITIGATION = "threat_mitigation"
    FUZZ_TEST = "fuzz_test"
    PENETRATION_TEST = "penetration_test"
    STATIC_ANALYSIS = "static_analysis"
    DYNAMIC_ANALYSIS = "dynamic_analysis"
    SOFTWARE_COMPOSITION_ANALYSIS = "software_composition_analysis"
    ATTACK_SURFACE_ANALYSIS = "attack_surface_analysis"
    VULNERABILITY_SCAN = "vulnerability_scan"
    ROBUSTNESS = "robustness"
    ABUSE_CASE = "abuse_case"


class TestResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    BLOCKED = "blocked"
    NOT_RUN = "not_run"


class EvidenceType(StrEnum):
    PENETRATION_TEST = "penetration_test"
    VULNERABILITY_SCAN = "vulnerability_scan"
    SBOM_GENERATION = "sbom_generation"
    THREAT_MODEL_REVIEW = "threat_model_review"
    FUZZ_TEST = "fuzz_test"
    STATIC_ANALYSIS = "static_analysis"
    RISK_REVIEW = "risk_review"
    CVD_EXERCISE = "cvd_exercise"
    TRAINING = "training"
    OTHER = "other"


class SupportLevel(StrEnum):
    ACTIVELY_MAINTAINED = "actively_maintained"
    LIMITED = "limited"
    NO_LONGER_MAINTAINED = "no_longer_maintained"
    ABANDONED = "abandoned"
    UNKNOWN = "unknown"


class HashAlgorithm(StrEnum):
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"
    SHA3_256 = "sha3_256"
    SHA3_384 = "sha3_384"
    SHA3_512 = "sha3_512"
    BLAKE2B_256 = "blake2b_256"
    BLAKE2B_384 = "blake2b_384"
    BLAKE2B_512 = "blake2b_512"
    BLAKE3 = "blake3"


HASH_HEX_LENGTH = {
    HashAlgorithm.MD5: 32,
    HashAlgorithm.SHA1: 40,
    HashAlgorithm.SHA256: 64,
    HashAlgorithm.SHA384: 96,
    HashAlgorithm.SHA512: 128,
    HashAlgorithm.SHA3_256: 64,
    HashAlgorithm.SHA3_384: 96,
    HashAlgorithm.SHA3_512: 128,
    HashAlgorithm.BLAKE2B_256: 64,
    HashAlgorithm.BLAKE2B_384: 96,
    HashAlgorithm.BLAKE2B_512: 128,
    HashAlgorithm.BLAKE3: 64,
}


def well_formed_digest(algorithm: HashAlgorithm, digest: str) -> bool:
    """Whether `digest` is lowercase hex of the length `algorithm` gives."""
    return len(digest) == HASH_HEX_LENGTH[algorithm] and all(
        c in "0123456789abcdef" for c in digest
    )


class VulnerabilitySource(StrEnum):
    OSV = "osv"
    CVE = "cve"
    """A CVE JSON 5 record of the CVE Program (cvelistV5, CISA vulnrichment)."""
    NVD = "nvd"
    KEV = "kev"
    SUPPLIER_ADVISORY = "supplier_advisory"
    ISAO = "isao"
    RESEARCHER = "researcher"
    INTERNAL_TEST = "internal_test"
    PENETRATION_TEST = "penetration_test"
    CUSTOMER = "customer"


class VulnerabilityStatus(StrEnum):
    """CISA VEX minimum status."""

    UNDER_INVESTIGATION = "under_investigation"
    AFFECTED = "affected"
    NOT_AFFECTED = "not_affected"
    FIXED = "fixed"


class VexJustification(StrEnum):
    """CycloneDX VEX impact analysis justification."""

    CODE_NOT_PRESENT = "code_not_present"
    CODE_NOT_REACHABLE = "code_not_reachable"
    REQUIRES_CONFIGURATION = "requires_configuration"
    REQUIRES_DEPENDENCY = "requires_dependency"
    REQUIRES_ENVIRONMENT = "requires_environment"
    PROTECTED_BY_COMPILER = "protected_by_compiler"
    PROTECTED_AT_RUNTIME = "protected_at_runtime"
    PROTECTED_AT_PERIMETER = "protected_at_perimeter"
    PROTECTED_BY_MITIGATING_CONTROL = "protected_by_mitigating_control"


class RemediationResponse(StrEnum):
    CAN_NOT_FIX = "can_not_fix"
    WILL_NOT_FIX = "will_not_fix"
    UPDATE = "update"
    ROLLBACK = "rollback"
    WORKAROUND_AVAILABLE = "workaround_available"


class LabelingTopic(StrEnum):
    """Cybersecurity labeling topics of the premarket guidance (§VI.A)."""

    RECOMMENDED_CONTROLS = "recommended_controls"
    DEPLOYMENT_DIAGRAMS = "deployment_diagrams"
    PORTS_AND_INTERFACES = "ports_and_interfaces"
    INFRASTRUCTURE_REQUIREMENTS = "infrastructure_requirements"
    SBOM_AVAILABILITY = "sbom_availability"
    UPDATE_PROCEDURE = "update_procedure"
    SECURITY_EVENT_RESPONSE = "security_event_response"
    CRITICAL_FUNCTION_PROTECTION = "critical_function_protection"
    BACKUP_AND_RESTORE = "backup_and_restore"
    CONFIGURATION_RECOVERY = "configuration_recovery"
    SECURE_CONFIGURATION = "secure_configuration"
    LOGS_AND_FORENSICS = "logs_and_forensics"
    END_OF_SUPPORT = "end_of_support"
    DECOMMISSIONING = "decommissioning"


class MonitoringKind(StrEnum):
    VULNERABILITY_DATABASE = "vulnerability_database"
    EXPLOITED_CATALOG = "exploited_catalog"
    SUPPLIER_ADVISORY = "supplier_advisory"
    ISAO = "isao"
    RESEARCHER_REPORTS = "researcher_reports"
    CUSTOMER_REPORTS = "customer_reports"
    INTERNAL_TESTING = "internal_testing"


class RiskControl(StrEnum):
    """Residual risk of patient harm in the sense of the 2016 postmarket guidance."""

    CONTROLLED = "controlled"
    UNCONTROLLED = "uncontrolled"
    NOT_ASSESSED = "not_assessed"


class FindingSeverity(StrEnum):
    """Severity a test report gives a finding."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class FindingStatus(StrEnum):
    OPEN = "open"
    FIXED = "fixed"
    ACCEPTED = "accepted"
    DEFERRED = "deferred"


class ComponentType(StrEnum):
    """CycloneDX 1.6 component types."""

    APPLICATION = "application"
    FRAMEWORK = "framework"
    LIBRARY = "library"
    CONTAINER = "container"
    PLATFORM = "platform"
    OPERATING_SYSTEM = "operating-system"
    DEVICE = "device"
    DEVICE_DRIVER = "device-driver"
    FIRMWARE = "firmware"
    FILE = "file"
    MACHINE_LEARNING_MODEL = "machine-learning-model"
    DATA = "data"
    CRYPTOGRAPHIC_ASSET = "cryptographic-asset"


class SsvcExploitation(StrEnum):
    """CISA SSVC decision point Exploitation."""

    NONE = "none"
    POC = "poc"
    ACTIVE = "active"


class SsvcAutomatable(StrEnum):
    YES = "yes"
    NO = "no"


class SsvcTechnicalImpact(StrEnum):
    PARTIAL = "partial"
    TOTAL = "total"
