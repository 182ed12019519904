"""Each stage's energy: measured by codecarbon offline, or estimated from CPU time."""

import pytest

from atelier._footprint import FRANCE_G_CO2_PER_KWH, WATTS_PER_BUSY_CORE, Footprint, everyday


def busy() -> int:
    return sum(i * i for i in range(2_000_000))


def test_the_estimate_is_cpu_time_at_the_documented_power():
    footprint = Footprint(use_codecarbon=False)
    with footprint.stage("train") as record:
        busy()
    footprint.close()
    assert record["method"] == "estimate"
    assert record["cpu_s"] > 0
    expected = record["cpu_s"] * WATTS_PER_BUSY_CORE / 3.6e6
    assert record["energy_kwh"] == pytest.approx(expected, rel=0.01)
    assert record["co2_g"] == pytest.approx(record["energy_kwh"] * FRANCE_G_CO2_PER_KWH)


def test_codecarbon_measures_each_stage_offline_for_france():
    pytest.importorskip("codecarbon", reason="the footprint extra is installed by make test")
    footprint = Footprint(use_codecarbon=True)
    records = []
    for name in ("profile", "train"):
        with footprint.stage(name) as record:
            busy()
        records.append(record)
    footprint.close()
    for record in records:
        assert record["method"] == "codecarbon"
        assert record["energy_kwh"] > 0
        # France's grid: tens of grams per kWh, far below a coal-fired one's ~800
        assert 10 < record["co2_g"] / record["energy_kwh"] < 200


def test_everyday_comparisons():
    assert everyday(0.015, 110.0) == {"phone_charges": 1.0, "car_km": 1.0}


def test_the_peak_memory_of_a_stage_is_what_it_held_at_its_largest():
    import numpy as np

    footprint = Footprint(use_codecarbon=False)
    with footprint.stage("small") as small:
        busy()
    with footprint.stage("large") as large:
        held = np.ones(200 * 2**20 // 8)  # 200 MiB, touched
        busy()
        del held
    footprint.close()
    assert large["peak_rss_mb"] - small["peak_rss_mb"] > 150
    assert small["peak_rss_mb"] > 10  # the interpreter itself
