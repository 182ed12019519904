"""The anchors' own virtual environment: created and filled once, reused after."""

import subprocess
import venv
from pathlib import Path


def anchor_python(folder: Path, packages: list[str]) -> str:
    """The Python of the environment in ``folder``, with ``packages`` installed.

    The anchors pin versions that must not constrain atelier's, so they live apart.
    """
    python = folder / "bin" / "python"
    if not python.exists():
        venv.create(folder, with_pip=True)
        installed = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *packages],
            capture_output=True,
            text=True,
            check=False,
        )
        if installed.returncode != 0:
            raise SystemExit(f"installing the anchors failed:\n{installed.stderr[-3000:]}")
    return str(python)
