"""The dashboard for business users (Streamlit), over the same model code as the API.

``atelier dashboard -p DIR`` runs :mod:`atelier.dashboard.app` with Streamlit. Its
pages: the project's question and the model's answer; a what-if form for one
customer with the three reasons that weigh most; batch scoring of a file; and a
drift check of a batch against the training data.
"""

from atelier.dashboard._check import check_dashboard
from atelier.dashboard._run import APP_FILE, PAGES, run_dashboard

__all__ = ["APP_FILE", "PAGES", "check_dashboard", "run_dashboard"]
