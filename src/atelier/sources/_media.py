"""Media sources (images, sounds): one row per file, read by :mod:`atelier.media`."""

from collections.abc import Callable
from pathlib import Path

from atelier.charter import AudioSource, ImagesSource
from atelier.sources._snapshot import SourceSnapshot


def snapshot_media(
    name: str, spec: ImagesSource | AudioSource, resolve: Callable[[str], Path]
) -> SourceSnapshot:
    """Locate and hash the files of a source; their records are built only to load.

    The content hash covers every file's name, label and bytes, so a changed, added,
    removed or relabelled file reloads the source.
    """
    from atelier.media import file_items

    items = file_items(name, spec, resolve)
    if getattr(spec, "idx", None) is not None:
        location, layout = str(resolve(spec.idx.images)), "idx"
    elif spec.index is not None:
        location, layout = str(resolve(spec.index)), "index"
    else:
        location, layout = str(resolve(spec.path)), "folders"
    return SourceSnapshot(
        name=name,
        kind=spec.kind,
        location=location,
        content_hash=items.content_hash,
        load_arrow=items.records,
        details={"layout": layout, "items": len(items.items), "labels": len(set(items.labels))},
    )
