"""Generate a large, valid device project for benchmarks.

    python benchmarks/generate.py OUT_DIR [--items 10000]

The items are split as threats 20 %, controls 10 %, requirements 20 %, tests 20 %,
components 20 %, vulnerabilities 10 %; threats and components are written as part
folders of several files, the rest as single files. Everything links up, so the project
validates without errors and every check has real work to do.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
from pathlib import Path

STRIDE = [
    "spoofing",
    "tampering",
    "repudiation",
    "information_disclosure",
    "denial_of_service",
    "elevation_of_privilege",
]
CATEGORIES = [
    "authentication",
    "authorization",
    "cryptography",
    "code_data_execution_integrity",
    "confidentiality",
    "event_detection_logging",
    "resiliency_recovery",
    "firmware_software_updates",
]
STATUSES = ["under_investigation", "affected", "not_affected", "fixed"]
VIEWS = ["global_system", "multi_patient_harm", "updatability_patchability", "security_use_case"]


def generate(out: Path, items: int) -> dict[str, int]:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    n_threats = items * 20 // 100
    n_controls = items * 10 // 100
    n_requirements = items * 20 // 100
    n_tests = items * 20 // 100
    n_components = items * 20 // 100
    n_vulns = items - (n_threats + n_controls + n_requirements + n_tests + n_components)
    n_assets = 50

    (out / "cyberfile.yaml").write_text(
        "schema_version: 1\n"
        "device:\n  name: Generated Device\n  manufacturer: Bench Inc.\n  version: '1.0.0'\n"
        "  cyber_device: {validated_software: true, internet_connectable: true,"
        " vulnerable_characteristics: true}\n",
        encoding="utf-8",
    )
    comp_refs = [f"pkg:pypi/package-{i}@1.{i % 10}.{i % 7}" for i in range(n_components)]
    per_asset = -(-n_components // n_assets)
    arch = ["assets:"]
    for a in range(n_assets):
        refs = comp_refs[a * per_asset : (a + 1) * per_asset]
        arch += [
            f"  - id: AST-{a}",
            f"    name: Asset {a}",
            "    kind: software",
            f"    description: Generated asset number {a}.",
            f"    components: [{', '.join(refs)}]",
        ]
    arch.append("data_flows:")
    for a in range(n_assets - 1):
        arch += [
            f"  - id: DF-{a}",
            f"    from: AST-{a}",
            f"    to: AST-{a + 1}",
            "    interface: wifi",
            "    protocol: TLS 1.3",
            "    ports: [443]",
            "    carries: [data, commands]",
        ]
    arch.append("trust_boundaries:")
    arch.append(
        f"  - {{id: TB-ALL, name: All, assets: [{', '.join(f'AST-{a}' for a in range(10))}]}}"
    )
    arch.append("views:")
    for v, kind in enumerate(VIEWS):
        arch += [
            f"  - id: VIEW-{v}",
            f"    type: {kind}",
            f"    title: View {v}",
            "    elements: [AST-0, DF-0, TB-ALL]",
        ]
    (out / "architecture.yaml").write_text("\n".join(arch) + "\n", encoding="utf-8")

    req_ids = [f"REQ-{r}" for r in range(n_requirements)]
    controls = ["controls:"]
    per_control = -(-n_requirements // n_controls)
    for c in range(n_controls):
        controls += [
            f"  - id: CTL-{c}",
            f"    title: Control {c}",
            f"    category: {CATEGORIES[c % len(CATEGORIES)]}",
            f"    description: Generated control {c} protects several assets.",
            f"    implemented_in: [AST-{c % n_assets}]",
            "    requirements:",
        ]
        for r in req_ids[c * per_control : (c + 1) * per_control]:
            controls += [
                f"      - id: {r}",
                f"        text: The system shall satisfy {r}.",
                f"        acceptance_criteria: A test demonstrates {r}.",
            ]
    (out / "controls.yaml").write_text("\n".join(controls) + "\n", encoding="utf-8")

    (out / "threats").mkdir()
    files = 10
    for f in range(files):
        lines = ["threats:"]
        for t in range(f, n_threats, files):
            lines += [
                f"  - id: THR-{t}",
                f"    title: Threat {t} against flow {t % (n_assets - 1)}",
                f"    stride: [{STRIDE[t % 6]}, {STRIDE[(t + 1) % 6]}]",
                f"    targets: [DF-{t % (n_assets - 1)}, AST-{t % n_assets}]",
                "    lifecycle_phase: operation",
                f"    description: Generated threat {t}, a realistic length sentence.",
                "    pre_mitigation: {exploitability: high, severity: critical}",
                f"    controls: [CTL-{t % n_controls}]",
                "    post_mitigation: {exploitability: low, severity: critical}",
                "    multi_patient_harm: false",
                # a stale stamp: drift must fingerprint every threat and its references
                "    reviewed: {by: Bench, on: 2026-07-01, fingerprint: 'sha256:" + "0" * 64 + "'}",
            ]
        (out / "threats" / f"part-{f:02d}.yaml").write_text(
            "\n".join(lines) + "\n", encoding="utf-8"
        )

    artifact = out / "artifacts" / "report.txt"
    artifact.parent.mkdir()
    artifact.write_text("generated evidence\n", encoding="utf-8")
    digest = hashlib.sha256(artifact.read_bytes()).hexdigest()
    (out / "evidence.yaml").write_text(
        "evidence:\n  - id: EV-1\n    type: penetration_test\n    title: Report\n"
        f"    performed: 2026-06-30\n    file: artifacts/report.txt\n    sha256: {digest}\n",
        encoding="utf-8",
    )
    tests = ["tests:"]
    for t in range(n_tests):
        tests += [
            f"  - id: TST-{t}",
            f"    title: Test {t}",
            "    type: security_requirement",
            f"    verifies: [{req_ids[t % n_requirements]}]",
            "    tool: {name: pytest, version: '8.0'}",
            "    result: pass",
            "    performed: 2026-08-14",
            "    evidence: [EV-1]",
        ]
    (out / "tests.yaml").write_text("\n".join(tests) + "\n", encoding="utf-8")

    (out / "sbom").mkdir()
    for f in range(files):
        lines = ["components:"]
        for i in range(f, n_components, files):
            lines += [
                f"  - ref: {comp_refs[i]}",
                f"    name: package-{i}",
                f"    version: '1.{i % 10}.{i % 7}'",
                "    supplier: Example Maintainers",
                f"    purl: {comp_refs[i]}",
                "    licenses: [MIT]",
                "    support: actively_maintained",
                "    end_of_support: 2028-01-01",
            ]
        (out / "sbom" / f"part-{f:02d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")

    vulns = ["vulnerabilities:"]
    for v in range(n_vulns):
        status = STATUSES[v % 4]
        vulns += [
            f"  - id: CVE-2026-{10000 + v}",
            f"    components: [{comp_refs[v % n_components]}]",
            "    discovered: 2026-07-02",
            "    source: osv",
            "    cvss: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N'",
            f"    status: {status}",
            "    exploitability: low",
            "    severity: serious",
            "    detail: Generated assessment.",
        ]
        if status == "not_affected":
            vulns.append("    justification: code_not_reachable")
        if status != "under_investigation":
            vulns.append("    assessed: {by: Bench, on: 2026-07-09}")
    (out / "vulnerabilities.yaml").write_text("\n".join(vulns) + "\n", encoding="utf-8")
    (out / "postmarket.yaml").write_text(
        "monitoring:\n"
        "  - {source: OSV, kind: vulnerability_database, every: 7d, "
        "evidence_type: vulnerability_scan}\n"
        "periodic_testing:\n  - {type: penetration_test, every: 1y}\n",
        encoding="utf-8",
    )
    return {
        "threats": n_threats,
        "controls": n_controls,
        "requirements": n_requirements,
        "tests": n_tests,
        "components": n_components,
        "vulnerabilities": n_vulns,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    counts = generate(args.out, args.items)
    print(
        f"{args.out}: {sum(counts.values())} items "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
    )


if __name__ == "__main__":
    main()
