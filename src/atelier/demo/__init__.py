"""The churn demo: a real table spread over heterogeneous sources, and a run over it."""

from atelier.demo._api import serve_plans
from atelier.demo._dataset import N_CUSTOMERS, churn_table
from atelier.demo._files import PERSONAL_COLUMNS, SOURCE_FILES
from atelier.demo._run import create_demo, plans_api, run_demo

__all__ = [
    "N_CUSTOMERS",
    "PERSONAL_COLUMNS",
    "SOURCE_FILES",
    "churn_table",
    "create_demo",
    "plans_api",
    "run_demo",
    "serve_plans",
]
