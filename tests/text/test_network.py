import subprocess
import sys

import joblib
import numpy as np
import pandas as pd
import pytest

from tests.conftest import WITHOUT_TORCH

pytest.importorskip("torch")


def test_the_text_network_learns_and_serves_the_same_through_onnx(review_split, tmp_path):
    from atelier.deep._words import TextClassifier

    (train_texts, train_labels), (test_texts, test_labels) = review_split
    network = TextClassifier(column="avis", max_epochs=8, learning_rate=1e-2)
    network.fit(pd.DataFrame({"avis": train_texts}), train_labels)
    test = pd.DataFrame({"avis": test_texts})
    assert np.mean(network.predict(test) == test_labels) > 0.7
    reference = network.predict_proba(test)
    network.freeze()
    assert np.max(np.abs(network.predict_proba(test) - reference)) < 1e-4
    joblib.dump(network, tmp_path / "network.joblib")
    script = WITHOUT_TORCH + (
        "import joblib, pandas as pd\n"
        f"network = joblib.load({str(tmp_path / 'network.joblib')!r})\n"
        "print(network.predict(pd.DataFrame({'avis': ['Un chef-d oeuvre, je l ai adoré.']}))[0])\n"
    )
    served = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert served.returncode == 0, served.stderr
    assert served.stdout.strip() in {"positif", "négatif"}


def test_the_range_test_chooses_a_rate_below_divergence(review_split):
    from atelier.deep._words import TextClassifier

    (texts, labels), _ = review_split
    tested = TextClassifier(column="avis").range_test(pd.DataFrame({"avis": texts}), labels)
    assert len(tested["learning_rates"]) == len(tested["losses"]) >= 10
    lowest = tested["learning_rates"][int(np.argmin(tested["losses"]))]
    assert tested["chosen"] == pytest.approx(lowest / 10)


def test_balanced_class_weights_raise_the_rare_class_recall(review_split):
    from atelier.deep._words import TextClassifier

    (texts, labels), (test_texts, test_labels) = review_split
    rare = np.flatnonzero(labels == "négatif")[:60]
    keep = np.concatenate([np.flatnonzero(labels == "positif"), rare])
    X = pd.DataFrame({"avis": [texts[i] for i in keep]})
    recall = []
    for weight in (None, "balanced"):
        network = TextClassifier(
            column="avis", max_epochs=8, learning_rate=1e-2, class_weight=weight
        )
        network.fit(X, labels[keep])
        predicted = network.predict(pd.DataFrame({"avis": test_texts}))
        recall.append(np.mean(predicted[test_labels == "négatif"] == "négatif"))
    assert recall[1] > recall[0]
