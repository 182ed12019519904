"""Start the Streamlit server on the dashboard's script."""

import subprocess
import sys
from pathlib import Path

from atelier._project import Project
from atelier.serve import ModelService

APP_FILE = Path(__file__).with_name("app.py")
PROJECT_VARIABLE = "ATELIER_DASHBOARD_PROJECT"
# each page's slug (kept in the address) and the key of its title in atelier/words
PAGES = {
    "answer": "dash_page_answer",
    "what-if": "dash_page_what_if",
    "batch": "dash_page_batch",
    "drift": "dash_page_drift",
    "project": "dash_page_project",
}
# a model of images: its question, and one image to try
IMAGE_PAGES = {
    "answer": "dash_page_answer",
    "try-one": "dash_page_try_one",
    "project": "dash_page_project",
}


SOUND_PAGES = {
    "answer": "dash_page_answer",
    "try-one": "dash_page_try_one_sound",
    "project": "dash_page_project",
}


def pages_for(service: ModelService) -> dict[str, str]:
    """The dashboard's pages for the model ``service`` serves."""
    if service.media_input is None:
        return PAGES
    return SOUND_PAGES if service.media_input["kind"] == "audio" else IMAGE_PAGES


def streamlit_command(project: Project, host: str, port: int) -> list[str]:
    """The command line that serves the dashboard of ``project``."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_FILE),
        "--server.headless=true",
        f"--server.address={host}",
        f"--server.port={port}",
        "--browser.gatherUsageStats=false",
        "--client.toolbarMode=viewer",
        "--",
        "--project",
        str(project.root),
    ]


def run_dashboard(project: Project, *, host: str = "127.0.0.1", port: int = 8501) -> int:
    """Serve the dashboard until interrupted; return Streamlit's exit code.

    Raises
    ------
    StageOrderError
        When the project has no registered model (checked before Streamlit starts).
    """
    ModelService.from_project(project)  # a missing model is one clear line, here
    return subprocess.call(streamlit_command(project, host, port))
