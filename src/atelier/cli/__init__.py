"""The ``atelier`` command line."""

from atelier.cli._app import app


def main() -> None:
    """Run the command line (the ``atelier`` entry point)."""
    app()


__all__ = ["app", "main"]
