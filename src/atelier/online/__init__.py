"""The online store (Redis): features by key, a prediction cache and a prediction log."""

from atelier.online._store import OnlineStore, entity_key, online_store, safe_url

__all__ = ["OnlineStore", "entity_key", "online_store", "safe_url"]
