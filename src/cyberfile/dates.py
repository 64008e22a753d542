"""The one place cyberfile decides which date it works with.

- **as-of**: the day a command measures against or records (drift, scan, review):
  `--as-of`/`--on` when given, else `SOURCE_DATE_EPOCH`, else today's date.
- **document date**: the date generated documents carry (build, sbom export): `--as-of`
  or `SOURCE_DATE_EPOCH` when given, else the newest date in the project's data, never
  the wall clock, so the same inputs give the same bytes.
- **timestamps**: a document date becomes midnight UTC of that day.

Commands that record evidence (a scan, a review) refuse a date in the future: the record
would claim work that has not been done yet.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time

from cyberfile.errors import UsageError

EPOCH_VARIABLE = "SOURCE_DATE_EPOCH"
FALLBACK_DOCUMENT_DATE = date(1970, 1, 1)


class DateError(UsageError):
    """A date given on the command line cannot be used; the message says why."""


def day_of(value: object) -> date | None:
    """The day of a date, a datetime, or text starting with YYYY-MM-DD (feeds write
    `2024-05-30` or `2024-05-30T12:00:00Z`); None when there is none."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def parse_day(text: str) -> date:
    """An ISO date YYYY-MM-DD, or DateError."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DateError(f"{text!r} is not a date YYYY-MM-DD") from None


def _epoch_day() -> date | None:
    epoch = os.environ.get(EPOCH_VARIABLE, "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC).date()
    return None


def today() -> date:
    """SOURCE_DATE_EPOCH's day when set (reproducible runs), else the local date."""
    return _epoch_day() or date.today()


def as_of(value: str | None, *, records: bool = False) -> date:
    """The day a command measures against: `value`, else today(). With `records` (the
    command writes the date into the project as the day work was done), a day after
    today is refused."""
    day = parse_day(value) if value else today()
    if records and day > today():
        raise DateError(
            f"{day.isoformat()} is in the future; this command records what was done on "
            "that day, so the date must be today or earlier"
        )
    return day


def requested_document_day(value: str | None) -> date | None:
    """The document date asked for (`--as-of`, else SOURCE_DATE_EPOCH), or None to let
    the project's own data decide (see document_date)."""
    if value:
        return parse_day(value)
    return _epoch_day()


def document_date(requested: date | None, newest_in_data: date | None) -> date:
    """The date generated documents carry: the one requested, else the newest date in
    the data, else a fixed day (never the wall clock)."""
    return requested or newest_in_data or FALLBACK_DOCUMENT_DATE


def midnight_utc(day: date) -> datetime:
    """The first moment of `day` in UTC: the timestamp generated documents carry."""
    return datetime.combine(day, time(), tzinfo=UTC)


@contextlib.contextmanager
def source_date(moment: datetime) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH to `moment` for the duration, for tools that read the clock
    (mkdocs' sitemap, fontTools inside WeasyPrint); worker processes inherit it."""
    saved = os.environ.get(EPOCH_VARIABLE)
    os.environ[EPOCH_VARIABLE] = str(int(moment.timestamp()))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(EPOCH_VARIABLE, None)
        else:
            os.environ[EPOCH_VARIABLE] = saved
