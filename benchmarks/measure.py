"""What the benchmarks read off a process (from /proc, never from inside it) and how they summarise repetitions.

CPU time and memory are read from Linux's /proc for a given pid, so the figures belong to the measured process
alone (all its threads: the event loop and aiosqlite's), with no profiler or tracer inside it.
"""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class ProcessSample:
    """CPU seconds (user + system, all threads) and memory of one process at one moment."""

    cpu_seconds: float
    rss_mib: float  # resident now
    peak_rss_mib: float  # high-water mark since the process started (VmHWM)


def sample_process(pid: int) -> ProcessSample:
    """Read /proc/<pid>; raises OSError when the process is gone."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": field 3 onwards
    utime, stime = int(fields[11]), int(fields[12])
    status = Path(f"/proc/{pid}/status").read_text()
    memory = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            memory[key] = int(value.split()[0]) / 1024  # kB -> MiB
    return ProcessSample((utime + stime) / _TICKS, memory.get("VmRSS", math.nan), memory.get("VmHWM", math.nan))


def rss_mib(pid: int) -> float:
    """Resident memory now, from /proc/<pid>/statm (cheaper than status)."""
    resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return resident * _PAGE / 2**20


def machine_busy_seconds() -> float:
    """CPU seconds all processes of the machine spent busy so far (/proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICKS


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (nan when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def min_median(values: Sequence[float]) -> tuple[float, float]:
    clean = [v for v in values if not math.isnan(v)]
    if not clean:
        return math.nan, math.nan
    return min(clean), statistics.median(clean)


def fmt(value: float, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def verdict(value: float, limit: float, *, at_most: bool) -> str:
    """'met' / 'NOT met' for a figure against an issue's target (nan: not measured)."""
    if math.isnan(value):
        return "not measured"
    return "met" if (value <= limit if at_most else value >= limit) else "NOT met"
