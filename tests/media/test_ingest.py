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
