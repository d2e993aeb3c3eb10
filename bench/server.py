"""The production server a benchmark measures: waiting for it to answer, and its workers' peak memory."""

import subprocess
import time
from pathlib import Path


def wait_healthy(server: "subprocess.Popen[bytes]", base: str, *, seconds: float = 60) -> None:
    """Return once ``base``/healthz answers 200; stop the benchmark if gunicorn exits or stays silent."""
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with code {server.returncode} before answering")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer {base}/healthz within {seconds:.0f} s")


def peak_rss_mb(root: int) -> float:
    """The largest peak RSS (VmHWM) among the children of process ``root``, in MB to one decimal."""
    peak = 0
    for child in Path("/proc").iterdir():
        if not child.name.isdigit():
            continue
        try:
            status = (child / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(root):
            peak = max(peak, int(fields.get("VmHWM", "0 kB").split()[0]))
    return round(peak / 1024, 1)
