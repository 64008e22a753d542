"""Read the CISA Known Exploited Vulnerabilities catalog (JSON) from a local file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cyberfile.dates import day_of
from cyberfile.vulndb.osv import FeedError


@dataclass(frozen=True)
class KevEntry:
    cve: str
    vendor: str
    product: str
    name: str
    date_added: date | None
    due_date: date | None
    ransomware: str


def load_kev(path: Path) -> dict[str, KevEntry]:
    """The catalog as a mapping from CVE id to entry."""
    try:
        document = json.loads(path.read_bytes())
    except OSError as exc:
        raise FeedError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise FeedError(f"{path}: not JSON ({exc})") from None
    entries = document.get("vulnerabilities") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise FeedError(f"{path}: not a CISA KEV catalog (no 'vulnerabilities' list)")
    catalog: dict[str, KevEntry] = {}
    for item in entries:
        if not isinstance(item, dict) or not isinstance(item.get("cveID"), str):
            continue
        catalog[item["cveID"]] = KevEntry(
            cve=item["cveID"],
            vendor=str(item.get("vendorProject", "")),
            product=str(item.get("product", "")),
            name=str(item.get("vulnerabilityName", "")),
            date_added=day_of(item.get("dateAdded")),
            due_date=day_of(item.get("dueDate")),
            ransomware=str(item.get("knownRansomwareCampaignUse", "")),
        )
    return catalog
