"""The catalogues of words: every entry in both languages, and no key written twice."""

import re
from importlib.resources import files

import pytest
import yaml

from atelier._text import CATALOGUES, LANGUAGES, Text, _catalogue


@pytest.mark.parametrize("name", CATALOGUES)
def test_every_entry_has_each_language_and_a_single_definition(name):
    text = files("atelier.words").joinpath(name).read_text("utf-8")
    keys = re.findall(r'^("[^"]+"|[A-Za-z_|][^:]*):', text, flags=re.MULTILINE)
    assert len(keys) == len(set(keys)), sorted({k for k in keys if keys.count(k) > 1})
    for key, entry in yaml.safe_load(text).items():
        assert set(entry) == set(LANGUAGES), key
        fields = [set(re.findall(r"{(\w+)", entry[language])) for language in LANGUAGES]
        assert fields[0] == fields[1], f"{key}: the languages fill different placeholders"


def test_numbers_and_false_alarms_are_written_as_each_language_writes_them():
    assert len(_catalogue()) > 300
    english, french = Text("en"), Text("fr")
    assert english.percent(0.123, 1) == "12.3%" and french.percent(0.123, 1) == "12,3\u202f%"
    assert english.general(1234.5678, 4) == "1235" and french.general(0.5, 3) == "0,5"
    assert english.alarms(1 / 6) == "5 alerts in 6 are false alarms"
    assert french.alarms(0.66) == "1 alerte sur 3 est une fausse alerte"
    assert french.term("Cohen's d") == "d de Cohen" and french.term("unknown") == "unknown"
