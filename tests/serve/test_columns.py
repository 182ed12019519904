"""Text columns are checked alike whether they came as JSON lists or as Arrow arrays."""

import numpy as np
import pyarrow as pa
import pytest

from atelier.serve._request import RequestError, RequestModel, distinct_values, rows_holding

TEXTS = ["Two year", None, "two YEAR", "Month-to-month", "x" * 5, None, "Two year"]
SCHEMA = {
    "columns": [
        {"name": "contract", "type": "string", "nullable": True,
         "categories": ["Month-to-month", "One year", "Two year"]},
    ]
}  # fmt: skip


@pytest.fixture(params=["list", "arrow"])
def texts(request):
    if request.param == "list":
        return list(TEXTS)
    return pa.array(TEXTS, type=pa.large_string())


def test_distinct_values_and_the_rows_holding_them(texts):
    assert distinct_values(texts) == set(TEXTS)
    holding = rows_holding(texts, {None, "x" * 5})
    assert isinstance(holding, np.ndarray) and holding.dtype == bool
    assert holding.tolist() == [False, True, False, False, True, True, False]
    assert not rows_holding(texts, {"One year"}).any()


def test_a_category_is_spelled_as_in_training_and_an_unknown_one_is_named(texts):
    model = RequestModel(SCHEMA)
    valid = texts[:4] if isinstance(texts, list) else texts.slice(0, 4)
    canonical = model.canonical_columns({"contract": valid}, "body")["contract"]
    as_list = canonical if isinstance(canonical, list) else canonical.to_pylist()
    assert as_list == ["Two year", None, "Two year", "Month-to-month"]
    with pytest.raises(RequestError, match=r"record 4, field 'contract': Input should be") as error:
        model.canonical_columns({"contract": texts}, "body")
    assert [problem["record"] for problem in error.value.errors] == [4]
