import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils._param_validation import InvalidParameterError

from atelier.clean import Cleaner, cleaner_state, load_cleaner


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e", "f"],
            "method": ["Card", "card", "CARD", "Cash", "cash ", "Cash"],
            "code": ["x", "?", "y", "NA", "x", "x"],
            "amount": [10.0, 11.0, 12.0, 13.0, 500.0, np.nan],
            "age": [30, -999, 40, 50, 60, 70],
            "mixed": ["1", "2", "abc", "4", "5", "6"],
        }
    )


def full_cleaner() -> Cleaner:
    return Cleaner(
        drop_columns=["id"],
        missing_values={"code": ["?", "na"]},
        placeholders={"age": [-999]},
        to_numeric=["mixed"],
        unify_spellings=["method"],
        cap_outliers={"amount": (0.0, 100.0)},
        impute={"code": "most_frequent", "amount": "median", "age": "mean", "mixed": 0},
    )


def test_every_step_in_order(frame):
    cleaned = full_cleaner().fit_transform(frame)
    assert list(cleaned.columns) == ["method", "code", "amount", "age", "mixed"]
    assert cleaned["method"].tolist() == ["Card", "Card", "Card", "Cash", "Cash", "Cash"]
    assert cleaned["code"].tolist() == ["x", "x", "y", "x", "x", "x"]
    # capped first (500 -> 100), then the median of [10, 11, 12, 13, 100] fills the gap
    assert cleaned["amount"].tolist() == [10.0, 11.0, 12.0, 13.0, 100.0, 12.0]
    assert cleaned["age"].tolist() == [30, 50, 40, 50, 60, 70]
    assert cleaned["mixed"].tolist() == [1, 2, 0, 4, 5, 6]


def test_prediction_time_uses_what_training_learned(frame):
    cleaner = Cleaner(
        unify_spellings=["method"], impute={"amount": "median"}, cap_outliers={"amount": "tukey"}
    ).fit(frame)
    later = pd.DataFrame(
        {
            "method": ["CASH", "Chèque"],
            "amount": [np.nan, 1e9],
            "id": ["z", "y"],
            "code": ["x", "x"],
            "age": [1, 2],
            "mixed": ["1", "1"],
        }
    )
    cleaned = cleaner.transform(later)
    assert cleaned["method"].tolist() == ["Cash", "Chèque"]  # unseen spelling, known form
    assert cleaned["amount"].iloc[0] == cleaner.impute_values_["amount"]
    assert cleaned["amount"].iloc[1] == cleaner.caps_["amount"][1]
    first, third = np.nanquantile(frame["amount"], [0.25, 0.75])
    assert cleaner.caps_["amount"] == pytest.approx(
        (first - 3 * (third - first), third + 3 * (third - first))
    )


def test_explain_counts_what_each_step_changed(frame):
    log = full_cleaner().fit(frame).explain(frame)
    changed = {(entry["action"], entry["column"]): entry["rows"] for entry in log}
    assert changed == {
        ("drop_column", "id"): 6,
        ("to_missing", "code"): 2,
        ("placeholder_to_missing", "age"): 1,
        ("to_numeric", "mixed"): 1,
        ("unify_spellings", "method"): 3,
        ("cap_outliers", "amount"): 1,
        ("impute", "code"): 2,
        ("impute", "amount"): 1,
        ("impute", "age"): 1,
        ("impute", "mixed"): 1,
    }
    dropped = next(entry for entry in log if entry["action"] == "drop_column")
    assert set(dropped["before"]) == {"missing", "distinct"}, "no values of dropped columns"


def test_estimator_contract(frame):
    cleaner = full_cleaner()
    assert clone(cleaner).get_params() == cleaner.get_params()
    assert not hasattr(cleaner, "impute_values_")
    assert cleaner.fit(frame) is cleaner
    assert list(cleaner.get_feature_names_out()) == ["method", "code", "amount", "age", "mixed"]
    with pytest.raises(InvalidParameterError, match="The 'drop_columns' parameter of Cleaner"):
        Cleaner(drop_columns="id").fit(frame)
    with pytest.raises(TypeError, match="Cleaner works on a pandas DataFrame"):
        Cleaner().fit(frame.to_numpy())
    with pytest.raises(ValueError, match=r"column\(s\) \['nope'\] are not in the data"):
        Cleaner(impute={"nope": "mean"}).fit(frame)


def test_inside_a_scikit_learn_pipeline(frame):
    y = [0, 1, 0, 1, 1, 0]
    encode = ColumnTransformer(
        [("categories", OneHotEncoder(handle_unknown="ignore"), ["method", "code"])],
        remainder="passthrough",
    )
    model = make_pipeline(full_cleaner(), encode, LogisticRegression()).fit(frame, y)
    assert model.predict_proba(frame).shape == (6, 2)


def test_fitted_state_round_trips_through_json(frame):
    import json

    cleaner = full_cleaner().fit(frame)
    restored = load_cleaner(json.loads(json.dumps(cleaner_state(cleaner))))
    pd.testing.assert_frame_equal(restored.transform(frame), cleaner.transform(frame))
