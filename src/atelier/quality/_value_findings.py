"""Findings about one column's values, read off its statistics (no further scan)."""

import re
import unicodedata
from collections import defaultdict

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


def value_findings(column: ColumnStats, semantic: str, *, personal: bool = False) -> list[Finding]:
    """Every finding about ``column`` that its statistics show.

    A column of personal data gets only the findings about missing values: that it
    is unique or varied is expected, and it will never be a feature anyway.
    """
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
    found = (detector(column, semantic) for detector in detectors)
    return [finding for finding in found if finding is not None]


def _finding(kind, column, rows, severity, message, examples, fix) -> Finding:
    return Finding(kind, [column.name], int(rows), severity, message, examples, fix)


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "0%"


def _missing(column: ColumnStats, semantic: str) -> Finding | None:
    if column.missing == 0 or column.non_null == 0:
        return None
    rate = column.missing / column.rows
    severity = "critical" if rate >= 0.5 else "warning" if rate >= 0.05 else "info"
    if rate >= 0.5:
        fix = "drop the column: more than half of it is missing"
    elif semantic == "numeric":
        statistic = "median" if abs(column.skew or 0) > SKEW_LIMIT else "mean"
        fix = f"impute with the {statistic}" + (
            " and add a missing-value indicator" if rate >= 0.05 else ""
        )
    else:
        fix = "impute with the most frequent value, or keep 'missing' as its own category"
    return _finding(
        "missing",
        column,
        column.missing,
        severity,
        f"{column.name}: {column.missing:,} missing values ({_share(column.missing, column.rows)})",
        [],
        fix,
    )


def _disguised_missing(column: ColumnStats, semantic: str) -> Finding | None:
    if column.family == "text" and column.disguised_text:
        examples = sorted(
            value for value in (column.value_counts or {}) if _is_missing_token(value)
        )[:10] or list(DISGUISED_MISSING_TEXT)
        return _finding(
            "disguised_missing",
            column,
            column.disguised_text,
            "warning",
            f"{column.name}: {column.disguised_text:,} values stand for a missing "
            f"value ({', '.join(repr(e) for e in examples)})",
            examples,
            "turn these values into missing values, then treat them as missing",
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
            f"{column.name}: {rows:,} rows hold the placeholder "
            f"{', '.join(str(v) for v in sentinels)}, at the edge of its range",
            list(sentinels),
            "turn the placeholder into a missing value",
        )
    return None


def _is_missing_token(value) -> bool:
    return isinstance(value, str) and value.strip().lower() in DISGUISED_MISSING_TEXT


def _constant(column: ColumnStats, semantic: str) -> Finding | None:
    if semantic != "constant":
        return None
    what = (
        "is entirely missing"
        if column.non_null == 0
        else (
            f"holds a single value ({column.top_values[0][0]!r})"
            if column.top_values
            else "holds a single value"
        )
    )
    return _finding(
        "constant",
        column,
        column.rows,
        "warning",
        f"{column.name} {what}",
        [],
        "drop the column: it cannot inform a model",
    )


def _near_constant(column: ColumnStats, semantic: str) -> Finding | None:
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
        f"{column.name} is {value!r} in {_share(count, column.non_null)} of rows; "
        f"only {others:,} differ",
        [value],
        "drop the column, or keep it as a rare-event flag if those rows matter",
    )


def _identifier(column: ColumnStats, semantic: str) -> Finding | None:
    if semantic != "identifier":
        return None
    return _finding(
        "identifier",
        column,
        column.rows,
        "info",
        f"{column.name} identifies rows: {column.distinct:,} distinct values for "
        f"{column.rows:,} rows",
        [value for value, _ in column.top_values[:3]],
        "keep it as a key, never as a model feature",
    )


def _high_cardinality(column: ColumnStats, semantic: str) -> Finding | None:
    if semantic not in {"categorical", "text"} or column.distinct <= HIGH_CARDINALITY:
        return None
    approximate = "about " if column.distinct_is_approximate else ""
    return _finding(
        "high_cardinality",
        column,
        column.non_null,
        "warning",
        f"{column.name} has {approximate}{column.distinct:,} distinct categories",
        [value for value, _ in column.top_values[:5]],
        "group categories rarer than 1% into 'other', or use target or hashing encoding",
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


def _inconsistent_categories(column: ColumnStats, semantic: str) -> Finding | None:
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
        f"{column.name}: {len(groups)} categories are spelt several ways "
        f"(case, accents or spaces), {rows:,} rows use a minority spelling",
        examples,
        "map every spelling to the most frequent one",
    )


def _mixed_types(column: ColumnStats, semantic: str) -> Finding | None:
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
        f"{column.name} holds numbers in {_share(column.numeric_text, meaningful)} "
        f"of rows and text in {others:,}",
        examples,
        "convert to numbers; the values that are not numbers become missing",
    )


def _parses_as_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _out_of_range(column: ColumnStats, semantic: str) -> Finding | None:
    name = column.name.lower()
    if column.family == "number" and _NON_NEGATIVE.search(name) and column.negative:
        return _finding(
            "out_of_range",
            column,
            column.negative,
            "warning",
            f"{column.name}: {column.negative:,} negative values where a quantity "
            f"cannot be negative (minimum {column.minimum:g})",
            [column.minimum],
            "check them at the source; meanwhile treat them as missing",
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
            f"{column.name}: ages up to {column.maximum:g}",
            [column.maximum],
            "check values above 120 at the source; treat them as missing",
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
                f"{column.name}: {future:,} dates in the future and "
                f"{column.before_1900:,} before 1900",
                [column.minimum, column.maximum],
                "check them at the source; meanwhile treat them as missing",
            )
    return None


def _outliers(column: ColumnStats, semantic: str) -> Finding | None:
    if semantic != "numeric" or not column.outliers or column.outlier_bounds is None:
        return None
    low, high = column.outlier_bounds
    return _finding(
        "outliers",
        column,
        column.outliers,
        "info",
        f"{column.name}: {column.outliers:,} values beyond Tukey's far-out fences "
        f"(Q1 - {FAR_OUT:g} IQR, Q3 + {FAR_OUT:g} IQR) = [{low:.4g}, {high:.4g}]",
        [round(low, 6), round(high, 6)],
        f"cap values at the fences [{low:.4g}, {high:.4g}] (winsorise), after "
        "checking they are not errors",
    )


def _skewed(column: ColumnStats, semantic: str) -> Finding | None:
    if semantic != "numeric" or column.skew is None or abs(column.skew) <= SKEW_LIMIT:
        return None
    transform = "log(1 + x)" if (column.minimum or 0) >= 0 else "a Yeo-Johnson transform"
    return _finding(
        "skewed",
        column,
        column.non_null,
        "info",
        f"{column.name} is skewed (skewness {column.skew:.2f})",
        [],
        f"for linear models, use {transform}; tree models need nothing",
    )
