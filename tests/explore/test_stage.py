import json

import numpy as np
import pytest
from PIL import Image

from atelier.exceptions import DataError, StageOrderError
from atelier.explore import explore
from atelier.quality import profile
from atelier.warehouse import ingest

pytestmark = pytest.mark.slow


def test_demo_exploration_is_complete_and_drawn(demo_project):
    folder = demo_project.artifact_dir("explore")
    result = json.loads((folder / "result.json").read_text())
    assert result["table"] == "mart.customers_clean"
    assert result["target_kind"] == "binary" and result["positive_class"] == "Yes"
    assert {"customer_id"} <= set(result["excluded"])
    tested = {t["feature"]: t for t in result["against_target"]}
    assert tested["contract"]["test"] == "chi-square test of independence"
    assert tested["tenure"]["test"] in {"Welch's t-test", "Mann-Whitney U"}
    assert all(t["why"] for t in tested.values())
    assert result["regression"]["model"] == "logistic regression"
    assert result["pca"]["components_kept"] >= 2 and "90%" in result["pca"]["why"]
    assert result["selection"]["top"]["features"] < result["selection"]["all"]["features"]
    assert 2 <= result["clustering"]["kmeans"]["k"] <= 8
    assert all(p["summary"].startswith("Segment") for p in result["clustering"]["profiles"])
    for name in result["figures"].values():
        pixels = np.asarray(Image.open(folder / name).convert("L"), dtype=float)
        assert pixels.shape[1] >= 600 and pixels.std() > 10, name


def small_project(tmp_path, make_project, rows: str, target: str = "y"):
    (tmp_path / "t.csv").write_text(rows)
    project = make_project(
        {"t": {"kind": "csv", "path": "t.csv"}}, {"base": "t"}, target={"column": target}
    )
    ingest(project)
    return project


def test_explore_needs_a_profile(tmp_path, make_project):
    project = small_project(tmp_path, make_project, "x,y\n1,a\n2,b\n")
    with pytest.raises(StageOrderError, match="no profile yet"):
        explore(project)


@pytest.mark.parametrize(
    ("rows", "target", "message"),
    [
        ("x,y\n" + "".join(f"{i},a\n" for i in range(30)), "y", "has a single value"),
        ("x,y\n1,a\n2,b\n", "y", "exploration needs at least 10 rows"),
        (
            "x,y\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(30)),
            "churn",
            "the target column 'churn' does not exist",
        ),
    ],
)
def test_bad_targets_and_tiny_tables_are_clear(tmp_path, make_project, rows, target, message):
    project = small_project(tmp_path, make_project, rows, target)
    profile(project)
    with pytest.raises(DataError, match=message):
        explore(project)
