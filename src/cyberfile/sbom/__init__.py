"""Machine-readable SBOM and VEX documents of a device project (CycloneDX, OpenVEX)."""
