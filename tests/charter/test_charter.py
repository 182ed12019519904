import pytest
import yaml

from atelier.charter import Charter, load_charter, resolve_environment, write_template
from atelier.charter._template import template_text
from atelier.exceptions import CharterError
from tests.conftest import MINIMAL_FRAMING, write_charter


def test_template_is_a_valid_commented_charter(tmp_path):
    path = write_template(tmp_path)
    charter = load_charter(path)
    assert isinstance(charter, Charter)
    assert charter.costs.false_negative > charter.costs.false_positive
    assert {risk.likelihood for risk in charter.risks} <= {"low", "medium", "high"}
    text = template_text()
    for section in ("project:", "costs:", "stakeholders:", "risks:", "sources:", "mart:"):
        assert section in text
    assert text.count("\n#") > 20, "the template explains itself in comments"


def test_init_refuses_to_overwrite_unless_asked(tmp_path):
    write_template(tmp_path)
    with pytest.raises(CharterError, match="already exists"):
        write_template(tmp_path)
    write_template(tmp_path, overwrite=True)


def test_yes_and_on_stay_strings_as_in_yaml_1_2(tmp_path):
    write_charter(
        tmp_path,
        {"a": {"kind": "csv", "path": "a.csv"}, "b": {"kind": "csv", "path": "b.csv"}},
        {"base": "a", "joins": [{"source": "b", "on": "id"}]},
    )
    text = (tmp_path / "atelier.yaml").read_text()
    text = text.replace("column: y", "column: y\n  positive_class: Yes")
    (tmp_path / "atelier.yaml").write_text(text)
    charter = load_charter(tmp_path / "atelier.yaml")
    assert charter.mart.joins[0].on == ["id"]
    assert charter.target.positive_class == "Yes"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["sources"]["a"].update(delimiter=";;"),
            r"sources\.a\.delimiter: String should have at most 1 character; got ';;'",
        ),
        (lambda d: d["sources"]["a"].update(delimter=";"), r"sources\.a\.delimter: unknown field"),
        (lambda d: d["sources"]["a"].update(kind="xml"), r"sources\.a: Input tag 'xml'"),
        (lambda d: d["costs"].pop("false_negative"), r"costs: give both false_positive"),
        (
            lambda d: d["costs"].update(false_positive=-3),
            r"costs\.false_positive: Input should be greater than or equal to 0; got -3",
        ),
        (lambda d: d["project"].pop("question"), r"project\.question: Field required"),
        (lambda d: d["mart"].update(base="nope"), r"mart\.base: 'nope' is not a declared source"),
        (
            lambda d: d["risks"].append(
                {"description": "x", "likelihood": "huge", "impact": "low", "mitigation": "y"}
            ),
            r"risks\.0\.likelihood: Input should be 'low', 'medium' or 'high'; got 'huge'",
        ),
        (
            lambda d: d["sources"].update(Bad={"kind": "csv", "path": "x"}),
            r"source name 'Bad' must be lower snake_case",
        ),
        (
            lambda d: d.update(training={"metric": "auc"}),
            r"training\.metric: Input should be 'roc_auc', 'log_loss', .* or 'r2'; got 'auc'",
        ),
        (
            lambda d: d.update(training={"families": ["lightgbm", "xgb"]}),
            r"training\.families\.1: Input should be 'dummy', .*; got 'xgb'",
        ),
        (
            lambda d: d.update(training={"max_trials": 0}),
            r"training\.max_trials: Input should be greater than or equal to 1",
        ),
        (
            lambda d: d.update(
                costs={"value_matrix": {"yes": {"yes": 5, "no": -50}, "no": {"no": 0}}}
            ),
            r"costs\.value_matrix: row 'no' must give a value for each predicted class",
        ),
        (
            lambda d: d["target"].update(group_column="shop", time_column="day"),
            r"target: give group_column or time_column, not both",
        ),
    ],
)
def test_a_wrong_field_is_named_in_one_line(tmp_path, change, expected):
    document = {
        **MINIMAL_FRAMING,
        "risks": [],
        "sources": {"a": {"kind": "csv", "path": "a.csv"}},
        "mart": {"base": "a"},
    }
    document = yaml.safe_load(yaml.safe_dump(document))
    change(document)
    path = tmp_path / "atelier.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(CharterError, match=expected) as caught:
        load_charter(path)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_missing_charter_and_invalid_yaml_are_explained(tmp_path):
    with pytest.raises(CharterError, match="no charter here; create one with `atelier init"):
        load_charter(tmp_path / "atelier.yaml")
    (tmp_path / "atelier.yaml").write_text("project: [unclosed\n")
    with pytest.raises(CharterError, match=r"invalid YAML at line 2"):
        load_charter(tmp_path / "atelier.yaml")


def test_environment_references_resolve_without_leaking_values(monkeypatch):
    monkeypatch.setenv("DB_PASSWORD", "s3cret")
    assert resolve_environment("u:${DB_PASSWORD}@h", field="f") == "u:s3cret@h"
    assert resolve_environment("port ${UNSET_PORT_X:-8765}", field="f") == "port 8765"
    monkeypatch.delenv("DB_PASSWORD")
    with pytest.raises(CharterError, match=r"^sources\.x\.url: environment variable DB_PASSWORD"):
        resolve_environment("u:${DB_PASSWORD}@h", field="sources.x.url")


def test_column_names_are_matched_in_snake_case(tmp_path):
    write_charter(
        tmp_path,
        {"a": {"kind": "csv", "path": "a.csv"}, "b": {"kind": "csv", "path": "b.csv"}},
        {"base": "a", "joins": [{"source": "b", "on": "CustomerID"}]},
        target={"column": "Churn Label", "time_column": "Signed On"},
    )
    charter = load_charter(tmp_path / "atelier.yaml")
    assert charter.mart.joins[0].on == ["customer_id"]
    assert charter.target.column == "churn_label"
    assert charter.target.time_column == "signed_on"


def test_the_charters_names_of_metrics_and_families_are_the_searchs():
    from typing import get_args

    from atelier.charter._model import FamilyName, MetricName
    from atelier.learn._families import FAMILIES
    from atelier.learn._metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS

    assert set(get_args(MetricName)) == {*CLASSIFICATION_METRICS, *REGRESSION_METRICS}
    assert set(get_args(FamilyName)) == set(FAMILIES)
