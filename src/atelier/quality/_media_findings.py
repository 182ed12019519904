"""Findings about the files of an images or audio table.

Unreadable files, extensions that lie, copies, mixed sizes or sample rates, silent or
clipped recordings, labels with too few examples.
"""

from atelier._naming import quote_identifier
from atelier._text import Text
from atelier.media import UNUSABLE_PROBLEMS
from atelier.media._audio import SILENT_RMS
from atelier.quality._result import Finding

RARE_LABEL = 5  # fewer examples than this and a label cannot be learnt nor evaluated
_UNUSABLE = "(" + ", ".join(f"'{p}'" for p in UNUSABLE_PROBLEMS) + ")"
CLIPPED_SHARE = 0.001  # of a recording's samples at full scale: audible distortion


def media_findings(
    connection,
    relation: str,
    target: str,
    say: Text,
    kind: str = "images",
    transcribed: bool = False,
) -> list[Finding]:
    """What is wrong with the files recorded in ``relation`` (an images or audio table).

    Parameters
    ----------
    connection : duckdb.DuckDBPyConnection
    relation : str
        The table, with the columns ingest writes for images (``item``, ``sha256``,
        ``width``, ``height``, ``problem``).
    target : str
        The label column, or the transcript column.
    say : Text
    kind : {"images", "audio"}
    transcribed : bool, default=False
        ``target`` holds what each recording says: the characters too rare to learn
        are reported, not the transcripts (each one is rare).

    Returns
    -------
    list of Finding
    """
    label = quote_identifier(target)
    found = []
    for problem, count, examples in connection.execute(
        f"SELECT problem, count(*), list(item ORDER BY item)[1:5] FROM {relation} "
        "WHERE problem IS NOT NULL GROUP BY problem ORDER BY problem"
    ).fetchall():
        unusable = problem in UNUSABLE_PROBLEMS
        found.append(
            Finding(
                "unreadable_media" if unusable else "media_mismatch",
                ["item"],
                count,
                "warning" if unusable else "info",
                say(f"find_media_{problem}", rows=say.number(count)),
                examples,
                say("fix_media_unreadable" if unusable else "fix_media_mismatch"),
            )
        )
    copies, conflicting, examples = connection.execute(
        f"SELECT coalesce(sum(copies - 1), 0), count(*) FILTER (WHERE labels > 1), "
        f"list(first_item ORDER BY first_item)[1:5] FROM (SELECT sha256, count(*) AS copies, "
        f"count(DISTINCT {label}) AS labels, min(item) AS first_item FROM {relation} "
        f"WHERE problem IS NULL OR problem NOT IN {_UNUSABLE} "
        "GROUP BY sha256 HAVING count(*) > 1)"
    ).fetchone()
    if copies:
        message = say("find_media_duplicates", rows=say.number(copies))
        if conflicting:
            message += say("find_media_duplicate_labels", conflicting=say.number(conflicting))
        found.append(
            Finding(
                "duplicate_media",
                ["sha256"],
                int(copies),
                "critical" if conflicting else "warning",
                message,
                examples,
                say("fix_media_duplicates"),
            )
        )
    if kind == "audio":
        found += _sound_findings(connection, relation, say)
        sizes = []
    else:
        sizes = connection.execute(
            f"SELECT width, height, count(*) FROM {relation} WHERE width IS NOT NULL "
            "GROUP BY ALL ORDER BY 3 DESC, 1, 2"
        ).fetchall()
    if len(sizes) > 1:
        others = sum(count for _, _, count in sizes[1:])
        found.append(
            Finding(
                "mixed_sizes",
                ["width", "height"],
                others,
                "info",
                say(
                    "find_media_sizes",
                    rows=say.number(others),
                    size=f"{sizes[0][0]}x{sizes[0][1]}",
                    sizes=len(sizes),
                ),
                [f"{w}x{h}" for w, h, _ in sizes[1:6]],
                say("fix_media_sizes"),
            )
        )
    usable = f"problem IS NULL OR problem NOT IN {_UNUSABLE}"
    counted = (
        f"SELECT unnest(string_split({label}, '')) AS value FROM {relation} WHERE {usable}"
        if transcribed
        else f"SELECT {label} AS value FROM {relation} WHERE {usable}"
    )
    rare = "rare_character" if transcribed else "rare_label"
    shown = (lambda value: repr(str(value))) if transcribed else str  # a space stays visible
    for value, count in connection.execute(
        f"SELECT value, count(*) FROM ({counted}) GROUP BY ALL "
        f"HAVING count(*) < {RARE_LABEL} ORDER BY ALL"
    ).fetchall():
        found.append(
            Finding(
                rare,
                [target],
                count,
                "warning",
                say(f"find_{rare}", label=shown(value), rows=say.number(count), least=RARE_LABEL),
                [str(value)],
                say(f"fix_{rare}"),
            )
        )
    return found


def _sound_findings(connection, relation: str, say: Text) -> list[Finding]:
    """Silent and clipped recordings, and sample rates that differ."""
    found = []
    checks = (
        ("silent_audio", f"rms < {SILENT_RMS}", "warning"),
        ("clipped_audio", f"clipped_share > {CLIPPED_SHARE}", "info"),
    )
    for kind, condition, severity in checks:
        count, examples = connection.execute(
            f"SELECT count(*), list(item ORDER BY item)[1:5] FROM {relation} WHERE {condition}"
        ).fetchone()
        if count:
            found.append(
                Finding(
                    kind,
                    ["item"],
                    count,
                    severity,
                    say(f"find_{kind}", rows=say.number(count)),
                    examples,
                    say(f"fix_{kind}"),
                )
            )
    rates = connection.execute(
        f"SELECT sample_rate, count(*) FROM {relation} WHERE sample_rate IS NOT NULL "
        "GROUP BY ALL ORDER BY 2 DESC, 1"
    ).fetchall()
    if len(rates) > 1:
        others = sum(count for _, count in rates[1:])
        found.append(
            Finding(
                "mixed_sample_rates",
                ["sample_rate"],
                others,
                "info",
                say("find_mixed_sample_rates", rows=say.number(others), rate=rates[0][0]),
                [f"{rate} Hz" for rate, _ in rates[1:6]],
                say("fix_mixed_sample_rates"),
            )
        )
    return found
