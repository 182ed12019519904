import duckdb
import pytest

from atelier.charter import HttpSource
from atelier.exceptions import CharterError, SourceError
from atelier.sources import snapshot_source
from tests.conftest import json_api, json_body

RECORDS = [{"id": index, "label": f"plan {index}"} for index in range(1, 11)]


def http(url: str, **options) -> HttpSource:
    return HttpSource(kind="http", url=url, **options)


def load(snapshot) -> list[tuple]:
    return duckdb.sql(f"SELECT * FROM {snapshot.table_expression} ORDER BY id").fetchall()


def test_page_number_pagination_reads_every_page(tmp_path):
    seen = []

    def route(path, query):
        page, size = int(query["page"]), int(query["size"])
        seen.append(page)
        return json_body({"data": {"items": RECORDS[(page - 1) * size : page * size]}})

    with json_api(route) as base:
        spec = http(
            f"{base}/plans",
            records="data.items",
            pagination={"style": "page", "param": "page", "size_param": "size", "size": 4},
        )
        snapshot = snapshot_source("plans", spec, tmp_path, tmp_path / "scratch")
        rows = load(snapshot)
    assert seen == [1, 2, 3]
    assert rows == [(record["id"], record["label"]) for record in RECORDS]
    assert snapshot.details["pages"] == 3


def test_next_link_pagination_follows_relative_links(tmp_path):
    def route(path, query):
        cursor = int(query.get("after", 0))
        chunk = RECORDS[cursor : cursor + 3]
        following = f"/plans?after={cursor + 3}" if cursor + 3 < len(RECORDS) else None
        return json_body({"results": chunk, "links": {"next": following}})

    with json_api(route) as base:
        spec = http(
            f"{base}/plans",
            records="results",
            pagination={"style": "next_link", "next": "links.next"},
        )
        snapshot = snapshot_source("plans", spec, tmp_path, tmp_path / "scratch")
        assert len(load(snapshot)) == len(RECORDS)
        assert snapshot.details["pages"] == 4


def test_same_records_give_the_same_hash(tmp_path):
    with json_api(lambda path, query: json_body(RECORDS)) as base:
        first = snapshot_source("p", http(base), tmp_path, tmp_path / "a")
        second = snapshot_source("p", http(base), tmp_path, tmp_path / "b")
    assert first.content_hash == second.content_hash


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ((500, "text/plain", b"boom"), r"GET .* answered 500 Internal Server Error"),
        ((200, "text/html", b"<html>oops</html>"), r"did not answer JSON \(text/html, 17 bytes\)"),
        ((200, "application/json", b'{"rows": []}'), r"has no field 'items' \(it has \['rows'\]\)"),
        (
            (200, "application/json", b'{"items": [1, 2]}'),
            r"field 'items' .* is not a list of records",
        ),
        ((200, "application/json", b'{"items": []}'), r"returned no records"),
    ],
)
def test_bad_answers_are_one_clear_error(tmp_path, answer, expected):
    with (
        json_api(lambda path, query: answer) as base,
        pytest.raises(SourceError, match=rf"^source 'plans': .*{expected}") as caught,
    ):
        snapshot_source("plans", http(base, records="items"), tmp_path, tmp_path)
    assert "\n" not in str(caught.value)


def test_unreachable_server_is_named(tmp_path):
    with pytest.raises(SourceError, match=r"^source 'plans': cannot reach http://127\.0\.0\.1:9/x"):
        snapshot_source("plans", http("http://127.0.0.1:9/x"), tmp_path, tmp_path)


def test_header_secrets_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANS_TOKEN", "t0ken")
    with json_api(lambda path, query: json_body(RECORDS)) as base:
        spec = http(base, headers={"Authorization": "Bearer ${PLANS_TOKEN}"})
        snapshot = snapshot_source("plans", spec, tmp_path, tmp_path)
    assert "t0ken" not in snapshot.location
    monkeypatch.delenv("PLANS_TOKEN")
    with pytest.raises(CharterError, match="environment variable PLANS_TOKEN is not set"):
        snapshot_source("plans", spec, tmp_path, tmp_path)
