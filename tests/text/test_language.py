import numpy as np
import pandas as pd

from atelier.language import detect_language, tokenise, word_weights


def test_tokens_split_elisions_and_drop_numbers():
    assert tokenise("L'avion d'Air France est arrivé à 8h, très bien !") == [
        "avion",
        "air",
        "france",
        "est",
        "arrivé",
        "très",
        "bien",
    ]


def test_the_language_is_told_from_frequent_words():
    assert detect_language("Le livre est une merveille et je le conseille à tous.") == "fr"
    assert detect_language("The book was a delight and it is one I recommend.") == "en"
    assert detect_language("Das Buch ist wunderbar, ich empfehle es allen.") is None
    assert detect_language("trop court") is None


def test_the_word_that_decides_weighs_most():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts = [f"ce livre est {w} vraiment" for w in ("excellent", "superbe", "parfait")] * 10
    texts += [f"ce livre est {w} vraiment" for w in ("mauvais", "nul", "ennuyeux")] * 10
    labels = ["positif"] * 30 + ["négatif"] * 30
    model = make_pipeline(TfidfVectorizer(), LogisticRegression(C=10)).fit(texts, labels)
    answer = list(model.classes_).index("positif")
    weights = word_weights(model.predict_proba, "ce livre est excellent vraiment", answer)
    assert weights[0]["word"] == "excellent" and weights[0]["weight"] > 0.1
    assert {w["word"] for w in weights} == {"ce", "livre", "est", "excellent", "vraiment"}


def test_redaction_hides_names_addresses_and_numbers():
    from atelier.personal import redact

    [hidden] = redact(
        [
            "Paul part à Lyon avec sa fille Manon ; écrivez à jean.dupont@mail.fr ou au "
            "06 12 34 56 78 pour le livre."
        ]
    )
    for secret in ("Paul", "Lyon", "Manon", "jean.dupont", "06 12"):
        assert secret not in hidden
    assert "pour le livre" in hidden


def test_free_text_is_read_as_words_by_the_automl(review_split):
    from atelier import AutoClassifier

    (train_texts, train_labels), (test_texts, test_labels) = review_split
    X = pd.DataFrame({"avis": train_texts, "pages": np.arange(600) % 300})
    model = AutoClassifier(max_trials=3, random_state=0, metric="accuracy").fit(X, train_labels)
    assert model.roles_.text == ["avis"]
    assert any("not tried with free text (avis)" in note for note in model.notes_)
    test = pd.DataFrame({"avis": test_texts, "pages": np.arange(300)})
    assert np.mean(model.predict(test) == test_labels) > 0.72
