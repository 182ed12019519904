"""``atelier publish``: each key's model inputs pushed to the online store."""

from atelier._naming import quote_identifier
from atelier.online import OnlineStore, entity_key


def publish_features(project, service, store: OnlineStore) -> int:
    """Push each mart row's model inputs to Redis under its key; return the rows pushed.

    A key found on several rows keeps its last one.
    """
    key = entity_key(project.charter)
    columns = [key, *service.request.columns]
    projection = ", ".join(quote_identifier(column) for column in columns)
    with project.connect() as connection:
        frame = connection.execute(
            f"SELECT {projection} FROM mart.{quote_identifier(project.charter.mart.table)}"
        ).df()
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return store.publish(
        (str(record.pop(key)), {k: v for k, v in record.items() if v is not None})
        for record in records
    )
