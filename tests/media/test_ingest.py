import pytest

from atelier import Project
from atelier.exceptions import SourceError
from atelier.warehouse import ingest
from tests.media.conftest import add_bad_images


def test_images_land_in_the_warehouse_with_their_record(digit_project):
    expected = add_bad_images(digit_project / "data" / "digits")
    project = Project.load(digit_project)
    result = ingest(project)
    assert result.sources[0].rows == 404
    with project.connect() as connection:
        rows = connection.execute(
            "SELECT item, label, problem, width, height, channels, format, sha256, "
            "_atelier_source FROM raw.digits"
        ).fetchall()
    by_item = {row[0]: row for row in rows}
    for item, problem in expected.items():
        assert by_item[item][2] == problem
    assert by_item["three/truncated.png"][3] is None
    assert by_item["six/larger.png"][3:6] == (16, 16, 1)
    assert by_item["five/really_a_jpeg.png"][5:7] == (3, "JPEG")
    assert {row[1] for row in rows} == {
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
    }
    assert all(len(row[7]) == 64 and row[8] == "digits" for row in rows)


def test_a_changed_image_reloads_the_source(digit_project):
    project = Project.load(digit_project)
    ingest(project)
    assert ingest(project).sources[0].status == "unchanged"
    image = next((digit_project / "data" / "digits" / "seven").glob("*.png"))
    image.rename(image.parent.parent / "one" / image.name)  # relabelled
    assert ingest(project).sources[0].status == "loaded"


def test_a_folder_without_label_subfolders_is_refused(tmp_path):
    from tests.conftest import write_charter

    (tmp_path / "data" / "flat").mkdir(parents=True)
    write_charter(tmp_path, {"flat": {"kind": "images", "path": "data/flat"}})
    with pytest.raises(SourceError, match=r"no image in .*one subfolder per label"):
        ingest(Project.load(tmp_path))


def test_the_profile_reports_what_is_wrong_with_the_files(digit_project):
    from atelier.quality import profile

    folder = digit_project / "data" / "digits"
    add_bad_images(folder)
    copy = next((folder / "two").glob("*.png"))
    (folder / "seven" / "copy_of_a_two.png").write_bytes(copy.read_bytes())
    for extra in sorted((folder / "nine").glob("*.png"))[3:]:
        extra.unlink()
    project = Project.load(digit_project)
    ingest(project)
    findings = {f.kind: f for f in profile(project).findings}
    assert findings["unreadable_media"].rows in (1, 2)
    unreadable = sum(f.rows for f in profile(project).findings if f.kind == "unreadable_media")
    assert unreadable == 2
    assert findings["media_mismatch"].examples == ["five/really_a_jpeg.png"]
    assert findings["duplicate_media"].severity == "critical"  # a two labelled seven
    assert findings["mixed_sizes"].examples == ["16x16"]
    assert findings["rare_label"].examples == ["nine"]
    assert "duplicate_rows" not in findings


def test_clean_images_have_no_file_finding(digit_project):
    from atelier.quality import profile

    project = Project.load(digit_project)
    ingest(project)
    kinds = {f.kind for f in profile(project).findings}
    assert not kinds & {"unreadable_media", "media_mismatch", "duplicate_media", "mixed_sizes"}


def _idx(path, array):
    import gzip

    import numpy as np

    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    with gzip.open(path, "wb") as stream:
        stream.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def test_idx_files_are_a_source_of_labelled_images(tmp_path):
    import numpy as np

    from tests.conftest import write_charter

    rng = np.random.default_rng(0)
    (tmp_path / "data").mkdir()
    _idx(tmp_path / "data" / "images.gz", rng.integers(0, 255, (30, 6, 5)))
    _idx(tmp_path / "data" / "labels.gz", np.arange(30) % 3)
    source = {
        "kind": "images",
        "idx": {"images": "data/images.gz", "labels": "data/labels.gz"},
        "label_names": ["cat", "dog", "bird"],
        "key": "item",
    }
    write_charter(tmp_path, {"pets": source}, target={"column": "label"})
    project = Project.load(tmp_path)
    ingest(project)
    with project.connect() as connection:
        rows = connection.execute(
            "SELECT item, label, format, width, height FROM raw.pets ORDER BY item LIMIT 2"
        ).fetchall()
    assert rows[0] == ("images.gz#0", "cat", "IDX", 5, 6)
    from atelier.media import media_items

    pixels = media_items(project, "pets").images(["images.gz#1"], (5, 6), 1)
    assert pixels.shape == (1, 1, 6, 5) and pixels.min() >= 0 and pixels.max() <= 1


def test_a_truncated_idx_file_is_named(tmp_path):
    import gzip

    from atelier.media import read_idx

    path = tmp_path / "cut.gz"
    with gzip.open(path, "wb") as stream:
        stream.write(bytes([0, 0, 0x08, 3]) + (10).to_bytes(4, "big") * 3 + b"\0" * 50)
    with pytest.raises(SourceError, match=r"cut\.gz: truncated IDX file"):
        read_idx(path)
    path.write_bytes(b"not idx at all")
    with pytest.raises(SourceError, match=r"cut\.gz: cannot read the IDX file"):
        read_idx(path)
    plain = tmp_path / "plain-idx3-ubyte"
    plain.write_bytes(b"not idx at all")
    with pytest.raises(SourceError, match=r"plain-idx3-ubyte: not an IDX file"):
        read_idx(plain)
