"""The warehouse described as the diagram and the report show it."""

from atelier._naming import quote_identifier, snake_case
from atelier._project import Project
from atelier.warehouse._catalog import relation_columns
from atelier.warehouse._diagram import Relation, TableSchema
from atelier.warehouse._privacy import recorded_personal


def personal_columns(connection, project: Project) -> dict[str, list[str]]:
    """Each source's columns still personal in the warehouse: kept or pseudonymised.

    Dropped columns are gone and generalised ones no longer single a person out;
    columns declared ``personal_data`` and left as they are count too.
    """
    recorded = recorded_personal(connection)
    personal = {}
    for name, spec in project.charter.sources.items():
        rules = recorded.get(name, {}).get("rules", [])
        transformed = {
            snake_case(r["column"]) for r in rules if r["action"] in ("drop", "generalise")
        }
        still = {snake_case(r["column"]) for r in rules if r["action"] in ("keep", "pseudonymise")}
        still |= {snake_case(column) for column in spec.personal_data} - transformed
        personal[name] = sorted(still)
    return personal


def describe_tables(connection, project: Project) -> tuple[list[TableSchema], list[Relation]]:
    """The staging relations and the mart, with keys and personal data marked; the joins."""
    charter = project.charter
    personal = personal_columns(connection, project)

    def schema_of(schema: str, name: str, key: list[str], pii: list[str]) -> TableSchema:
        columns = list(relation_columns(connection, schema, name).items())
        rows = connection.execute(
            f"SELECT count(*) FROM {schema}.{quote_identifier(name)}"
        ).fetchone()[0]
        return TableSchema(schema, name, rows, columns, key, pii)

    tables = [
        schema_of("staging", name, [snake_case(k) for k in spec.key], personal[name])
        for name, spec in charter.sources.items()
    ]
    mart_pii = sorted({column for columns in personal.values() for column in columns})
    base_key = [snake_case(k) for k in charter.sources[charter.mart.base].key]
    tables.append(schema_of("mart", charter.mart.table, base_key, mart_pii))
    relations = _relations(connection, charter.mart)
    return tables, relations


def _relations(connection, mart) -> list[Relation]:
    """Each join, from the table owning its columns (child) to the joined source (parent)."""
    owner = dict.fromkeys(relation_columns(connection, "staging", mart.base), mart.base)
    relations = []
    for join in mart.joins:
        child = owner.get(join.on[0], mart.base)
        relations.append(
            Relation(f"staging.{child}", f"staging.{join.source}", join.on, join.relationship)
        )
        for column in relation_columns(connection, "staging", join.source):
            owner.setdefault(column, join.source)
    return relations
