"""Shared building blocks of the models: strict base class, identifiers, dates, durations."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
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


# URLs. The site and the documents link only http, https and mailto URLs
# (cyberfile.render.links.safe_url); the data is held to the same schemes, so that a
# `javascript:` or `file:` URL is refused by validate with its line, not merely left
# unlinked. Schemes are read as a browser reads a link: in any case, after leading spaces
# and control characters, with tabs and line breaks inside ignored.

URL_SCHEMES = ("https", "http", "mailto")
"""The schemes a URL in the project may have."""

_SCHEMES_TEXT = "https, http or mailto"
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_SCRIPT_SCHEMES = frozenset(
    {"javascript", "vbscript", "livescript", "data", "file", "blob", "filesystem"}
)
"""Schemes that run code or read local files: a link even with a space after the colon."""
_WEB_URL_RE = re.compile(r"^(?:https?://[^\s/?#]|mailto:\S)\S*$", re.IGNORECASE)
WEB_URL_PATTERN = r"^(?:[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]|[Mm][Aa][Ii][Ll][Tt][Oo]:\S)\S*$"
"""The JSON Schema pattern of a URL-only field (JSON Schema patterns have no flags)."""


def _as_link(value: str) -> str:
    """`value` as a browser reads a link: tabs and line breaks removed, leading spaces and
    control or invisible format characters stripped (WHATWG URL parsing, and more)."""
    text = value.replace("\t", "").replace("\n", "").replace("\r", "")
    start = 0
    while start < len(text) and (
        text[start].isspace() or unicodedata.category(text[start]) in ("Cc", "Cf")
    ):
        start += 1
    return text[start:]


def url_scheme(value: str) -> str | None:
    """The scheme (lower case) `value` has when read as a link, or None."""
    match = _SCHEME_RE.match(_as_link(value))
    return match.group(1).lower() if match else None


class UrlValueError(ValueError):
    """A URL (or text that reads as one) with a scheme other than https, http or mailto,
    or not a whole URL where one is required; the message says which."""


URL_HINT = (
    "the documents and the site link only https, http and mailto URLs; "
    "write e.g. https://example.com/security or mailto:security@example.com"
)
"""The hint of every refused URL (CF110)."""


def _shown(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:77] + "...")


def _scheme_refused(value: str, scheme: str, otherwise: str = "") -> UrlValueError:
    return UrlValueError(
        f"{_shown(value)} is a URL with the scheme '{scheme}:', which is not allowed; "
        f"a URL here must be {_SCHEMES_TEXT}{otherwise}"
    )


def _web_url(value: str) -> str:
    scheme = url_scheme(value)
    if scheme is None:
        raise UrlValueError(
            f"{_shown(value)} is not a URL; write an {_SCHEMES_TEXT} URL, "
            "e.g. https://example.com/security"
        )
    if scheme not in URL_SCHEMES:
        raise _scheme_refused(value, scheme)
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
        raise UrlValueError(
            f"{_shown(value)}: a URL may not contain spaces or control characters "
            "(write a space as %20)"
        )
    if not _WEB_URL_RE.match(value):
        raise UrlValueError(
            f"{_shown(value)} is not a complete {scheme} URL; write e.g. "
            + ("mailto:security@example.com" if scheme == "mailto" else f"{scheme}://host/path")
        )
    return value


def is_link(value: str) -> bool:
    """Whether free text reads as a link (a URL) rather than as prose: it starts with a
    scheme of a script or local-file kind (`javascript:`, `data:`, `file:`, ...), or with a
    scheme of two or more characters followed by `//` or, for a scheme of letters only, by
    something other than a space (`ftp://host`, `ms-msdt:/id`). `SOP-114 rev C`,
    `Note: see the vendor letter` and `C:\\docs` are prose."""
    text = _as_link(value)
    match = _SCHEME_RE.match(text)
    if match is None:
        return False
    scheme = match.group(1).lower()
    if scheme in _SCRIPT_SCHEMES:
        return True
    rest = text[match.end() :]
    if len(scheme) < 2 or not rest:  # a drive letter, or a word ending in a colon
        return False
    if rest.startswith("//"):
        return True
    return not rest[0].isspace() and not any(ch.isdigit() for ch in scheme)


def _text_or_web_url(value: str) -> str:
    if is_link(value):
        scheme = url_scheme(value)
        if scheme is not None and scheme not in URL_SCHEMES:
            raise _scheme_refused(
                value, scheme, " (other text, such as a document number, is kept)"
            )
    return value


WebUrl = Annotated[
    StrictStr,
    AfterValidator(_web_url),
    WithJsonSchema({"type": "string", "pattern": WEB_URL_PATTERN}),
]
"""A field that holds a URL and nothing else: an https, http or mailto URL."""

TextOrWebUrl = Annotated[
    StrictStr, StringConstraints(min_length=1), AfterValidator(_text_or_web_url)
]
"""Free text that may be a URL (`support_evidence`, `cvd.contact`): text that reads as a
link must be an https, http or mailto URL; other text is kept as written."""

__all__ += [
    "ITEM_ID_PATTERN",
    "URL_HINT",
    "URL_SCHEMES",
    "StrictStr",
    "TextOrWebUrl",
    "UrlValueError",
    "WebUrl",
    "is_link",
    "url_scheme",
]
