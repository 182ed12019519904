"""Past the memory the search may use, a stratified sample sized from a row's measured size."""

import numpy as np
import pandas as pd
import pytest

from atelier.learn import _data
from atelier.learn._data import load_mart
from atelier.quality import profile
from atelier.warehouse import ingest


def project_of(make_project, tmp_path, frame: pd.DataFrame):
    frame.to_csv(tmp_path / "rows.csv", index=False)
    project = make_project({"rows": {"kind": "csv", "path": "rows.csv", "key": "id"}})
    ingest(project)
    profile(project)
    return project


def rows(n: int, y) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"id": range(n), "x": rng.normal(size=n), "y": y})


def test_a_mart_that_fits_is_read_whole(make_project, tmp_path):
    project = project_of(make_project, tmp_path, rows(3_000, np.arange(3_000) % 2))
    _, frame, notes, _, _ = load_mart(project)
    assert len(frame) == 3_000 and not any("sample" in note for note in notes)


def test_past_the_memory_share_each_class_keeps_its_share(make_project, tmp_path, monkeypatch):
    labels = np.where(np.arange(20_000) % 20 == 0, "rare", "common")  # 5% rare
    project = project_of(make_project, tmp_path, rows(20_000, labels))
    row_bytes = pd.DataFrame(rows(100, labels[:100])).memory_usage(deep=True).sum() / 100
    # as if the machine could hold about 2,000 of these rows for the search
    monkeypatch.setattr(
        _data, "machine_memory_bytes", lambda: 2_000 * row_bytes / _data.MEMORY_SHARE
    )
    _, frame, notes, _, _ = load_mart(project)
    assert list(frame.columns) == ["id", "x", "y"]  # the mart's own columns, no helper
    assert 1_500 < len(frame) < 2_600
    counts = frame["y"].value_counts()
    assert counts["rare"] / len(frame) == pytest.approx(0.05, abs=0.002)
    [note] = [note for note in notes if "stratified sample" in note]
    assert note.startswith("20,000 rows: a stratified sample of") and "each value of y" in note
    again = load_mart(project)[1]  # the same rows on every run
    assert sorted(again["id"]) == sorted(frame["id"])


def test_a_numeric_target_is_sampled_by_deciles(make_project, tmp_path, monkeypatch):
    project = project_of(make_project, tmp_path, rows(20_000, np.linspace(0, 1, 20_000)))
    monkeypatch.setattr(_data, "machine_memory_bytes", lambda: 1e5 / _data.MEMORY_SHARE)
    _, frame, notes, _, _ = load_mart(project)
    assert len(frame) < 20_000
    deciles = np.histogram(frame["y"], bins=10, range=(0, 1))[0]
    assert deciles.max() - deciles.min() <= 2  # every tenth of the range kept alike
    assert any("each decile of y" in note for note in notes)
