"""Schemathesis fuzzes every operation of the OpenAPI: no input may cause a 5xx.

Valid bodies (generated from the schema: every type, range and category) and
invalid ones (schemathesis' negative mode) are sent to the real server.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.serve.conftest import API_KEY

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_input_makes_the_server_fail(api, mode):
    schema = schemathesis.openapi.from_url(f"{api.base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/health", "/v1/model", "/v1/predict", "/v1/explain"}
    statuses = []
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and operation.method.upper() != "POST":
            continue  # a GET without parameters has nothing to get wrong
        statuses += fuzz(operation, mode, str(api.base_url))
    assert statuses and max(status for _, status in statuses) < 500
    expected = 422 if mode is GenerationMode.NEGATIVE else 200
    for path in ("/v1/predict", "/v1/explain"):
        assert (path, expected) in statuses, f"{path} never answered {expected}: {statuses}"
    assert api.get("/health").status_code == 200


def fuzz(operation, mode, base_url: str) -> list[tuple[str, int]]:
    """Send the cases schemathesis generates for ``operation``; fail on a 5xx."""
    statuses = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    def no_server_error(case):
        response = case.call_and_validate(
            base_url=base_url,
            headers={"X-API-Key": API_KEY},
            checks=[not_a_server_error],
            timeout=120,
        )
        statuses.append((operation.path, response.status_code))

    no_server_error()
    return statuses
