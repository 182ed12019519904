"""The decks written: PowerPoint (``python-pptx``) and a self-contained HTML deck.

``atelier slides`` writes ``report/slides/defence.pptx`` and ``defence.html``, and the
data-protection note's ``privacy.pptx`` and ``privacy.html``, from the run's artifacts
(see :mod:`atelier.report._slides`).
"""

import base64
import html
from pathlib import Path

from atelier._artifacts import write_check
from atelier._project import Project
from atelier._text import Text
from atelier.report._artifacts import load_artifacts
from atelier.report._slides import Slide, defence_slides, privacy_slides, timed

SLIDES_DIR = "slides"
WIDE = (13.333, 7.5)  # inches: a 16:9 slide


def build_slides(
    project: Project, minutes: float = 20, privacy_minutes: float = 5, language: str | None = None
) -> dict[str, Path]:
    """Write the defence and the data-protection note, each as PowerPoint and HTML.

    Parameters
    ----------
    project : Project
    minutes, privacy_minutes : float
        The time of each talk; the slides' times add up to it.
    language : {"en", "fr"} or None
        The charter's ``project.language`` when None.

    Returns
    -------
    dict of str to Path
        ``defence.pptx``, ``defence.html``, ``privacy.pptx``, ``privacy.html``.
    """
    for name, value in (("--minutes", minutes), ("--privacy-minutes", privacy_minutes)):
        if value <= 0:
            raise ValueError(f"{name}: expected a positive number of minutes, got {value:g}")
    artifacts = load_artifacts(project)
    text = Text(language or artifacts.charter["project"]["language"])
    folder = project.root / "report" / SLIDES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    decks = (
        ("defence", defence_slides(artifacts, text), minutes),
        ("privacy", privacy_slides(artifacts, text), privacy_minutes),
    )
    record = {}
    for name, slides, length in decks:
        timed(slides, length)
        _with_timing_table(slides, text)
        for suffix, writer in ((".pptx", write_pptx), (".html", write_html)):
            path = folder / f"{name}{suffix}"
            partial = path.with_name(f".{path.name}.partial")
            writer(slides, partial, text)
            partial.replace(path)  # a deck half-written by an interrupted run never stays
            written[path.name] = path
        record[name] = {
            "minutes": length,
            "seconds": sum(slide.seconds for slide in slides),
            "sections": [slide.section for slide in slides],
        }
    # what the dossier credits: decks that cover the run and keep to their minutes
    write_check(project.artifacts_dir, "slides", record)
    return written


def _with_timing_table(slides: list[Slide], text: Text) -> None:
    """Each slide's notes open with its time; the last slide's close with the whole table."""
    elapsed, lines = 0, []
    for number, slide in enumerate(slides, start=1):
        elapsed += slide.seconds
        lines.append(
            text(
                "slides_timing_row",
                n=number,
                title=slide.title,
                seconds=slide.seconds,
                elapsed=f"{elapsed // 60}:{elapsed % 60:02d}",
            )
        )
        slide.notes = f"{text('slides_time', seconds=slide.seconds)} {slide.notes}".strip()
    slides[-1].notes += "\n\n" + text("slides_timing") + "\n" + "\n".join(lines)


def write_pptx(slides: list[Slide], path: Path, text: Text) -> None:
    """A 16:9 PowerPoint deck: title, points, the figure on the right, speaker notes."""
    from pptx import Presentation
    from pptx.util import Inches, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(WIDE[0]), Inches(WIDE[1])
    title_only = deck.slide_layouts[5]
    for slide in slides:
        page = deck.slides.add_slide(title_only)
        page.shapes.title.text = slide.title
        width = 6.4 if slide.figure else 12.3
        box = page.shapes.add_textbox(Inches(0.5), Inches(1.6), Inches(width), Inches(5.4))
        frame = box.text_frame
        frame.word_wrap = True
        for index, point in enumerate(p for p in slide.points if p):
            paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
            paragraph.text = f"• {point}"
            paragraph.font.size = Pt(16)
            paragraph.space_after = Pt(8)
        if slide.figure:
            page.shapes.add_picture(str(slide.figure), Inches(7.1), Inches(1.6), width=Inches(5.8))
        page.notes_slide.notes_text_frame.text = slide.notes
    deck.save(str(path))


def write_html(slides: list[Slide], path: Path, text: Text) -> None:
    """One page per slide, figures inline, arrows to move, ``n`` to show the notes."""
    sections = []
    for number, slide in enumerate(slides, start=1):
        points = "".join(f"<li>{html.escape(p)}</li>" for p in slide.points if p)
        figure = ""
        if slide.figure:
            data = base64.b64encode(Path(slide.figure).read_bytes()).decode()
            figure = f'<img src="data:image/png;base64,{data}" alt="{html.escape(slide.title)}">'
        notes = html.escape(slide.notes).replace("\n", "<br>")
        time = text("slides_time", seconds=slide.seconds)
        sections.append(
            f'<section id="s{number}"><h2>{html.escape(slide.title)}</h2>'
            f'<div class="body"><ul>{points}</ul>{figure}</div>'
            f'<aside class="notes">{notes}</aside>'
            f"<footer>{number} / {len(slides)} · {time}</footer>"
            "</section>"
        )
    page = _PAGE.replace("{title}", html.escape(slides[0].title)).replace("{lang}", text.language)
    path.write_text(page.replace("{sections}", "\n".join(sections)), encoding="utf-8")


_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>
body { margin: 0; font-family: system-ui, sans-serif; background: #1b2631; }
section { display: none; box-sizing: border-box; width: 100vw; height: 100vh; padding: 4vh 5vw;
          background: white; flex-direction: column; }
section.shown { display: flex; }
h2 { color: #1f4e79; font-size: 4.2vh; margin: 0 0 3vh; }
.body { display: flex; gap: 3vw; flex: 1; min-height: 0; }
ul { flex: 1; font-size: 2.6vh; line-height: 1.45; }
img { max-width: 48vw; max-height: 70vh; object-fit: contain; align-self: flex-start; }
aside.notes { display: none; font-size: 1.8vh; color: #444; border-top: 1px solid #ccc; }
body.notes aside.notes { display: block; }
footer { font-size: 1.6vh; color: #888; text-align: right; }
@media print { section { display: flex; page-break-after: always; height: auto; } }
</style></head>
<body>
{sections}
<script>
const pages = [...document.querySelectorAll("section")];
let at = Math.max(0, pages.findIndex(p => "#" + p.id === location.hash));
function show(i) { at = Math.min(Math.max(i, 0), pages.length - 1);
  pages.forEach((p, j) => p.classList.toggle("shown", j === at)); location.hash = pages[at].id; }
document.addEventListener("keydown", e => {
  if (["ArrowRight", "PageDown", " "].includes(e.key)) show(at + 1);
  if (["ArrowLeft", "PageUp"].includes(e.key)) show(at - 1);
  if (e.key === "n") document.body.classList.toggle("notes"); });
show(at);
</script>
</body></html>
"""
