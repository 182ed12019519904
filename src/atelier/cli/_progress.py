"""The Rich progress display of ``atelier run``: one line per stage, as it runs."""

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class StageProgress:
    """A listener for :func:`atelier.runner.run` that shows each stage's state live."""

    def __init__(self, console: Console | None = None) -> None:
        self.progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/]"),
            TextColumn("{task.description:<10}"),
            TextColumn("{task.fields[state]}"),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
        )
        self.tasks = {}

    def __enter__(self) -> "StageProgress":
        self.progress.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.progress.stop()

    def started(self, stage: str) -> None:
        """Show ``stage`` as running."""
        self.tasks[stage] = self.progress.add_task(stage, total=1, state="running")

    def finished(self, outcome) -> None:
        """Show how a stage ended: ran (with its time) or skipped."""
        states = {
            "skipped": "[dim]skipped: inputs unchanged[/]",
            "unavailable": "[dim]not run: its libraries are not installed[/]",
            "not applicable": "[dim]not applicable[/]",
        }
        state = states.get(outcome.status, f"done in {outcome.duration_s:.1f} s")
        self.progress.update(self.tasks[outcome.name], completed=1, state=state)
