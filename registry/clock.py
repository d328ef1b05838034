"""Time in one place: aware UTC timestamps and the registry's calendar date; imports only the stdlib."""

from __future__ import annotations

import datetime as dt

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), name="Asia/Shanghai")


def utcnow() -> dt.datetime:
    """Return the current time as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Return today's date in China (certificate and filing dates are Beijing dates)."""
    return utcnow().astimezone(CHINA_TZ).date()


def as_utc(value: dt.datetime) -> dt.datetime:
    """Return value as aware UTC; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)
