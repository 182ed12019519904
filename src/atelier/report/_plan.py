"""The plan chapter's sentences, in the dossier's language, from the plan's result."""

from atelier._text import Text


def plan_sentences(plan: dict, text: Text) -> dict:
    """Every sentence of the chapter, by name, and the table's rows."""
    names = {row["id"]: row["name"] for row in plan["tasks"]}
    chance, progress = plan["chance"], plan["progress"]
    over = sorted({(row["person"], row["week"]) for row in plan["load"] if row["over"]})
    return {
        "origin": text("plan_proposed" if plan["proposed"] else "plan_own"),
        "critical": text(
            "plan_critical",
            days=text.number(plan["duration"], 1),
            sigma=text.number(plan["variance"] ** 0.5, 1),
            path=" → ".join(names[task] for task in plan["critical_path"]),
        ),
        "chance": text(
            "plan_chance",
            deadline=plan["deadline"],
            days=text.number(plan["deadline_days"]),
            normal=text.percent(chance["normal"]["probability"]),
            simulated=text.percent(chance["monte_carlo"]["probability"]),
            draws=text.number(chance["monte_carlo"]["draws"]),
            p80=text.number(chance["monte_carlo"]["percentiles"]["80"], 1),
        ),
        "people": text(
            "plan_overloaded",
            weeks=", ".join(text("plan_person_week", person=p, week=w + 1) for p, w in over[:6]),
            delay=text.number(plan["levelled"]["delay"], 1),
        )
        if over
        else text("plan_no_overload"),
        "progress": text(
            "plan_progress",
            today=plan["today"],
            done=sum(row["done"] for row in plan["tasks"]),
            tasks=len(plan["tasks"]),
            earned=text.number(progress["earned_value"], 1),
            planned=text.number(progress["planned_value"], 1),
        ),
        "late": text("plan_late", tasks=", ".join(names[t] for t in progress["late"]))
        if progress["late"]
        else "",
    }
