"""Timing a command in a fresh process: wall seconds and peak memory, from /usr/bin/time -v."""

import re
import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    """One run of a command."""

    wall_s: float
    peak_mib: float
    returncode: int
    timed_out: bool
    stderr_tail: str


def timed(
    command: list[str], *, limit_s: int | None = None, env: dict | None = None, check: bool = True
) -> Measure:
    """Run ``command`` under ``/usr/bin/time -v`` (and ``timeout`` if ``limit_s``)."""
    limited = ["timeout", "--signal=KILL", str(limit_s), *command] if limit_s else command
    process = subprocess.run(
        ["/usr/bin/time", "-v", *limited], capture_output=True, text=True, check=False, env=env
    )
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", process.stderr)
    hours, minutes, seconds = (float(part or 0) for part in wall.groups())
    rss_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", process.stderr)[1])
    timed_out = limit_s is not None and process.returncode in {124, 137, -9}
    if check and process.returncode != 0 and not timed_out:
        raise SystemExit(f"{command} failed:\n{process.stderr[-3000:]}")
    return Measure(
        hours * 3600 + minutes * 60 + seconds,
        rss_kib / 1024,
        process.returncode,
        timed_out,
        process.stderr[-2000:],
    )
