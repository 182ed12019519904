"""Media sources (images): one row per file, read by :mod:`atelier.media`."""

from collections.abc import Callable
from pathlib import Path

from atelier.charter import ImagesSource
from atelier.sources._snapshot import SourceSnapshot


def snapshot_images(
    name: str, spec: ImagesSource, resolve: Callable[[str], Path]
) -> SourceSnapshot:
    """Locate and hash the images of a source; their records are built only to load.

    The content hash covers every image's name, label and bytes, so a changed,
    added, removed or relabelled image reloads the source.
    """
    from atelier.media import image_items

    items = image_items(name, spec, resolve)
    if spec.idx is not None:
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
