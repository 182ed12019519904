import csv

from atelier import Project
from atelier.quality import profile
from atelier.warehouse import ingest
from tests.conftest import write_charter


def _write(root, rows, language="fr"):
    (root / "data").mkdir(parents=True)
    with (root / "data" / "avis.csv").open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["avis_id", "avis", "sentiment"])
        writer.writerows((i, text, label) for i, (text, label) in enumerate(rows))
    write_charter(
        root,
        {
            "avis": {
                "kind": "csv",
                "path": "data/avis.csv",
                "key": "avis_id",
                "columns": {"avis": {"role": "text", "language": language}},
            }
        },
        target={"column": "sentiment"},
        privacy={
            "policy": {
                "avis.avis": {
                    "action": "keep",
                    "legal_basis": "legitimate_interests",
                    "purpose": "répondre aux lecteurs",
                }
            }
        },
    )
    project = Project.load(root)
    ingest(project)
    return {f.kind: f for f in profile(project).findings}


def test_empty_repeated_and_foreign_texts_are_reported(tmp_path, reviews):
    rows = [*reviews[:60], ("", "positif"), ("   ", "négatif")]
    rows.append((reviews[0][0].upper(), "positif" if reviews[0][1] == "négatif" else "négatif"))
    found = _write(tmp_path, rows, language="en")
    assert found["empty_text"].rows == 2
    assert found["duplicate_text"].severity == "critical"  # the copy has the other label
    assert found["text_language"].severity == "warning"  # French texts, English declared
    assert (
        "français" in found["text_language"].message or "French" in found["text_language"].message
    )
    assert not {"high_cardinality", "missing", "disguised_missing"} & {
        kind for kind, f in found.items() if f.columns == ["avis"]
    }


def test_clean_texts_have_no_text_problem(tmp_path, reviews):
    distinct = {" ".join(text.lower().split()): (text, label) for text, label in reviews}
    found = _write(tmp_path, list(distinct.values())[:60])
    assert "empty_text" not in found and "duplicate_text" not in found
    assert found["text_language"].severity == "info"
