"""What every benchmark measures with: percentiles and latency summaries, and where the machine's CPU went.

The server helpers (waiting for gunicorn, its workers' peak memory) are in ``bench.server``, the database a
benchmark runs on in ``bench.database``; both are re-exported here so a benchmark imports one module.
"""

import math
import os
import threading
import time
from collections import Counter
from pathlib import Path

from bench.database import point_url, recreate
from bench.server import peak_rss_mb, wait_healthy

__all__ = [
    "CpuMeter",
    "busy_s",
    "latency",
    "pct",
    "peak_rss_mb",
    "point_url",
    "proc_cpu_s",
    "recreate",
    "wait_healthy",
]

TICK = os.sysconf("SC_CLK_TCK")


# --- statistics ----------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def latency(
    seconds: list[float], unit: str = "ms", quantiles: tuple[float, ...] = (0.5, 0.95)
) -> dict[str, float]:
    """Median and other percentiles (``p95_ms`` …) and the maximum of durations given in seconds."""
    scale = 1000 if unit == "ms" else 1
    values = [s * scale for s in seconds]
    out = {
        (f"median_{unit}" if q == 0.5 else f"p{round(q * 100)}_{unit}"): round(pct(values, q), 2)
        for q in quantiles
    }
    out[f"max_{unit}"] = round(max(values), 2) if values else float("nan")
    return out


# --- CPU accounting ------------------------------------------------------------------------------


def _proc(pid: str) -> tuple[int, float, bytes] | None:
    """(parent pid, user + system CPU seconds, command line) of a process; None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK, cmdline


def proc_cpu_s(pid: int | str) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    info = _proc(str(pid))
    return info[1] if info else 0.0


def busy_s() -> float:
    """CPU seconds the whole machine has been busy (all but idle and iowait)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICK


class CpuMeter:
    """CPU used during a phase by process group.

    Each group is some root processes and their descendants (``{"gunicorn": [pid]}``); "postgres" is the
    backends of the bench database ``db_name``; ``this_process`` names this process. Processes are sampled
    every ``interval`` seconds, so one that exits during the phase counts but for its last moments, and one
    that lives less than that is missed. The rest of the machine (other people's work, Redis, the kernel's
    loopback) shows as ``other_cores``, so a contaminated run shows as such.
    """

    def __init__(
        self,
        roots: dict[str, list[int]] | None = None,
        *,
        db_name: str,
        this_process: str = "bench",
        interval: float = 0.5,
    ) -> None:
        self.owner = {pid: group for group, pids in (roots or {}).items() for pid in pids}
        self.groups = list((roots or {}).keys())
        self.db_name, self.this_process, self.interval = db_name.encode(), this_process, interval
        self.base: dict[int, tuple[str, float]] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.stop = threading.Event()

    def _scan(self) -> dict[int, tuple[str, float]]:
        table = {}
        for child in Path("/proc").iterdir():
            if child.name.isdigit() and (info := _proc(child.name)) is not None:
                table[int(child.name)] = info
        found = {}
        for pid, (_ppid, cpu, cmdline) in table.items():
            group, up = None, pid
            for _hop in range(8):
                if up in self.owner:
                    group = self.owner[up]
                    break
                up = table[up][0] if up in table else 0
            if (
                group is None
                and cmdline.startswith(b"postgres: ")
                and self.db_name in cmdline.rstrip(b"\0").split()
            ):
                group = "postgres"  # the bench database's backends, autovacuum workers included
            if group is not None:
                found[pid] = (group, cpu)
        return found

    def _take(self) -> None:
        for pid, (group, cpu) in self._scan().items():
            self.base.setdefault(pid, (group, 0.0))  # born during the phase: all its CPU counts
            self.last[pid] = (group, cpu)

    def _loop(self) -> None:
        while not self.stop.wait(self.interval):
            self._take()

    def __enter__(self) -> "CpuMeter":
        self.base = self._scan()
        self.last = dict(self.base)
        self.busy0, self.self0 = busy_s(), sum(os.times()[:2])
        self.sampler = threading.Thread(target=self._loop, daemon=True)
        self.sampler.start()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.started
        self.stop.set()
        self.sampler.join()
        self._take()
        self.seconds: Counter[str] = Counter(dict.fromkeys([*self.groups, "postgres"], 0.0))
        for pid, (group, cpu) in self.last.items():
            self.seconds[group] += max(0.0, cpu - self.base[pid][1])
        self.seconds[self.this_process] = sum(os.times()[:2]) - self.self0
        self.busy = busy_s() - self.busy0

    def _other(self) -> float:
        return max(0.0, self.busy - sum(self.seconds.values()))

    def summary(self) -> dict[str, float]:
        """Cores used on average during the phase, per group."""
        wall = max(self.wall, 1e-9)
        out = {"busy_cores": round(self.busy / wall, 2)}
        out |= {f"{group}_cores": round(s / wall, 2) for group, s in sorted(self.seconds.items())}
        out["other_cores"] = round(self._other() / wall, 2)
        return out

    def per_item(self, n: int, item: str = "report") -> dict[str, float]:
        """Cores busy and left to others, and each group's CPU milliseconds per item done (``n`` items)."""
        wall = max(self.wall, 1e-9)
        out = {"busy_cores": round(self.busy / wall, 2), "other_cores": round(self._other() / wall, 2)}
        for group, s in self.seconds.items():
            if s or group not in self.groups:  # a root group that did nothing in this phase is left out
                out[f"{group}_cpu_ms_per_{item}"] = round(s * 1000 / max(1, n), 2)
        return out
