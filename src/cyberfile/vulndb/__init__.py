"""Offline vulnerability feeds (OSV, CISA KEV) and matching of SBOM components to them."""
