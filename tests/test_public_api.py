import subprocess
import sys

import pytest

import atelier
from atelier import charter, clean, demo, explore, learn, quality, sources, warehouse


@pytest.mark.parametrize(
    "module", [atelier, charter, clean, demo, explore, learn, quality, sources, warehouse]
)
def test_every_exported_name_exists_and_is_documented(module):
    for name in module.__all__:
        member = getattr(module, name)
        if callable(member) and not name.startswith("_"):
            assert member.__doc__, f"{module.__name__}.{name} has no docstring"


def test_errors_form_one_tree():
    for name in ("CharterError", "SourceError", "DataError", "StageOrderError"):
        assert issubclass(getattr(atelier, name), atelier.AtelierError)
    assert issubclass(atelier.SchemaChangedError, atelier.SourceError)


def test_importing_atelier_and_its_cli_stays_light():
    heavy = [
        "duckdb",
        "pandas",
        "pyarrow",
        "matplotlib",
        "sqlalchemy",
        "torch",
        "httpx",
        "sklearn",
        "optuna",
        "lightgbm",
        "mlflow",
    ]
    code = f"import sys, atelier, atelier.cli; print([m for m in {heavy!r} if m in sys.modules])"
    process = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert process.stdout.strip() == "[]", process.stdout + process.stderr


def test_the_report_renders_from_artifacts_without_loading_the_stages_libraries():
    stages = ["sklearn", "scipy", "optuna", "lightgbm", "mlflow", "fastapi", "streamlit", "shap"]
    code = (
        "import sys, atelier.report, atelier.runner; "
        f"print([m for m in {stages!r} if m in sys.modules])"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[]"
