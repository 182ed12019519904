"""Findings about free-text columns: empty texts, repeated texts, their language."""

from collections import Counter

from atelier._naming import quote_identifier
from atelier._text import Text
from atelier.language import detect_language
from atelier.quality._result import Finding

LANGUAGE_SAMPLE = 500  # texts read to tell their language
LANGUAGE_NAMES = {"en": "English", "fr": "French"}


def text_findings(
    connection, relation: str, column: str, declared: str | None, target: str | None, say: Text
) -> list[Finding]:
    """Empty and repeated texts in ``column``, and the language of its texts.

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection
    relation : str
    column : str
        A text column (``role: text`` in the charter).
    declared : str or None
        The language the charter gives it.
    target : str or None
        The label column: copies of a text with different labels are critical.
    say : Text

    Returns
    -------
    list of Finding
    """
    name = quote_identifier(column)
    normal = f"lower(regexp_replace(trim({name}), '\\s+', ' ', 'g'))"
    found = []
    empty = connection.execute(
        f"SELECT count(*) FROM {relation} WHERE {name} IS NULL OR trim({name}) = ''"
    ).fetchone()[0]
    if empty:
        found.append(
            Finding(
                "empty_text",
                [column],
                empty,
                "warning",
                say("find_empty_text", column=column, rows=say.number(empty)),
                [],
                say("fix_empty_text"),
            )
        )
    labels = f"count(DISTINCT {quote_identifier(target)})" if target else "1"
    copies, conflicting = connection.execute(
        f"SELECT coalesce(sum(n - 1), 0), count(*) FILTER (WHERE labels > 1) FROM ("
        f"SELECT count(*) AS n, {labels} AS labels FROM {relation} "
        f"WHERE trim({name}) <> '' GROUP BY {normal} HAVING count(*) > 1)"
    ).fetchone()
    if copies:
        message = say("find_duplicate_text", column=column, rows=say.number(copies))
        if conflicting:
            message += say("find_media_duplicate_labels", conflicting=say.number(conflicting))
        found.append(
            Finding(
                "duplicate_text",
                [column],
                int(copies),
                "critical" if conflicting else "warning",
                message,
                [],
                say("fix_duplicate_text"),
            )
        )
    sample = [
        row[0]
        for row in connection.execute(
            f"SELECT {name} FROM {relation} WHERE trim({name}) <> '' "
            f"USING SAMPLE reservoir({LANGUAGE_SAMPLE} ROWS) REPEATABLE (0)"
        ).fetchall()
    ]
    languages = Counter(detect_language(text) for text in sample)
    known = {k: v for k, v in languages.items() if k is not None}
    if known:
        main, count = max(known.items(), key=lambda item: item[1])
        words = connection.execute(
            f"SELECT median(len(string_split(trim({name}), ' '))) FROM {relation} "
            f"WHERE trim({name}) <> ''"
        ).fetchone()[0]
        mismatch = declared is not None and declared != main
        found.append(
            Finding(
                "text_language",
                [column],
                len(sample),
                "warning" if mismatch else "info",
                say(
                    "find_text_language",
                    column=column,
                    language=say(f"language_{main}"),
                    share=say.percent(count / len(sample)),
                    sample=say.number(len(sample)),
                    words=say.number(words or 0),
                ),
                [f"{say(f'language_{k}')}: {v}" for k, v in sorted(known.items())],
                say("fix_text_language", declared=say(f"language_{declared}")) if mismatch else "",
            )
        )
    return found
