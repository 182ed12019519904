"""The energy, CO2, CPU time and peak memory of each stage.

codecarbon's offline tracker (``pip install atelier[footprint]``) follows the process's
CPU and memory power and converts energy with France's carbon intensity. Without it,
the energy is estimated from the CPU time the stage used, at ``WATTS_PER_BUSY_CORE``,
and converted at ``FRANCE_G_CO2_PER_KWH``; the record says which method gave it. The
peak memory is the process's resident set, sampled every ``MEMORY_SAMPLE_S`` while
the stage runs (child processes, such as a browser, are not counted): what the stage
needed of the machine, measured rather than guessed.
"""

import contextlib
import logging
import os
import resource
import threading
from collections.abc import Iterator
from importlib.util import find_spec

# A server core under load draws about 10 W (a 150-250 W processor of 16-24 cores);
# memory and the rest of the machine are left out, so the estimate is a floor.
WATTS_PER_BUSY_CORE = 10.0
# France's electricity, life-cycle average (ADEME Base Empreinte, 2023): 52-60 g/kWh.
FRANCE_G_CO2_PER_KWH = 56.0
JOULES_PER_KWH = 3.6e6
# Everyday comparisons: a smartphone charge (about 15 Wh) and a kilometre in an
# average new car sold in France (about 110 g CO2, ADEME Car Labelling, 2023).
KWH_PER_PHONE_CHARGE = 0.015
G_CO2_PER_CAR_KM = 110.0
MEMORY_SAMPLE_S = 0.05


class Footprint:
    """One tracker for a run; :meth:`stage` measures a stage inside it.

    Parameters
    ----------
    use_codecarbon : bool or None
        Measure with codecarbon; None to use it when it is installed.
    """

    def __init__(self, use_codecarbon: bool | None = None) -> None:
        if use_codecarbon is None:
            use_codecarbon = find_spec("codecarbon") is not None
        self._tracker = _tracker() if use_codecarbon else None

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[dict]:
        """Measure the ``with`` block; the yielded dict is filled when it ends.

        Keys: ``method`` (``codecarbon`` or ``estimate``), ``energy_kwh``, ``co2_g``,
        ``cpu_s``, ``peak_rss_mb``.
        """
        record: dict = {}
        cpu_before = _cpu_seconds()
        peak = _PeakMemory()
        if self._tracker is not None:
            self._tracker.start_task(name)
        try:
            yield record
        finally:
            cpu = _cpu_seconds() - cpu_before
            if self._tracker is not None:
                measured = self._tracker.stop_task()
                record |= {
                    "method": "codecarbon",
                    "energy_kwh": float(measured.energy_consumed),
                    "co2_g": float(measured.emissions) * 1000,
                }
            else:
                energy = cpu * WATTS_PER_BUSY_CORE / JOULES_PER_KWH
                record |= {
                    "method": "estimate",
                    "energy_kwh": energy,
                    "co2_g": energy * FRANCE_G_CO2_PER_KWH,
                }
            record["cpu_s"] = round(cpu, 3)
            record["peak_rss_mb"] = round(peak.stop() / 2**20, 1)

    def close(self) -> None:
        """Stop the tracker, if one runs."""
        if self._tracker is not None:
            self._tracker.stop()
            self._tracker = None


def everyday(energy_kwh: float, co2_g: float) -> dict:
    """The same energy and CO2 as phone charges and kilometres driven."""
    return {
        "phone_charges": energy_kwh / KWH_PER_PHONE_CHARGE,
        "car_km": co2_g / G_CO2_PER_CAR_KM,
    }


def _tracker():
    from codecarbon import OfflineEmissionsTracker

    logging.getLogger("codecarbon").setLevel(logging.ERROR)  # its own notices: not ours to print
    # output_methods=[]: nothing written (no emissions.csv); the run state keeps the numbers
    tracker = OfflineEmissionsTracker(
        country_iso_code="FRA",
        output_methods=[],
        log_level="error",
        tracking_mode="process",
        project_name="atelier",
    )
    return tracker


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class _PeakMemory:
    """The largest resident set of this process while it watches, sampled in a thread."""

    def __init__(self) -> None:
        self.peak = _resident_bytes()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(MEMORY_SAMPLE_S):
            self.peak = max(self.peak, _resident_bytes())

    def stop(self) -> int:
        """Stop watching; the peak in bytes."""
        self._done.set()
        self._thread.join()
        return max(self.peak, _resident_bytes())


def _resident_bytes() -> int:
    """The resident set of the process now (Linux's /proc; its lifetime peak elsewhere)."""
    try:
        with open("/proc/self/statm", "rb") as stream:
            return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def machine_memory_bytes() -> int:
    """The machine's physical memory in bytes (0 where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):  # a system without these names
        return 0
