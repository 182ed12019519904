"""The big-data section's sentences, in the dossier's language, from the scale stage."""

from atelier._text import Text


def scale_sentences(scale: dict, checks: dict, text: Text, train: dict | None = None) -> dict:
    """Every sentence of the section, by name, and the cost table's rows.

    ``train`` is the train stage's result: its ``refit`` says what the rows beyond
    the search's sample brought.
    """
    measured, sizing = scale["measured"], scale["sizing"]
    sentences = {
        "measured": text(
            "scale_measured",
            rows=text.number(measured["rows"]),
            seconds=text.number(measured["load_s"], 2),
            mb=text.number((measured["bytes"] or 0) / 2**20, 1),
            memory=text.number(measured["memory_gb"], 1),
            cores=measured["cores"],
            peak=text.number(measured["peak_rss_mb"]),
            stage=measured["peak_stage"] or "–",
        )
        if measured["rows"]
        else text("scale_no_load"),
        "rule": text(
            "scale_rule",
            period=text(f"scale_period_{measured['period']}"),
            rate=text.number(sizing["rows_per_s"]),
            max_rows=text.number(sizing["max_rows"]),
            max_gb=text.number(sizing["max_bytes"] / 2**30),
        )
        if sizing["max_rows"]
        else text("scale_no_rate"),
        "verdict": text(
            "scale_duckdb" if sizing["engine"] == "duckdb" else "scale_spark",
            headroom=text.number(sizing["headroom"], 1 if (sizing["headroom"] or 0) < 10 else 0),
        ),
        "serving": text(
            "scale_serving",
            expected=text.number(measured["expected_rps"]),
            rps=text.number(measured["api_rps"], 1),
            pods=sizing["pods"],
        )
        if measured["api_rps"] and measured["expected_rps"]
        else text("scale_no_serving"),
        "engine": _engine(scale["engine"], text),
        "kit": _kit(checks.get("deploy"), text),
        "refit": _refit((train or {}).get("refit"), text),
    }
    costs = sorted(scale["costs"], key=lambda row: row["total_per_month"])
    paid = [row for row in costs if row["id"] != "local"]
    if paid:
        cheapest = paid[0]
        french = [row for row in paid if row["country"] == "FR"]
        sentences["cheapest"] = text(
            "scale_cheapest_french" if cheapest["country"] == "FR" else "scale_cheapest",
            name=cheapest["name"],
            total=text.number(cheapest["total_per_month"]),
            currency=scale["prices"]["currency"],
            french=french[0]["name"] if french else "–",
            french_total=text.number(french[0]["total_per_month"]) if french else "–",
        )
    sentences["costs"] = costs
    sentences["prices"] = text("scale_prices", file=scale["prices"]["file"])
    return sentences


def _engine(engine: dict, text: Text) -> str:
    parts = [text("scale_engine_used", engine=engine["used"])]
    if engine["lake_tables"]:
        parts.append(text("scale_lake", tables=", ".join(engine["lake_tables"])))
    if engine["spark_scores"]:
        parts.append(text("scale_spark_scores", rows=text.number(engine["spark_scores"])))
    return " ".join(parts)


def _refit(refit: dict | None, text: Text) -> str | None:
    if refit is None:
        return None
    if refit["learner"] is None:
        return text("scale_refit_none", family=refit["family"])
    return text(
        "scale_refit_adopted" if refit["adopted"] else "scale_refit_kept",
        learner=refit["learner"],
        family=refit["family"],
        searched=text.number(refit["rows_searched"]),
        rows=text.number(refit["rows_refit"]),
        check=text.number(refit["rows_check"]),
        metric=refit["metric"],
        score=text.number(refit["curve"][-1]["score"], 3),
        champion=text.number(refit["champion_score"], 3),
    )


def _kit(deploy: dict | None, text: Text) -> str:
    if deploy is None:
        return text("scale_no_kit")
    tools = sorted({check["tool"] for check in deploy["validation"] if check["passed"]})
    failed = [f"{c['tool']} ({c['file']})" for c in deploy["validation"] if c["passed"] is False]
    return text(
        "scale_kit_valid" if deploy.get("valid") else "scale_kit_invalid",
        pods=deploy["sizing"]["replicas"],
        memory=deploy["sizing"]["memory_mi"],
        peak=text.number(deploy["measured"]["peak_rss_mb"]),
        tools=", ".join(tools) or "–",
        failed=", ".join(failed) or "–",
    )
