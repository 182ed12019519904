"""Presidio's side of bench/privacy.py, run in its own environment: columns in, entities out.

Reads ``[{"name", "values"}]`` on stdin; for each column, the entity type Presidio
finds in at least 80% of the values (None otherwise), with French as the language:
spaCy's ``fr_core_news_md`` and the recognizers Presidio registers for ``fr``.
"""

import json
import sys
import time
from collections import Counter

from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider

SHARE = 0.8


def main() -> None:
    columns = json.load(sys.stdin)
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "fr", "model_name": "fr_core_news_md"}],
        }
    )
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["fr"])
    started = time.perf_counter()
    entities = []
    for column in columns:
        counts = Counter()
        for value in column["values"]:
            found = {result.entity_type for result in analyzer.analyze(value, language="fr")}
            counts.update(found)
        best = counts.most_common(1)
        hit = best and best[0][1] >= SHARE * len(column["values"])
        entities.append(best[0][0] if hit else None)
    seconds = (time.perf_counter() - started) / len(columns)
    json.dump({"entities": entities, "seconds_per_column": seconds}, sys.stdout)


if __name__ == "__main__":
    main()
