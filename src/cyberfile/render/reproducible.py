"""Reproducible output from tools that read the clock: mkdocs (sitemap dates) and
fontTools inside WeasyPrint (font timestamps) honour SOURCE_DATE_EPOCH."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time


def midnight_utc(day: date) -> datetime:
    """The first moment of `day` in UTC: the timestamp generated documents carry."""
    return datetime.combine(day, time(), tzinfo=UTC)


@contextlib.contextmanager
def source_date(moment: datetime) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH to `moment` for the duration (worker processes inherit it)."""
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved
