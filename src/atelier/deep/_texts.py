"""The deep stage on free text: a bag of word embeddings, improved one step at a time.

From the mean of word embeddings, each step adds one thing (pairs of neighbouring
words, dropout, a hidden layer, wider embeddings) and is kept only if it scores
better on the validation rows. Its errors are the texts it got most confidently
wrong, each with the words that weighed most in its answer; the texts are shown
with the names, addresses and numbers in them hidden.
"""

import pandas as pd

from atelier.deep._perception import Modality, most_confident_errors

MISCLASSIFIED_SHOWN = 10
EXCERPT = 300  # characters of a misclassified text shown


class Texts(Modality):
    """One text column as the deep stage reads, improves and explains it."""

    kind, title = "bag", "bag-of-embeddings"
    first_step = "word_bag"
    steps = (
        ("range_test", {}),
        ("word_pairs", {"pairs": True}),
        ("text_dropout", {"dropout": 0.3}),
        ("hidden_layer", {"hidden": 64}),
        ("wider_embedding", {"embedding": 128}),
    )

    def __init__(self, column: str, data):
        self.column = column
        self.baseline = {
            "column": column,
            "embedding": 64,
            "pairs": False,
            "dropout": 0.0,
            "hidden": 0,
            "learning_rate": 5e-3,
            "weight_decay": 0.0,
        }
        others = [c for c in data.features if c != column]
        self.note = (
            f"the network reads {column} only; {', '.join(others)} stay the classical model's"
            if others
            else None
        )

    def network(self, config: dict):
        from atelier.deep._words import TextClassifier

        return TextClassifier(**config, random_state=self.seed)

    def inputs(self, project, data):
        return data.X_train, data.X_test

    def errors(self, project, data, network, proba) -> dict:
        from atelier.language import word_weights
        from atelier.personal import redact

        shown = most_confident_errors(data.y_test, proba, network.classes_, MISCLASSIFIED_SHOWN)
        texts = [str(data.X_test[self.column].iloc[row["row"]]) for row in shown]
        hidden = redact(texts)  # what the dossier may show: no name, address or number

        def scored(variants):
            return network.predict_proba(pd.DataFrame({self.column: variants}))

        classes = [str(c) for c in network.classes_]
        rows = []
        for row, text in zip(shown, hidden, strict=True):
            del row["row"]
            answer = classes.index(row["predicted"])
            weights = word_weights(scored, text, answer)
            excerpt = text if len(text) <= EXCERPT else text[:EXCERPT].rsplit(" ", 1)[0] + " …"
            rows.append(row | {"text": excerpt, "words": weights})
        return {"misclassified": rows}

    def described_inputs(self, data, network) -> dict:
        return {
            "text": self.column,
            "vocabulary": len(network.vocabulary_),
            "pairs": bool(network.pairs),
            "max_tokens": network.max_tokens,
        }

    def method_extras(self, config: dict) -> dict:
        return {"scaling": "words"}
