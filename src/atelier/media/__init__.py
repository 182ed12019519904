"""Images and sounds as a source of rows: reading, checking and decoding files.

A library, not a stage: ingest records what it finds in the files, the profile reports
their quality, the train and deep stages decode them into arrays, and the API decodes
an upload the same way.
"""

from atelier.media._idx import read_idx
from atelier.media._images import (
    IMAGE_SUFFIXES,
    ImageProblem,
    ImageShape,
    decode_image,
    probe_image,
)
from atelier.media._items import (
    MEDIA_RECORD_COLUMNS,
    UNUSABLE_PROBLEMS,
    ImageInput,
    MediaItems,
    SoundInput,
    file_items,
    image_shape,
    media_items,
    sound_card_input,
    usable_images,
    usable_sounds,
)

__all__ = [
    "IMAGE_SUFFIXES",
    "MEDIA_RECORD_COLUMNS",
    "UNUSABLE_PROBLEMS",
    "ImageInput",
    "ImagePixels",
    "ImageProblem",
    "ImageShape",
    "MediaItems",
    "SoundFeatures",
    "SoundInput",
    "decode_image",
    "file_items",
    "image_shape",
    "media_items",
    "probe_image",
    "read_idx",
    "sound_card_input",
    "usable_images",
    "usable_sounds",
]

# The two scikit-learn transformers are imported when first asked for: the profile and
# ingest read media records without paying for scikit-learn's import.
_ESTIMATORS = {"ImagePixels": "atelier.media._pixels", "SoundFeatures": "atelier.media._sounds"}


def __getattr__(name: str):
    if name in _ESTIMATORS:
        from importlib import import_module

        return getattr(import_module(_ESTIMATORS[name]), name)
    raise AttributeError(f"module 'atelier.media' has no attribute {name!r}")
