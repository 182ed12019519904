import json

import pytest
import yaml

from atelier import Project
from atelier.clean import clean
from atelier.exceptions import DataError, StageOrderError
from atelier.quality import profile, profile_relation
from atelier.warehouse import ingest
from tests.conftest import left_to_clean

ROWS = (
    "customer_id,email,method,score,y\n"
    + "".join(
        f"C{i},person{i}@example.org,{'Card' if i % 2 else 'Cash'},{i % 7},"
        f"{'yes' if i % 3 else 'no'}\n"
        for i in range(60)
    )
    + "C1,person1@example.org,Card,1,yes\n"  # an exact copy
    + "C61,person61@example.org,CARD,?,no\n"  # another spelling, a disguised missing value
)


@pytest.fixture
def profiled(tmp_path, make_project):
    (tmp_path / "c.csv").write_text(ROWS)
    project = make_project(
        {"c": {"kind": "csv", "path": "c.csv", "key": "customer_id"}},
        {"table": "customers", "base": "c"},
        target={"column": "y"},
    )
    ingest(project)
    profile(project)
    return project


def test_plan_is_proposed_into_the_charter_then_applied(profiled):
    project, result = clean(profiled)
    assert result.plan_proposed
    section = yaml.safe_load(project.charter_path.read_text())["cleaning"]
    assert section["drop_duplicate_rows"] is True
    assert section["unify_spellings"] == ["method"]
    assert section["missing_values"] == {"score": ["?"]}
    # The e-mails were detected and dropped as the source loaded: cleaning never sees them.
    assert section["drop_columns"] == {"customer_id": "identifier: a key, not a feature"}
    assert "# 1 rows are exact copies" in project.charter_path.read_text()
    assert result.rows_before == 62 and result.rows_after == 61
    assert result.kept_columns == ["customer_id"]


def test_cleaned_table_has_nothing_left_to_clean(profiled):
    project, result = clean(profiled)
    with project.connect() as connection:
        after = profile_relation(
            connection,
            result.cleaned_table,
            table=result.cleaned_table,
            target="y",
            key=["customer_id"],
        )
        types = {
            row[0]: row[1]
            for row in connection.execute(f"DESCRIBE {result.cleaned_table}").fetchall()
        }
    assert left_to_clean(after) == set()
    assert types["score"] == "DOUBLE"


def test_a_plan_edited_by_the_user_is_applied_as_written(profiled):
    project, _ = clean(profiled)
    text = project.charter_path.read_text().replace("    - method", "")
    text = text.replace("  unify_spellings:\n", "  unify_spellings: []\n")
    project.charter_path.write_text(text)
    project, result = clean(Project.load(project.root))
    assert not result.plan_proposed
    assert not [a for a in result.actions if a["action"] == "unify_spellings"]


def test_no_personal_data_in_the_artifacts(profiled):
    project, _ = clean(profiled)
    folder = project.artifact_dir("clean")
    text = (folder / "result.json").read_text() + (folder / "cleaner.json").read_text()
    assert "@example.org" not in text
    assert (
        json.loads((folder / "result.json").read_text())["cleaned_table"] == "mart.customers_clean"
    )


def test_clean_before_profile_and_a_wrong_plan(tmp_path, make_project, profiled):
    (tmp_path / "fresh").mkdir()
    (tmp_path / "fresh" / "c.csv").write_text(ROWS)
    from tests.conftest import write_charter

    write_charter(tmp_path / "fresh", {"c": {"kind": "csv", "path": "c.csv"}})
    fresh = Project.load(tmp_path / "fresh")
    with pytest.raises(StageOrderError, match="no profile yet; run `atelier profile"):
        clean(fresh)
    project, _ = clean(profiled)
    text = project.charter_path.read_text().replace("    - method", "    - methd")
    project.charter_path.write_text(text)
    with pytest.raises(DataError, match=r"cleaning: Cleaner: column\(s\) \['methd'\] are not in"):
        clean(Project.load(project.root))
