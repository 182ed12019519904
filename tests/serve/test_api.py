import io
import json
import logging

import numpy as np
import pandas as pd
import pytest

from atelier.serve._request import MAX_RECORDS
from tests.serve.conftest import champion_folder, champion_model

pytestmark = pytest.mark.slow


def holdout_like_rows(project, service, n=40) -> pd.DataFrame:
    """Cleaned-mart rows with only the model's input columns."""
    columns = service.request.columns
    frame = project.warehouse.execute("SELECT * FROM mart.customers_clean").df()
    return frame[columns].sample(n, random_state=1).reset_index(drop=True)


def as_records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records"))


# ---- what a client reads and gets --------------------------------------------------


def test_health_is_open_and_every_other_route_needs_a_key(api):
    assert api.get("/health", headers={"X-API-Key": ""}).json()["status"] == "ok"
    for path in ("/v1/model", "/metrics"):
        assert api.get(path, headers={"X-API-Key": "wrong"}).status_code == 401
    missing = api.post("/v1/predict", json={"records": [{}]}, headers={"X-API-Key": ""})
    assert missing.status_code == 401
    assert "X-API-Key" in missing.json()["detail"]
    assert api.get("/v1/model", headers={"X-API-Key": "second-key"}).status_code == 200


def test_the_docs_page_needs_no_internet(api):
    import re

    page = api.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and not [a for a in assets if a.startswith(("http:", "https:", "//"))], assets
    for asset in assets:
        assert api.get(asset).status_code == 200, asset
    assert api.get("/openapi.json").status_code == 200


def test_model_route_describes_version_threshold_and_inputs(api, demo_project, service):
    described = api.get("/v1/model").json()
    # the network serves when it beat the classical model on the hold-out, else train's model
    folder = champion_folder(demo_project.artifacts_dir)
    learned = json.loads((folder / "result.json").read_text())
    card = json.loads((folder / "serving.json").read_text())
    assert described["version"] == learned["registry"]["version"]
    assert described["threshold"] == card["threshold"]
    assert described["metric"]["name"] == learned["metric"]
    inputs = {field["name"]: field for field in described["inputs"]}
    assert set(inputs) == set(service.request.columns)
    assert inputs["contract"]["categories"] == ["Month-to-month", "Two year", "One year"]
    assert inputs["tenure"]["type"] == "integer" and inputs["tenure"]["minimum"] == 0


def test_documented_example_answers_with_prediction_probability_and_decision(api, example):
    answer = api.post("/v1/predict", json=example)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body["predictions"]) == len(example["records"]) >= 1
    for row in body["predictions"]:
        assert 0 <= row["probability"] <= 1
        flagged = row["probability"] >= body["threshold"]
        assert row["decision"] == ("Yes" if flagged else "No")
        assert row["prediction"] == ("Yes" if row["probability"] >= 0.5 else "No")


def test_predictions_match_the_trained_pipeline(api, demo_project, service):
    rows = holdout_like_rows(demo_project, service)
    answer = api.post("/v1/predict", json={"records": as_records(rows)})
    assert answer.status_code == 200, answer.text
    served = [p["probability"] for p in answer.json()["predictions"]]
    expected = champion_model(demo_project.artifacts_dir).predict_proba(rows)[:, 1]
    np.testing.assert_allclose(served, expected, atol=1e-6)


def test_messy_spellings_of_a_category_are_accepted_as_that_category(api, example):
    record = dict(example["records"][0], contract="  month-TO-month ")
    answer = api.post("/v1/predict", json={"records": [record]})
    assert answer.status_code == 200, answer.text


def test_csv_and_parquet_uploads_score_like_json(api, demo_project, service):
    rows = holdout_like_rows(demo_project, service, n=25)
    by_json = api.post("/v1/predict", json={"records": as_records(rows)}).json()["predictions"]
    parquet = io.BytesIO()
    rows.to_parquet(parquet)
    uploads = {
        "batch.csv": rows.to_csv(index=False).encode(),
        "batch.parquet": parquet.getvalue(),
        # a French spreadsheet's export: semicolons, decimal commas, latin-1
        "lot.csv": rows.to_csv(index=False, sep=";", decimal=",").encode("latin-1"),
    }
    for name, content in uploads.items():
        answer = api.post("/v1/predict", files={"file": (name, content)})
        assert answer.status_code == 200, (name, answer.text)
        got = [p["probability"] for p in answer.json()["predictions"]]
        np.testing.assert_allclose(got, [p["probability"] for p in by_json], atol=1e-6)


def test_explanations_add_up_to_the_prediction_and_give_three_reasons(api, example):
    answer = api.post("/v1/explain", json=example)
    assert answer.status_code == 200, answer.text
    predicted = api.post("/v1/predict", json=example).json()["predictions"]
    for explanation, prediction in zip(answer.json()["explanations"], predicted, strict=True):
        assert explanation["explained"] == "the probability that churn = Yes"
        assert explanation["value"] == pytest.approx(prediction["probability"], abs=1e-4)
        total = sum(c["contribution"] for c in explanation["contributions"])
        assert explanation["baseline"] + total == pytest.approx(explanation["value"], abs=1e-4)
        sizes = [abs(c["contribution"]) for c in explanation["contributions"]]
        assert sizes == sorted(sizes, reverse=True)
        assert len(explanation["reasons"]) == 3
        top = explanation["contributions"][0]
        assert explanation["reasons"][0].startswith(f"{top['feature']} = ")
        assert ("raises" if top["contribution"] > 0 else "lowers") in explanation["reasons"][0]


def test_metrics_count_requests_errors_and_predictions_by_class(api, example):
    def value(text, name, **labels):
        for line in text.splitlines():
            if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = api.get("/metrics").text
    decided = [p["decision"] for p in api.post("/v1/predict", json=example).json()["predictions"]]
    api.post("/v1/predict", content=b"{", headers={"content-type": "application/json"})
    after = api.get("/metrics").text
    for label in set(decided):
        grown = value(after, "atelier_predictions_total", label=label) - value(
            before, "atelier_predictions_total", label=label
        )
        assert grown == decided.count(label)
    route = {"route": "/v1/predict"}
    assert value(after, "atelier_errors_total", status="422", **route) == 1 + value(
        before, "atelier_errors_total", status="422", **route
    )
    assert value(after, "atelier_request_duration_seconds_count", **route) >= 2


# ---- bad input: the right 4xx, a clear message, never a 500 -----------------------


def post_json(api, body: bytes):
    return api.post("/v1/predict", content=body, headers={"content-type": "application/json"})


def messages(answer) -> list[str]:
    return [item["msg"] for item in answer.json()["detail"]]


def test_malformed_json_gets_422_saying_so(api):
    answer = post_json(api, b'{"records": [')
    assert answer.status_code == 422
    assert "Invalid JSON" in messages(answer)[0]


def test_wrong_content_type_gets_415(api, example):
    answer = api.post(
        "/v1/predict", content=json.dumps(example), headers={"content-type": "text/plain"}
    )
    assert answer.status_code == 415
    assert "application/json" in answer.json()["detail"]


def test_more_than_the_record_limit_gets_422(api, example):
    records = example["records"][:1] * (MAX_RECORDS + 1)
    answer = api.post("/v1/predict", json={"records": records})
    assert answer.status_code == 422
    assert f"at most {MAX_RECORDS}" in messages(answer)[0]


def test_a_body_beyond_the_size_limit_gets_413_before_it_is_read(api):
    answer = post_json(api, b" " * (50 * 1024 * 1024))
    assert answer.status_code == 413
    assert "larger than" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"tenure": "twelve"}, "tenure", "valid integer"),
        ({"tenure": -5}, "tenure", "greater than or equal to 0"),
        ({"contract": "Weekly"}, "contract", "'Month-to-month' or 'Two year' or 'One year'"),
        ({"loyalty_card": 1}, "loyalty_card", "Extra inputs are not permitted"),
        ({"monthly_charges": None}, "monthly_charges", "valid number"),
        ({"contract": None}, "contract", "valid string"),
        ({"payment_method": "x" * 1_001}, "payment_method", "at most 1000 characters"),
    ],
)
def test_a_bad_field_gets_422_naming_the_record_and_field(api, example, change, field, expected):
    records = [example["records"][0], dict(example["records"][0], **change)]
    answer = api.post("/v1/predict", json={"records": records})
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert (problem["record"], problem["field"]) == (1, field)
    assert problem["msg"].startswith(f"record 1, field {field!r}: ")
    assert expected in problem["msg"]


def test_a_missing_required_field_is_named(api, example):
    record = {k: v for k, v in example["records"][0].items() if k != "contract"}
    answer = api.post("/v1/predict", json={"records": [record]})
    assert answer.status_code == 422
    assert messages(answer) == ["record 0, field 'contract': Field required"]


@pytest.mark.parametrize("token", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
def test_nan_and_infinity_are_refused(api, example, token):
    record = json.dumps(dict(example["records"][0], monthly_charges=0)).encode()
    body = (
        b'{"records": ['
        + record.replace(b'"monthly_charges": 0', b'"monthly_charges": ' + token)
        + b"]}"
    )
    answer = post_json(api, body)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] in ("monthly_charges", None)


def test_uploads_that_are_not_tables_or_lack_columns_get_422(api, demo_project, service):
    answer = api.post("/v1/predict", files={"file": ("batch.parquet", b"not parquet")})
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("batch.parquet: not a readable table")
    answer = api.post("/v1/predict", files={"file": ("batch.xlsx", b"x")})
    assert answer.status_code == 422
    rows = holdout_like_rows(demo_project, service, n=3).drop(columns=["contract"])
    answer = api.post("/v1/predict", files={"file": ("batch.csv", rows.to_csv(index=False))})
    assert answer.status_code == 422
    assert messages(answer)[0] == "record 0, field 'contract': Field required"
    answer = api.post("/v1/predict", files={"other": ("batch.csv", b"a\n1\n")})
    assert answer.status_code == 422


def test_the_server_keeps_serving_and_logs_no_feature_values(api, example, caplog):
    secret = "Sesame-4471"
    with caplog.at_level(logging.INFO, logger="atelier.serve"):
        answer = api.post(
            "/v1/predict", json={"records": [dict(example["records"][0], contract=secret)]}
        )
        api.post("/v1/predict", json=example)
    assert answer.status_code == 422 and secret not in answer.text
    lines = [r.getMessage() for r in caplog.records if r.name == "atelier.serve"]
    assert any(line.startswith("POST /v1/predict 422 ") for line in lines)
    assert any(line.startswith("POST /v1/predict 200 ") for line in lines)
    assert not any(secret in line or "Month-to-month" in line for line in lines)
    assert api.get("/health").status_code == 200


# ---- columns and Arrow streams: the same answers, the same rules -------------------


def as_columns(frame: pd.DataFrame) -> dict:
    return {"columns": {c: json.loads(frame[c].to_json(orient="values")) for c in frame.columns}}


def arrow_stream(frame: pd.DataFrame) -> bytes:
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def post_arrow(api, body: bytes):
    content_type = {"content-type": "application/vnd.apache.arrow.stream"}
    return api.post("/v1/predict", content=body, headers=content_type)


def test_columns_and_arrow_streams_score_like_records(api, demo_project, service):
    rows = holdout_like_rows(demo_project, service, n=60)
    rows.loc[3, "contract"] = " month-TO-month"  # a category's messy spelling, as in records
    by_records = api.post("/v1/predict", json={"records": as_records(rows)})
    by_columns = api.post("/v1/predict", json=as_columns(rows))
    by_arrow = post_arrow(api, arrow_stream(rows))
    # pandas' categories travel as an Arrow dictionary: the same values
    by_dictionary = post_arrow(api, arrow_stream(rows.astype({"contract": "category"})))
    for answer in (by_records, by_columns, by_arrow, by_dictionary):
        assert answer.status_code == 200, answer.text
    expected = by_records.json()["predictions"]
    assert by_columns.json()["predictions"] == expected
    assert by_arrow.json()["predictions"] == expected
    assert by_dictionary.json()["predictions"] == expected


def test_an_arrow_answer_holds_the_json_answer(api, demo_project, service):
    import pyarrow as pa

    rows = holdout_like_rows(demo_project, service, n=40)
    by_json = api.post("/v1/predict", json={"records": as_records(rows)}).json()
    accept = {"accept": "application/vnd.apache.arrow.stream, application/json;q=0.5"}
    answer = api.post("/v1/predict", json=as_columns(rows), headers=accept)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/vnd.apache.arrow.stream"
    table = pa.ipc.open_stream(answer.content).read_all()
    assert table.column_names == ["prediction", "probability", "decision"]
    assert table.to_pylist() == by_json["predictions"]
    assert json.loads(table.schema.metadata[b"model"]) == by_json["model"]
    assert json.loads(table.schema.metadata[b"threshold"]) == by_json["threshold"]
    plain = api.post("/v1/predict", json=as_columns(rows), headers={"accept": "application/json"})
    assert plain.json()["predictions"] == by_json["predictions"]


def test_the_openapi_schema_documents_columns_and_arrow(api):
    body = api.get("/openapi.json").json()["paths"]["/v1/predict"]["post"]["requestBody"]
    assert "application/vnd.apache.arrow.stream" in body["content"]
    shapes = body["content"]["application/json"]["schema"]["oneOf"]
    columns = shapes[1]["properties"]["columns"]
    assert columns["properties"]["tenure"]["items"]["minimum"] == 0
    assert "contract" in columns["required"]


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"tenure": "twelve"}, "tenure", "valid integer"),
        ({"tenure": -5}, "tenure", "greater than or equal to 0"),
        ({"contract": "Weekly"}, "contract", "'Month-to-month' or 'Two year' or 'One year'"),
        ({"monthly_charges": None}, "monthly_charges", "valid number"),
        ({"contract": None}, "contract", "valid string"),
        ({"payment_method": "x" * 1_001}, "payment_method", "at most 1000 characters"),
    ],
)
def test_a_bad_value_in_a_column_gets_the_records_422(api, example, change, field, expected):
    records = [example["records"][0], dict(example["records"][0], **change)]
    by_records = api.post("/v1/predict", json={"records": records}).json()["detail"]
    frame = pd.DataFrame(records)
    for answer in (api.post("/v1/predict", json=as_columns(frame)), post_arrow_if(api, frame)):
        if answer is None:
            continue  # a string among integers cannot be one Arrow column
        assert answer.status_code == 422, answer.text
        [problem] = answer.json()["detail"]
        assert (problem["record"], problem["field"]) == (1, field)
        assert problem["msg"] == by_records[0]["msg"]
        assert expected in problem["msg"]


def post_arrow_if(api, frame: pd.DataFrame):
    import pyarrow as pa

    try:
        return post_arrow(api, arrow_stream(frame))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None


def test_bad_column_bodies_get_one_clear_422(api, example, demo_project, service):
    rows = holdout_like_rows(demo_project, service, n=3)
    columns = as_columns(rows)["columns"]
    unknown = api.post("/v1/predict", json={"columns": {**columns, "loyalty_card": [1, 2, 3]}})
    assert messages(unknown)[0] == "record 0, field 'loyalty_card': Extra inputs are not permitted"
    missing = {k: v for k, v in columns.items() if k != "contract"}
    answer = api.post("/v1/predict", json={"columns": missing})
    assert messages(answer)[0] == "record 0, field 'contract': Field required"
    uneven = api.post("/v1/predict", json={"columns": {**columns, "tenure": [1]}})
    assert uneven.status_code == 422 and "as many values" in messages(uneven)[0]
    for body in ({"columns": []}, {"columns": {}}, {"columns": columns, "records": []}):
        assert api.post("/v1/predict", json=body).status_code == 422
    garbage = post_arrow(api, b"not an arrow stream")
    assert garbage.status_code == 422
    assert messages(garbage)[0].startswith("not an Arrow IPC stream")
