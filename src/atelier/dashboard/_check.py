"""``atelier dashboard --check``: every page rendered by Streamlit's own test runner."""

import os

from atelier._artifacts import champion_result, write_check
from atelier._project import Project
from atelier.dashboard._run import APP_FILE, PROJECT_VARIABLE, pages_for
from atelier.serve import ModelService

PAGE_TIMEOUT_S = 180


def check_dashboard(project: Project) -> dict:
    """Render each page of the dashboard on the project's champion; record what happened.

    The outcome goes to ``.atelier/artifacts/checks/dashboard.json`` with the hash of
    the model the pages showed.

    Returns
    -------
    dict
        ``passed``, ``model_sha256`` and ``pages``: each page with the exceptions it
        raised (none when it rendered).
    """
    from streamlit.testing.v1 import AppTest

    service = ModelService.from_project(project)  # says so when nothing was trained
    trained = champion_result(project.artifacts_dir)  # the model being served
    from streamlit.logger import set_log_level

    # bare-mode runs warn of a missing script context on every page: not the user's concern
    set_log_level("error")
    previous = os.environ.get(PROJECT_VARIABLE)
    os.environ[PROJECT_VARIABLE] = str(project.root)
    pages = []
    try:
        for slug in pages_for(service):
            app = AppTest.from_file(str(APP_FILE), default_timeout=PAGE_TIMEOUT_S)
            app.query_params["page"] = slug
            app.run()
            errors = [str(e.message).splitlines()[0] for e in app.exception]
            pages.append({"page": slug, "errors": errors, "elements": len(app.markdown)})
    finally:
        if previous is None:
            os.environ.pop(PROJECT_VARIABLE, None)
        else:
            os.environ[PROJECT_VARIABLE] = previous
    outcome = {
        "passed": all(not page["errors"] and page["elements"] for page in pages),
        "model_sha256": trained["model_sha256"],
        "pages": pages,
    }
    write_check(project.artifacts_dir, "dashboard", outcome)
    return outcome
