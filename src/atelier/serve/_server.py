"""Run the API with uvicorn: one process, or several workers that each load the model."""

import logging
import os
from pathlib import Path

from atelier._project import Project
from atelier.exceptions import ExposureError
from atelier.serve._app import DEFAULT_MAX_BODY, api_keys_from_environment, create_app
from atelier.serve._service import ModelService

PROJECT_VARIABLE = "ATELIER_SERVE_PROJECT"
MAX_BODY_VARIABLE = "ATELIER_SERVE_MAX_BODY"
ONLINE_VARIABLE = "ATELIER_SERVE_ONLINE"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def app_from_environment():
    """The app for one uvicorn worker, configured through the environment by :func:`serve`."""
    project = Project.load(Path(os.environ[PROJECT_VARIABLE]))
    return create_app(
        _served(project),
        api_keys=api_keys_from_environment(),
        max_body_bytes=int(os.environ.get(MAX_BODY_VARIABLE, DEFAULT_MAX_BODY)),
        online=_online(project, os.environ.get(ONLINE_VARIABLE)),
    )


def _served(project: Project) -> ModelService:
    """The project's champion, its boosters compiled for serving."""
    service = ModelService.from_project(project)
    service.compile_boosters()
    return service


def _online(project: Project, url: str | None):
    """The online store and key column, or None when the project has none."""
    from atelier.online import entity_key, online_store

    store = online_store(project, url)
    return None if store is None else (store, entity_key(project.charter))


def serve(
    project: Project,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    max_body_bytes: int = DEFAULT_MAX_BODY,
    online_url: str | None = None,
) -> None:
    """Serve the project's champion until interrupted.

    Parameters
    ----------
    project : Project
    host, port : str, int
        Where to listen. Any address but the loopback needs ``ATELIER_API_KEYS``.
    workers : int
        uvicorn worker processes, each with its own copy of the model.
    max_body_bytes : int
        Larger request bodies get 413.
    online_url : str or None
        A Redis URL for ``POST /v1/predict/online`` (default: the charter's
        ``online.url``; none when neither is set).

    Raises
    ------
    ExposureError
        When asked to listen beyond this machine without API keys.
    StageOrderError
        When the project has no registered model.
    """
    import uvicorn

    keys = api_keys_from_environment()
    if host not in LOOPBACK and not keys:
        raise ExposureError(
            f"--host {host}: the API would be reachable from other machines without a key; "
            "set ATELIER_API_KEYS (comma-separated keys) in the environment"
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = {"host": host, "port": port, "access_log": False, "log_level": "warning"}
    if workers == 1:
        app = create_app(
            _served(project),
            api_keys=keys,
            max_body_bytes=max_body_bytes,
            online=_online(project, online_url),
        )
        logging.getLogger("atelier.serve").info("serving on http://%s:%d/docs", host, port)
        uvicorn.run(app, **settings)
        return
    ModelService.from_project(project)  # fail here, once, rather than in every worker
    os.environ[PROJECT_VARIABLE] = str(project.root)
    os.environ[MAX_BODY_VARIABLE] = str(max_body_bytes)
    if online_url is not None:
        os.environ[ONLINE_VARIABLE] = online_url
    logging.getLogger("atelier.serve").info(
        "serving on http://%s:%d/docs with %d workers", host, port, workers
    )
    uvicorn.run(
        "atelier.serve._server:app_from_environment", factory=True, workers=workers, **settings
    )
