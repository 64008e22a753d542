"""CVSS 3.x and 4.0 vectors: validated and scored with the `cvss` package."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


class CvssProblem(ValueError):
    """The text is not a CVSS 3.0, 3.1 or 4.0 vector; the message says why."""


@dataclass(frozen=True)
class CvssScore:
    version: str
    base_score: Decimal
    severity: str
    """none, low, medium, high or critical."""


def score(vector: str) -> CvssScore:
    """Validate and score a vector such as `CVSS:3.1/AV:N/AC:L/...`."""
    from cvss import CVSS3, CVSS4  # type: ignore[import-untyped]
    from cvss.exceptions import CVSSError  # type: ignore[import-untyped]

    prefix = vector.split("/", 1)[0]
    try:
        if prefix == "CVSS:4.0":
            v4 = CVSS4(vector)
            return CvssScore("4.0", Decimal(str(v4.base_score)), str(v4.severity).lower())
        if prefix in ("CVSS:3.0", "CVSS:3.1"):
            v3 = CVSS3(vector)
            return CvssScore(
                prefix[5:], Decimal(str(v3.base_score)), str(v3.severities()[0]).lower()
            )
    except CVSSError as exc:
        raise CvssProblem(str(exc)) from None
    raise CvssProblem(
        f"starts with {prefix!r}; write a CVSS 3.1 or 4.0 vector starting CVSS:3.1/ or CVSS:4.0/"
    )
