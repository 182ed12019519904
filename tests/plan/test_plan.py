"""The plan: PERT and CPM against a textbook, the deadline's chances, people, progress."""

import datetime as dt
import json
from types import SimpleNamespace

import pytest
import yaml

from atelier import Project
from atelier.exceptions import CharterError
from atelier.plan import chance_of_meeting, critical_path_method, dependency_graph, plan
from tests.conftest import credit_holders, write_charter

# Hillier and Lieberman, Introduction to Operations Research: the Reliable Construction
# Company's bid (weeks). Published: mean length 44, critical path A B C E F J L N,
# variance 9, a 0.84 chance of finishing within 47 weeks, slacks D G H M 4, I 2, K 1.
RELIABLE = {
    "A": ((1, 2, 3), []),
    "B": ((2, 3.5, 8), ["A"]),
    "C": ((6, 9, 18), ["B"]),
    "D": ((4, 5.5, 10), ["C"]),
    "E": ((1, 4.5, 5), ["C"]),
    "F": ((4, 4, 10), ["E"]),
    "G": ((5, 6.5, 11), ["D"]),
    "H": ((5, 8, 17), ["E", "G"]),
    "I": ((3, 7.5, 9), ["C"]),
    "J": ((3, 9, 9), ["F", "I"]),
    "K": ((4, 4, 4), ["J"]),
    "L": ((1, 5.5, 7), ["J"]),
    "M": ((1, 2, 3), ["H"]),
    "N": ((5, 5.5, 9), ["K", "L"]),
}


def tasks_of(rows: dict) -> list:
    return [
        SimpleNamespace(id=key, estimate=est, after=after) for key, (est, after) in rows.items()
    ]


def test_pert_and_cpm_give_the_textbook_critical_path_slacks_and_probability():
    graph = dependency_graph(tasks_of(RELIABLE))
    schedule = critical_path_method(graph)
    assert schedule["duration"] == pytest.approx(44)
    assert schedule["critical_path"] == ["A", "B", "C", "E", "F", "J", "L", "N"]
    assert schedule["variance"] == pytest.approx(9)
    slack = {task: row["slack"] for task, row in schedule["tasks"].items()}
    assert {task: round(value, 6) for task, value in slack.items() if value} == {
        "D": 4,
        "G": 4,
        "H": 4,
        "M": 4,
        "I": 2,
        "K": 1,
    }
    assert schedule["tasks"]["H"]["latest_start"] == pytest.approx(33)
    chance = chance_of_meeting(graph, schedule, 47)
    assert chance["normal"]["probability"] == pytest.approx(0.8413, abs=1e-4)
    # the near-critical paths (42 and 41 weeks) make a late end likelier than the
    # normal law of the critical path alone says: the simulation sees them
    simulated = chance["monte_carlo"]
    assert 0.70 < simulated["probability"] < chance["normal"]["probability"] - 0.01
    assert simulated["percentiles"]["50"] == pytest.approx(44, abs=1)


def test_the_simulation_agrees_with_the_normal_law_where_one_path_decides():
    chain = {f"T{i}": ((2, 4, 9), [f"T{i - 1}"] if i else []) for i in range(16)}
    graph = dependency_graph(tasks_of(chain))
    schedule = critical_path_method(graph)
    for margin in (-1.0, 0.0, 0.5, 1.5):
        days = schedule["duration"] + margin * schedule["variance"] ** 0.5
        chance = chance_of_meeting(graph, schedule, days)
        assert chance["monte_carlo"]["probability"] == pytest.approx(
            chance["normal"]["probability"], abs=0.02
        )


def charter_plan(**changes) -> dict:
    base = {
        "start": "2027-01-04",
        "deadline": "2027-02-26",
        "people": [{"name": "Ana"}, {"name": "Bo", "availability": 0.5}],
        "tasks": [
            {"id": "collect", "name": "Collect", "estimate": [2, 3, 4], "stage": "ingest",
             "raci": {"responsible": "Ana", "accountable": "Bo"}},
            {"id": "profile", "name": "Profile", "estimate": [1, 2, 3], "after": "collect",
             "stage": "profile", "raci": {"responsible": "Ana"}},
            {"id": "model", "name": "Model", "estimate": [3, 5, 10], "after": "profile",
             "stage": "train", "raci": {"responsible": "Ana"}},
            {"id": "slides", "name": "Slides", "estimate": [1, 2, 3], "after": "profile",
             "raci": {"responsible": "Ana"}},
            {"id": "defence", "name": "Defence", "estimate": [0, 0, 0],
             "after": ["model", "slides"], "milestone": True},
        ],
    }  # fmt: skip
    return base | changes


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p["tasks"][0].update(after=["defence"]), "a dependency cycle: "),
        (lambda p: p["tasks"][1].update(after=["nowhere"]), "task 'profile': after: 'nowhere'"),
        (lambda p: p["tasks"][2].update(estimate=[5, 4, 3]), "task 'model': estimate: expected"),
        (lambda p: p.update(deadline="2026-12-01"), "deadline: 2026-12-01 is not after"),
        (lambda p: p["tasks"][3]["raci"].update(responsible="Zoe"), "'Zoe' is not one of"),
        (lambda p: p["tasks"][2].update(stage="deploy"), "stage: 'deploy' is not a stage"),
        (  # Bo, at half time, cannot do 44 days of work in the 40 working days given
            lambda p: p["tasks"][2].update(estimate=[22, 22, 22], raci={"responsible": "Bo"}),
            "people: 'Bo' has 22.0 days of work, which at an availability of 0.5 take 44.0",
        ),
    ],
)
def test_a_plan_that_cannot_be_computed_is_refused_in_one_line(tmp_path, change, message):
    from atelier.charter import load_charter

    the_plan = charter_plan()
    change(the_plan)
    path = write_charter(tmp_path, {"a": {"kind": "csv", "path": "a.csv"}}, plan=the_plan)
    with pytest.raises(CharterError, match=message) as refused:
        load_charter(path)
    assert "\n" not in str(refused.value)


def test_a_cycle_is_named_task_by_task(tmp_path):
    from atelier.charter import load_charter

    the_plan = charter_plan()
    the_plan["tasks"][0]["after"] = ["model"]
    path = write_charter(tmp_path, {"a": {"kind": "csv", "path": "a.csv"}}, plan=the_plan)
    with pytest.raises(CharterError, match="collect -> model -> profile -> collect"):
        load_charter(path)


def test_two_tasks_at_once_overload_their_person_and_levelling_puts_them_in_line(tmp_path):
    the_plan = charter_plan()
    the_plan["tasks"][3]["estimate"] = [5, 5, 5]  # slides beside the model, both Ana's
    the_plan["tasks"][2]["estimate"] = [5, 5, 5]
    write_charter(tmp_path, {"a": {"kind": "csv", "path": "a.csv"}}, plan=the_plan)
    result = plan(Project.load(tmp_path), today=dt.date(2027, 1, 4))
    over = [row for row in result.load if row["over"]]
    assert over and {row["person"] for row in over} == {"Ana"}
    assert max(row["days"] for row in over) == pytest.approx(10)  # two tasks in a 5-day week
    levelled = result.levelled
    assert levelled["delay"] == pytest.approx(5)  # one task after the other
    assert not any(row["over"] for row in levelled["load"])
    assert (tmp_path / ".atelier" / "artifacts" / "plan" / "gantt.png").stat().st_size > 10_000


@pytest.mark.slow
def test_progress_follows_a_real_run(tmp_path, monkeypatch):
    import atelier.explore._stage
    from atelier.runner import run

    project = credit_holders(tmp_path, plan=charter_plan())

    def interrupted(folder, **_):
        raise KeyboardInterrupt

    monkeypatch.setattr(atelier.explore._stage, "write_result", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(project, report=False)  # ingest, privacy, profile and clean complete
    today = dt.date.today()
    result = plan(Project.load(tmp_path), today=dt.date(2027, 1, 13))
    done = {row["id"]: row["done_on"] for row in result.tasks if row["done"]}
    assert done == {"collect": today.isoformat(), "profile": today.isoformat()}
    progress = result.progress
    assert progress["earned_value"] == pytest.approx(5)  # 3 + 2 expected days
    assert progress["planned_value"] > progress["earned_value"]  # the model is due too
    assert progress["schedule_performance"] < 1 and progress["forecast_days"] > result.duration
    assert result.critical_path == ["collect", "profile", "model", "defence"]
    saved = json.loads((tmp_path / ".atelier" / "artifacts" / "plan" / "result.json").read_text())
    assert saved["progress"] == json.loads(json.dumps(progress))


def test_without_a_plan_a_crisp_dm_plan_tied_to_the_stages_is_proposed(tmp_path):
    write_charter(tmp_path, {"a": {"kind": "csv", "path": "a.csv"}})
    result = plan(Project.load(tmp_path), today=dt.date(2026, 12, 4))
    assert result.proposed and result.start == "2026-12-07"  # the next Monday
    stages = {row["stage"] for row in result.tasks} - {None}
    assert {"ingest", "profile", "clean", "train", "deep", "report"} <= stages
    assert result.critical_path[0] == "framing" and result.critical_path[-1] == "defence"
    text = yaml.safe_dump(result.tasks[0], allow_unicode=True)
    assert "Framing" in text
