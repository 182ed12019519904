import duckdb
import pytest

from atelier.charter import CsvSource
from atelier.exceptions import SourceError
from atelier.sources import snapshot_source

ROWS = "id;name;amount\n1;Éloïse;1889,5\n2;Zoë;29,85\n3;Bob;-3,0\n"


def read(snapshot) -> list[tuple]:
    return duckdb.sql(f"SELECT * FROM {snapshot.table_expression}").fetchall()


def csv(path, **options) -> CsvSource:
    return CsvSource(kind="csv", path=str(path), **options)


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("latin-1", "latin-1"), ("utf-16", "utf-16")],
)
def test_encoding_and_decimal_comma_are_detected(tmp_path, encoding, detected):
    path = tmp_path / "people.csv"
    path.write_bytes(ROWS.encode(encoding))
    snapshot = snapshot_source("people", csv(path), tmp_path, tmp_path / "scratch")
    assert snapshot.details["encoding"] == detected
    assert snapshot.details["decimal"] == ","
    assert read(snapshot) == [(1, "Éloïse", 1889.5), (2, "Zoë", 29.85), (3, "Bob", -3.0)]


def test_cp1252_only_characters_are_transcoded(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_bytes("item,price\n“quoted” thing,3.5\nœuvre,4\n".encode("cp1252"))
    snapshot = snapshot_source("prices", csv(path), tmp_path, tmp_path / "scratch")
    assert snapshot.details["encoding"] == "cp1252"
    assert snapshot.details["decimal"] == "."
    assert read(snapshot) == [("“quoted” thing", 3.5), ("œuvre", 4.0)]


def test_comma_separated_file_keeps_the_decimal_point(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text('a,b\n1,"2,5"\n3,4\n')  # a quoted comma is not a decimal mark here
    snapshot = snapshot_source("plain", csv(path), tmp_path, tmp_path)
    assert snapshot.details["decimal"] == "."


def test_declared_options_win_and_tsv_uses_tabs(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("x\ty\n1\t2,5\n")
    spec = CsvSource(kind="tsv", path=str(path), decimal=",")
    snapshot = snapshot_source("t", spec, tmp_path, tmp_path)
    assert read(snapshot) == [(1, 2.5)]


def test_content_hash_follows_content_not_name(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n")
    (tmp_path / "b.csv").write_text("x\n1\n")
    first = snapshot_source("a", csv(tmp_path / "a.csv"), tmp_path, tmp_path)
    second = snapshot_source("b", csv(tmp_path / "b.csv"), tmp_path, tmp_path)
    assert first.content_hash == second.content_hash
    (tmp_path / "b.csv").write_text("x\n2\n")
    changed = snapshot_source("b", csv(tmp_path / "b.csv"), tmp_path, tmp_path)
    assert changed.content_hash != first.content_hash


def test_missing_file_binary_file_and_wrong_encoding_are_named(tmp_path):
    with pytest.raises(SourceError, match=r"^source 'c': file not found: .*nope\.csv$"):
        snapshot_source("c", csv("nope.csv"), tmp_path, tmp_path)
    binary = tmp_path / "image.csv"
    binary.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(SourceError, match=r"^source 'c': .*image\.csv looks binary, not text"):
        snapshot_source("c", csv(binary), tmp_path, tmp_path)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(ROWS.encode("latin-1"))
    with pytest.raises(
        SourceError, match=r"^source 'c': .*latin\.csv is not valid ascii \(byte 0xc9\)"
    ):
        snapshot_source("c", csv(latin, encoding="ascii"), tmp_path, tmp_path)
    with pytest.raises(SourceError, match=r"^source 'c': unknown encoding 'klingon'"):
        snapshot_source("c", csv(latin, encoding="klingon"), tmp_path, tmp_path)
