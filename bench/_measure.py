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


def tree_peak_mib(pid: int, stop) -> float:
    """The peak resident memory of a process and all its descendants (a JVM included).

    Samples ``/proc`` every 0.2 s until ``stop()`` is true.
    """
    import time
    from pathlib import Path

    def descendants(root: int) -> list[int]:
        children = {}
        for status in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = status.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(status.parent.name))
        found, queue = [], [root]
        while queue:
            current = queue.pop()
            found.append(current)
            queue += children.get(current, [])
        return found

    def rss_kib(process: int) -> int:
        try:
            for line in Path(f"/proc/{process}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    peak = 0
    while not stop():
        peak = max(peak, sum(rss_kib(p) for p in descendants(pid)))
        time.sleep(0.2)
    return peak / 1024


def timed_tree(command: list[str], env: dict | None = None) -> Measure:
    """:func:`timed`, with the peak memory of the whole process tree (``/usr/bin/time``
    sees only the first process, not a JVM it starts)."""
    import threading

    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    peak: list[float] = []
    sampler = threading.Thread(
        target=lambda: peak.append(tree_peak_mib(process.pid, lambda: process.poll() is not None))
    )
    import time

    start = time.perf_counter()
    sampler.start()
    _, stderr = process.communicate()
    wall = time.perf_counter() - start
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{command} failed:\n{stderr[-3000:]}")
    return Measure(wall, peak[0] if peak else 0.0, process.returncode, False, stderr[-2000:])
