"""Small records shared by several parts: review stamps, performers, risk ratings."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from cyberfile.model.base import Date, Model, StrictBool, StrictStr, Text
from cyberfile.model.vocabulary import Exploitability, Severity

FINGERPRINT_PATTERN = r"^sha256:[0-9a-f]{64}$"


class Review(Model):
    """Who reviewed an item and when; written by `cyberfile review`."""

    by: Text = Field(description="Name of the reviewer.")
    on: Date = Field(description="Date of the review.")
    fingerprint: Annotated[StrictStr, StringConstraints(pattern=FINGERPRINT_PATTERN)] | None = (
        Field(
            default=None,
            description="Content fingerprint of the item and what it references at review time "
            "(`sha256:` + 64 hex characters).",
        )
    )


class Performer(Model):
    """Who performed a test or produced evidence."""

    organization: Text = Field(description="Organisation that did the work.")
    independent: StrictBool = Field(
        default=False,
        description="True when the performer is independent of the development team.",
    )


class RiskRating(Model):
    """Exploitability and severity of patient harm, the two axes of the risk matrix."""

    exploitability: Exploitability = Field(description="high | medium | low.")
    severity: Severity = Field(
        description="Severity of patient harm (the five levels of the 2016 postmarket "
        "guidance, defined in policy.scales): negligible | minor | serious | "
        "critical | catastrophic."
    )
