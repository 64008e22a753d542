"""Shared building blocks of the models: strict base class, identifiers, dates, durations."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    WithJsonSchema,
)

__all__ = [
    "Date",
    "Duration",
    "ItemId",
    "Model",
    "NonEmptyStr",
    "Sha256",
    "StrictBool",
    "StrictInt",
    "Text",
    "format_duration",
    "parse_duration",
]

ITEM_ID_PATTERN = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"


class Model(BaseModel):
    """Base of every model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=False,
        use_enum_values=False,
        str_strip_whitespace=False,
        validate_default=False,
    )


NonEmptyStr = Annotated[StrictStr, StringConstraints(min_length=1)]
Text = Annotated[StrictStr, StringConstraints(min_length=1)]
"""Free text written by the team (descriptions, rationales)."""

ItemId = Annotated[
    StrictStr,
    StringConstraints(pattern=ITEM_ID_PATTERN),
    Field(
        description="Identifier unique within the project, e.g. THR-012 or CTL-MTLS "
        f"(pattern {ITEM_ID_PATTERN})."
    ),
]

Sha256 = Annotated[
    StrictStr,
    StringConstraints(pattern=r"^[0-9a-f]{64}$"),
    Field(description="sha256 digest: 64 lowercase hexadecimal characters."),
]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise ValueError("expected a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a calendar date ({exc})") from None


Date = Annotated[
    date,
    BeforeValidator(_parse_date),
    PlainSerializer(lambda d: d.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date", "pattern": _DATE_RE.pattern}),
]
"""An ISO calendar date, YYYY-MM-DD, and nothing looser (no timestamps, no numbers)."""

_SHORT_RE = re.compile(r"^([1-9][0-9]*)([dwy])$")
_ISO_RE = re.compile(r"^P(?:([0-9]+)Y)?(?:([0-9]+)W)?(?:([0-9]+)D)?$")
_UNIT_DAYS = {"d": 1, "w": 7, "y": 365}
DURATION_PATTERN = r"^([1-9][0-9]*[dwy]|P([0-9]+Y)?([0-9]+W)?([0-9]+D)?)$"


def parse_duration(value: Any) -> timedelta:
    """Parse `30d`, `2w`, `1y` (365 days) or an ISO 8601 duration of years, weeks, days."""
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a duration such as 30d, 2w, 1y or P30D")
    short = _SHORT_RE.match(value)
    if short:
        return timedelta(days=int(short.group(1)) * _UNIT_DAYS[short.group(2)])
    iso = _ISO_RE.match(value)
    if iso and value != "P":
        years, weeks, days = (int(g) if g else 0 for g in iso.groups())
        total = years * 365 + weeks * 7 + days
        if total > 0:
            return timedelta(days=total)
    if "M" in value or "T" in value:
        raise ValueError(
            f"{value!r}: months and times of day are not supported in durations "
            "(a month has no fixed length); write days, weeks or years, e.g. 30d"
        )
    raise ValueError(f"{value!r} is not a duration; write e.g. 30d, 2w, 1y or P30D")


def format_duration(value: timedelta) -> str:
    """The short form of a duration in days, e.g. `30d`."""
    return f"{value.days}d"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DURATION_PATTERN,
            "description": "A duration: 30d, 2w, 1y (365 days) or ISO 8601 such as P30D.",
        }
    ),
]

__all__ += ["ITEM_ID_PATTERN", "StrictStr"]
