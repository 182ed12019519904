"""Erasure (GDPR Art. 17): a person removed from the warehouse and from the artifacts.

``forget`` deletes the person's rows from every source that has the key column
(raw, hence staging, which are views over it), rebuilds the mart, keeps a salted
digest of the key so that reloading an unchanged export does not bring the
person back, removes their rows from the serving cards' background samples, from
the predictions logged by the online API and from Spark's lake, and logs the
erasure without the removed value. It says which trained models saw the
person: those stages' inputs changed, so ``atelier run`` retrains them.
"""

import json
from dataclasses import dataclass

from atelier._artifacts import CARD_FILE
from atelier._naming import quote_identifier, snake_case
from atelier._project import Project
from atelier.exceptions import CharterError, PrivacyError
from atelier.personal._policy import pseudonymisation_key, register_pseudonym_function
from atelier.scale._lake import forget_in_lake
from atelier.warehouse._catalog import relation_columns, relation_names, relation_type
from atelier.warehouse._mart import build_mart
from atelier.warehouse._privacy import key_digests, log_erasure, recorded_personal

MODEL_STAGES = ("learn", "deep")


@dataclass(frozen=True)
class ForgetResult:
    """What ``forget`` removed.

    Attributes
    ----------
    key_column : str
    rows_removed : dict of str to int
        Rows deleted per source.
    background_rows_removed : dict of str to int
        Rows removed from each serving card (the stages' and MLflow's copies), by
        its path under ``.atelier``.
    models_to_retrain : list of str
        Stages whose trained model saw the person.
    """

    key_column: str
    rows_removed: dict
    background_rows_removed: dict
    models_to_retrain: list


def parse_key(text: str) -> tuple[str, str]:
    """``column=value`` as ``(snake_case column, value)``.

    Raises
    ------
    CharterError
        No ``=``, or an empty side.
    """
    column, separator, value = text.partition("=")
    if not separator or not column.strip() or not value.strip():
        raise CharterError("--key: expected COLUMN=VALUE, such as customer_id=C00042")
    return snake_case(column.strip()), value.strip()


def forget(project: Project, key_column: str, value: str) -> ForgetResult:
    """Remove every row whose ``key_column`` is ``value``, everywhere atelier keeps rows.

    Raises
    ------
    PrivacyError
        No source has that column, or no row matches (nothing is changed); the value
        is never repeated in the message.
    """
    charter = project.charter
    if not project.warehouse_path.exists():
        raise PrivacyError(f"{project.root}: no warehouse yet; nothing to forget")
    with project.connect(read_only=False) as connection:
        sources = [
            name
            for name in relation_names(connection, "staging")
            if key_column in relation_columns(connection, "staging", name)
        ]
        if not sources:
            raise PrivacyError(f"forget: no source has a column {key_column!r}")
        rules = recorded_personal(connection)
        salt = connection.execute("SELECT salt FROM audit.salt").fetchone()[0]
        connection.execute("BEGIN TRANSACTION")
        removed, located = {}, {}
        for source in sources:
            column, compared = _raw_column(connection, source, key_column, rules, value)
            located[source] = column, compared
            table = f"raw.{quote_identifier(source)}"
            condition = f"trim(CAST({quote_identifier(column)} AS VARCHAR)) = ?"
            count = connection.execute(
                f"SELECT count(*) FROM {table} WHERE {condition}", [compared]
            ).fetchone()[0]
            if count:
                connection.execute(f"DELETE FROM {table} WHERE {condition}", [compared])
                removed[source] = count
        if not removed:
            connection.execute("ROLLBACK")
            raise PrivacyError(
                f"forget: no row has that {key_column}; nothing was changed "
                "(the value is not repeated here: it may be personal data)"
            )
        digest = key_digests(salt, [value])[0]
        for source, count in removed.items():
            connection.execute(
                "INSERT INTO audit.forgotten VALUES (?, ?, ?, current_timestamp)",
                [source, key_column, digest],
            )
            log_erasure(connection, "forget", source, key_column, count, "erasure request")
        build_mart(connection, charter.mart)
        if charter.mart.base in located:
            removed |= _forget_in_monitoring(connection, located[charter.mart.base][1])
        connection.execute("COMMIT")
    for source, (column, compared) in located.items():
        count = forget_in_lake(project.state_dir, source, column, compared)
        if count:
            removed[f"lake.{source}"] = count
    background = _forget_in_cards(project, digest)
    return ForgetResult(
        key_column=key_column,
        rows_removed=removed,
        background_rows_removed=background,
        models_to_retrain=[
            s for s in MODEL_STAGES if (project.artifact_dir(s) / CARD_FILE).exists()
        ],
    )


def _forget_in_monitoring(connection, served_key: str) -> dict:
    """Delete the logged predictions of that key (the mart's key, as requests name it)."""
    if relation_type(connection, "monitoring", "predictions") is None:
        return {}
    table = "monitoring.predictions"
    count = connection.execute(
        f"SELECT count(*) FROM {table} WHERE key = ?", [served_key]
    ).fetchone()[0]
    if not count:
        return {}
    connection.execute(f"DELETE FROM {table} WHERE key = ?", [served_key])
    return {table: count}


def _raw_column(connection, source, key_column, rules, value):
    """The raw column spelling ``key_column``, and the value as raw stores it."""
    raw = [c for c in relation_columns(connection, "raw", source) if snake_case(c) == key_column]
    column = raw[0]
    applied = {r["column"]: r["action"] for r in rules.get(source, {}).get("rules", [])}
    if applied.get(column) == "pseudonymise":
        register_pseudonym_function(connection, pseudonymisation_key(f"forget: {key_column}"))
        return column, connection.execute("SELECT atelier_pseudonym(?)", [value]).fetchone()[0]
    return column, value


def _forget_in_cards(project: Project, digest: str) -> dict:
    """Remove the person's rows from every serving card: the stages' and MLflow's copies.

    Returns the rows removed per card, named by its path under ``.atelier``.
    """
    removed = {}
    for path in sorted(project.state_dir.rglob(CARD_FILE)):
        card = json.loads(path.read_text())
        keys = card.get("background_keys", [])
        keep = [position for position, key in enumerate(keys) if key != digest]
        if len(keep) == len(keys):
            continue
        card["background"] = [card["background"][position] for position in keep]
        card["background_keys"] = [keys[position] for position in keep]
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(card, indent=1) + "\n")
        temporary.replace(path)
        removed[str(path.relative_to(project.state_dir))] = len(keys) - len(keep)
    return removed
