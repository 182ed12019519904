"""The sizing rule and the monthly costs, on numbers worked out by hand."""

import pytest

from atelier.scale._sizing import load_prices, monthly_costs, refresh_period, size

MEASURED = {"rows": 10_000, "load_s": 2.0, "bytes": 5e6, "memory_gb": 16, "period_hours": 24}
MEASURED |= {"expected_rps": 20, "api_rps": 8.0}


def test_one_machine_keeps_a_quarter_of_the_refresh_period_of_loading():
    found = size(MEASURED)
    # 5,000 rows/s over a quarter of a day
    assert found["rows_per_s"] == 5_000 and found["max_rows"] == 5_000 * 6 * 3600
    assert found["max_bytes"] == 16 * 2**30 * 10
    assert found["engine"] == "duckdb" and found["headroom"] == 10_800.0
    assert found["pods"] == 3 and found["serving_met"] and found["complete"]


def test_past_either_bound_spark_is_needed():
    assert size(MEASURED | {"rows": 10**9, "load_s": 200_000.0})["engine"] == "spark"
    assert size(MEASURED | {"bytes": 200 * 2**30})["engine"] == "spark"  # > 10 x 16 GB


def test_serving_is_met_only_against_a_stated_load():
    assert not size(MEASURED | {"expected_rps": None})["serving_met"]
    assert not size(MEASURED | {"api_rps": None})["complete"]


def test_refresh_period_is_the_shortest_declared(make_project, tmp_path):
    (tmp_path / "a.csv").write_text("k,y\n1,0\n")
    sources = {
        "a": {"kind": "csv", "path": "a.csv", "refresh": "weekly"},
        "b": {"kind": "csv", "path": "a.csv", "refresh": "Hourly"},
    }
    assert refresh_period(make_project(sources).charter) == ("hourly", 1)


def test_costs_convert_dollars_and_keep_their_sources(tmp_path):
    prices = load_prices(tmp_path)
    assert prices["file"] == "atelier/scale/prices.yaml"
    rows = {
        row["id"]: row for row in monthly_costs(prices, pods=2, pod_memory_mi=1024, batch_hours=10)
    }
    assert rows["local"]["total_per_month"] == 0
    aws = next(o for o in prices["options"] if o["id"] == "aws")
    # two pods of 1 GiB fit on one 16 GB node; the control plane is paid by the hour
    expected = (aws["control_plane"] + aws["node_hour"]) * prices["usd_to_eur"] * 730
    assert rows["aws"]["api_per_month"] == pytest.approx(expected, abs=0.01)
    assert all(row["source"] and row["read_on"] for key, row in rows.items() if key != "local")
    assert {row["country"] for row in rows.values()} >= {"FR", "US"}


def test_a_projects_own_price_list_wins(tmp_path):
    (tmp_path / "prices.yaml").write_text(
        "currency: EUR\nusd_to_eur: 1\nhours_per_month: 730\nnode: {vcpu: 4, memory_gb: 16}\n"
        "options:\n  - {id: mine, name: Mine, kind: cloud, country: FR, node_hour: 1, "
        "source: https://example.org, read_on: '2026-12'}\n"
    )
    prices = load_prices(tmp_path)
    [row] = monthly_costs(prices, pods=3, pod_memory_mi=8192, batch_hours=0)
    assert prices["file"].endswith("prices.yaml") and row["api_nodes"] == 2
    assert row["total_per_month"] == 2 * 730
