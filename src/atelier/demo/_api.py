"""A small paged JSON API on 127.0.0.1, serving the demo's plan catalogue."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

PLANS_PATH = "/v1/plans"
_MAX_PAGE_SIZE = 100


def _handler_for(records: list[dict]) -> type[BaseHTTPRequestHandler]:
    class PlansHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path != PLANS_PATH:
                self._answer(404, {"error": f"no route {url.path}"})
                return
            query = parse_qs(url.query)
            try:
                page = int(query.get("page", ["1"])[0])
                per_page = min(int(query.get("per_page", ["10"])[0]), _MAX_PAGE_SIZE)
            except ValueError:
                self._answer(400, {"error": "page and per_page must be integers"})
                return
            if page < 1 or per_page < 1:
                self._answer(400, {"error": "page and per_page start at 1"})
                return
            start = (page - 1) * per_page
            self._answer(
                200,
                {
                    "items": records[start : start + per_page],
                    "page": page,
                    "per_page": per_page,
                    "total": len(records),
                },
            )

        def _answer(self, status: int, body: dict) -> None:
            content = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args) -> None:
            pass  # the demo's output stays about the project, not HTTP traffic

    return PlansHandler


@contextmanager
def serve_plans(records_file: Path, port: int = 0) -> Iterator[int]:
    """Serve the records of ``records_file`` at ``http://127.0.0.1:PORT/v1/plans``.

    Pages are asked for with ``?page=N&per_page=M``; an empty page ends the list.
    If ``port`` is taken, any free port is used instead. Yields the port.
    """
    records = json.loads(records_file.read_text(encoding="utf-8"))
    handler = _handler_for(records)
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="demo-plans-api", daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
