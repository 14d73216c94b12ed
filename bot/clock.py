"""The one source of "now": passed in everywhere, so tests and benchmarks can fix the time."""

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
