"""Findings about one column's values, read off its statistics (no further scan)."""

import re
import unicodedata
from collections import defaultdict

from atelier._text import Text
from atelier.quality._result import Finding
from atelier.quality._stats import DISGUISED_MISSING_TEXT, FAR_OUT, ColumnStats

_NON_NEGATIVE = re.compile(
    r"(^|_)(age|price|amount|charges?|cost|fees?|tenure|count|quantity|qty|duration|salary|"
    r"income|weight|height|distance|size|total|revenue|montant|prix|duree)($|_)"
)
_MAY_BE_FUTURE = re.compile(r"(end|expir|due|next|until|planned|scheduled|deadline|forecast)")
NEAR_CONSTANT_SHARE = 0.98
HIGH_CARDINALITY = 50
SKEW_LIMIT = 1.0


def value_findings(
    column: ColumnStats, semantic: str, *, personal: bool = False, say: Text | None = None
) -> list[Finding]:
    """Every finding about ``column`` that its statistics show, written in ``say``'s language.

    A column of personal data gets only the findings about missing values: that it
    is unique or varied is expected, and it will never be a feature anyway.
    """
    say = say or Text("en")
    detectors = (_missing, _disguised_missing)
    if not personal:
        detectors += (
            _constant,
            _near_constant,
            _identifier,
            _high_cardinality,
            _inconsistent_categories,
            _mixed_types,
            _out_of_range,
            _outliers,
            _skewed,
        )
    found = (detector(column, semantic, say) for detector in detectors)
    return [finding for finding in found if finding is not None]


def _finding(kind, column, rows, severity, message, examples, fix) -> Finding:
    return Finding(kind, [column.name], int(rows), severity, message, examples, fix)


def _share(part: int, whole: int, say: Text) -> str:
    return say.percent(part / whole if whole else 0.0, 1)


def _missing(column: ColumnStats, semantic: str, say: Text) -> Finding | None:
    if column.missing == 0 or column.non_null == 0:
        return None
    rate = column.missing / column.rows
    severity = "critical" if rate >= 0.5 else "warning" if rate >= 0.05 else "info"
    if rate >= 0.5:
        fix = say("fix_drop_half_missing")
    elif semantic == "numeric":
        statistic = "median" if abs(column.skew or 0) > SKEW_LIMIT else "mean"
        fix = say(f"fix_impute_{statistic}") + (say("fix_indicator") if rate >= 0.05 else "")
    else:
        fix = say("fix_impute_frequent")
    return _finding(
        "missing",
        column,
        column.missing,
        severity,
        say(
            "find_missing",
            column=column.name,
            rows=say.number(column.missing),
            share=_share(column.missing, column.rows, say),
        ),
        [],
        fix,
    )


def _disguised_missing(column: ColumnStats, semantic: str, say: Text) -> Finding | None:
    if column.family == "text" and column.disguised_text:
        examples = sorted(
            value for value in (column.value_counts or {}) if _is_missing_token(value)
        )[:10] or list(DISGUISED_MISSING_TEXT)
        return _finding(
            "disguised_missing",
            column,
            column.disguised_text,
            "warning",
            say(
                "find_disguised_text",
                column=column.name,
                rows=say.number(column.disguised_text),
                examples=", ".join(repr(e) for e in examples),
            ),
            examples,
            say("fix_disguised_text"),
        )
    extremes = {column.minimum, column.maximum}
    sentinels = {value: rows for value, rows in column.sentinels.items() if value in extremes}
    if column.family == "number" and sentinels:
        rows = sum(sentinels.values())
        return _finding(
            "disguised_missing",
            column,
            rows,
            "warning",
            say(
                "find_placeholder",
                column=column.name,
                rows=say.number(rows),
                values=", ".join(str(v) for v in sentinels),
            ),
            list(sentinels),
            say("fix_placeholder"),
        )
    return None


def _is_missing_token(value) -> bool:
    return isinstance(value, str) and value.strip().lower() in DISGUISED_MISSING_TEXT


def _constant(column: ColumnStats, semantic: str, say: Text) -> Finding | None:
    if semantic != "constant":
        return None
    if column.non_null == 0:
        what = say("find_all_missing", column=column.name)
    elif column.top_values:
        what = say("find_single_value", column=column.name, value=repr(column.top_values[0][0]))
    else:
        what = say("find_single", column=column.name)
    return _finding(
        "constant",
        column,
        column.rows,
        "warning",
        what,
        [],
        say("fix_constant"),
    )


def _near_constant(column: ColumnStats, semantic: str, say: Text) -> Finding | None:
    if semantic in {"constant", "identifier"} or not column.top_values or not column.non_null:
        return None
    value, count = column.top_values[0]
    if count is None or count / column.non_null < NEAR_CONSTANT_SHARE:
        return None
    others = column.non_null - count
    return _finding(
        "near_constant",
        column,
        others,
        "info",
        say(
            "find_near_constant",
            column=column.name,
            value=repr(value),
            share=_share(count, column.non_null, say),
            others=say.number(others),
        ),
        [value],
        say("fix_near_constant"),
    )


def _identifier(column: ColumnStats, semantic: str, say: Text) -> Finding | None:
    if semantic != "identifier":
        return None
    return _finding(
        "identifier",
        column,
        column.rows,
        "info",
        say(
            "find_identifier",
            column=column.name,
            distinct=say.number(column.distinct),
            rows=say.number(column.rows),
        ),
        [value for value, _ in column.top_values[:3]],
        say("fix_identifier"),
    )


def _high_cardinality(column: ColumnStats, semantic: str, say: Text) -> Finding | None:
    if semantic not in {"categorical", "text"} or column.distinct <= HIGH_CARDINALITY:
        return None
    approximate = say("about") if column.distinct_is_approximate else ""
    return _finding(
        "high_cardinality",
        column,
        column.non_null,
        "warning",
        say(
            "find_high_cardinality",
            column=column.name,
            approximate=approximate,
            distinct=say.number(column.distinct),
        ),
        [value for value, _ in column.top_values[:5]],
        say("fix_high_cardinality"),
    )


def normalised_spelling(value: str) -> str:
    """A category with case, accents and spacing set aside."""
    stripped = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return " ".join(stripped.lower().split())


def spelling_groups(value_counts: dict) -> dict[str, list[tuple[str, int]]]:
    """Spellings grouped by their normalised form, for forms with several spellings."""
    groups: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for value, count in value_counts.items():
        if isinstance(value, str):
            groups[normalised_spelling(value)].append((value, count))
    return {
        form: sorted(spellings, key=lambda item: (-item[1], item[0]))
        for form, spellings in groups.items()
        if len(spellings) > 1
    }


def _inconsistent_categories(column: ColumnStats, semantic: str, say: Text) -> Finding | None:
    if column.family != "text" or not column.value_counts:
        return None
    groups = spelling_groups(column.value_counts)
    if not groups:
        return None
    rows = sum(count for spellings in groups.values() for _, count in spellings[1:])
    examples = [[value for value, _ in spellings] for spellings in groups.values()][:5]
    return _finding(
        "inconsistent_categories",
        column,
        rows,
        "warning",
        say("find_inconsistent", column=column.name, groups=len(groups), rows=say.number(rows)),
        examples,
        say("fix_inconsistent"),
    )


def _mixed_types(column: ColumnStats, semantic: str, say: Text) -> Finding | None:
    if column.family != "text":
        return None
    meaningful = column.non_null - column.disguised_text
    if meaningful <= 0 or not 0.5 * meaningful <= column.numeric_text < meaningful:
        return None
    others = meaningful - column.numeric_text
    examples = [
        v
        for v in (column.value_counts or {})
        if isinstance(v, str) and not _is_missing_token(v) and not _parses_as_number(v)
    ][:5]
    return _finding(
        "mixed_types",
        column,
        others,
        "warning",
        say(
            "find_mixed",
            column=column.name,
            share=_share(column.numeric_text, meaningful, say),
            others=say.number(others),
        ),
        examples,
        say("fix_mixed"),
    )


def _parses_as_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _out_of_range(column: ColumnStats, semantic: str, say: Text) -> Finding | None:
    name = column.name.lower()
    if column.family == "number" and _NON_NEGATIVE.search(name) and column.negative:
        return _finding(
            "out_of_range",
            column,
            column.negative,
            "warning",
            say(
                "find_negative",
                column=column.name,
                rows=say.number(column.negative),
                minimum=say.general(column.minimum),
            ),
            [column.minimum],
            say("fix_check_source"),
        )
    if (
        column.family == "number"
        and re.search(r"(^|_)age($|_)", name)
        and (column.maximum or 0) > 120
    ):
        return _finding(
            "out_of_range",
            column,
            0,
            "warning",
            say("find_ages", column=column.name, maximum=say.general(column.maximum)),
            [column.maximum],
            say("fix_ages"),
        )
    if column.family == "temporal":
        future = 0 if _MAY_BE_FUTURE.search(name) else column.future
        rows = future + column.before_1900
        if rows:
            return _finding(
                "out_of_range",
                column,
                rows,
                "warning",
                say(
                    "find_dates",
                    column=column.name,
                    future=say.number(future),
                    old=say.number(column.before_1900),
                ),
                [column.minimum, column.maximum],
                say("fix_check_source"),
            )
    return None


def _outliers(column: ColumnStats, semantic: str, say: Text) -> Finding | None:
    if semantic != "numeric" or not column.outliers or column.outlier_bounds is None:
        return None
    low, high = column.outlier_bounds
    return _finding(
        "outliers",
        column,
        column.outliers,
        "info",
        say(
            "find_outliers",
            column=column.name,
            rows=say.number(column.outliers),
            k=say.general(FAR_OUT),
            low=say.general(low, 4),
            high=say.general(high, 4),
        ),
        [round(low, 6), round(high, 6)],
        say("fix_outliers", low=say.general(low, 4), high=say.general(high, 4)),
    )


def _skewed(column: ColumnStats, semantic: str, say: Text) -> Finding | None:
    if semantic != "numeric" or column.skew is None or abs(column.skew) <= SKEW_LIMIT:
        return None
    transform = "log" if (column.minimum or 0) >= 0 else "yeo"
    return _finding(
        "skewed",
        column,
        column.non_null,
        "info",
        say("find_skewed", column=column.name, skew=say.number(column.skew, 2)),
        [],
        say(f"fix_skewed_{transform}"),
    )
