"""Serving: the champion model behind a REST API (FastAPI) and for the dashboard.

:class:`ModelService` loads the registered champion with its schema and card, and
scores, decides and explains; :func:`create_app` puts it behind the API;
:func:`serve` runs that API with uvicorn.
"""

from atelier.serve._app import create_app
from atelier.serve._batch import ScoreResult, score_file
from atelier.serve._check import check_api
from atelier.serve._request import RequestError, RequestModel
from atelier.serve._server import serve
from atelier.serve._service import ModelInfo, ModelService

__all__ = [
    "ModelInfo",
    "ModelService",
    "RequestError",
    "RequestModel",
    "ScoreResult",
    "check_api",
    "create_app",
    "score_file",
    "serve",
]
