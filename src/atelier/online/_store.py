"""The online side of serving, in Redis: features by key, a prediction cache, a log.

- ``atelier publish`` writes each key's latest features into a Redis hash
  (``atelier:<project>:features:<key>``), so that a request may send the key alone;
- ``POST /v1/predict/online`` reads them, serves a prediction again from the cache
  for ``ttl_s`` seconds, and appends every prediction to a Redis Stream;
- ``atelier ingest`` drains that stream into the warehouse through a consumer group:
  an entry is acknowledged only once committed there, so none is lost when the
  server or the drain stops part-way.

Redis is never needed to serve: when it does not answer, the request's own values
are scored and the response says so.
"""

import hashlib
import time
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit, urlunsplit

import orjson

from atelier.exceptions import EngineError

GROUP = "atelier-ingest"
CONSUMER = "warehouse"
STREAM_MAXLEN = 1_000_000  # the log keeps about this many undrained entries at most
_TIMEOUT_S = 0.25
_RETRY_AFTER_S = 5.0  # after a failure, requests skip Redis this long instead of waiting


def safe_url(url: str) -> str:
    """The Redis URL with its password masked, for messages and logs.

    >>> safe_url("redis://:s3cret@cache:6379/0")
    'redis://:***@cache:6379/0'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


class OnlineStore:
    """A project's keys, cache and prediction log in one Redis database.

    Parameters
    ----------
    url : str
        ``redis://[:password@]host:port/db``.
    project : str
        The project's name: every key lies under ``atelier:<project>:``.
    ttl_s : int, default=300
        How long a cached prediction is served.
    timeout_s : float, default=0.25
        How long a request waits for Redis before scoring without it.
    """

    def __init__(self, url: str, project: str, *, ttl_s: int = 300, timeout_s: float = _TIMEOUT_S):
        import redis

        self.location = safe_url(url)
        self.prefix = f"atelier:{project}"
        self.stream = f"{self.prefix}:predictions"
        self.ttl_s = ttl_s
        self._client = redis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        self._down_until = 0.0

    def check(self) -> None:
        """Raise EngineError, in one line, when Redis does not answer."""
        import redis

        try:
            self._client.ping()
        except redis.RedisError as error:
            raise EngineError(
                f"online store {self.location}: Redis does not answer ({error})"
            ) from None

    # -- features ------------------------------------------------------------------

    def publish(self, rows: Iterable[tuple[str, dict]], *, batch: int = 1_000) -> int:
        """Write each ``(key, features)``; a key published again is replaced whole."""
        self.check()
        count, pipe = 0, self._client.pipeline(transaction=False)
        for key, features in rows:
            name = f"{self.prefix}:features:{key}"
            pipe.delete(name)
            pipe.hset(name, mapping={k: orjson.dumps(v) for k, v in features.items()})
            count += 1
            if count % batch == 0:
                pipe.execute()
        pipe.hset(f"{self.prefix}:published", mapping={"rows": count, "at": time.time()})
        pipe.execute()
        return count

    def features(self, keys: list[str]) -> list[dict | None] | None:
        """Each key's published features (None for a key never published); None if down."""
        answers = self._guarded(
            lambda pipe: [pipe.hgetall(f"{self.prefix}:features:{k}") for k in keys]
        )
        if answers is None:
            return None
        return [
            {field.decode(): orjson.loads(value) for field, value in found.items()} or None
            for found in answers
        ]

    # -- cache and log -------------------------------------------------------------

    def cached(self, version: int, records: list[dict]) -> list[dict | None]:
        """Predictions made for these very records by this model version, if still fresh."""
        found = self._guarded(
            lambda pipe: [pipe.get(self._cache_key(version, record)) for record in records]
        )
        if found is None:
            return [None] * len(records)
        return [orjson.loads(value) if value is not None else None for value in found]

    def remember(self, version: int, records: list[dict], predictions: list[dict]) -> None:
        """Cache each record's prediction for ``ttl_s`` seconds."""
        self._guarded(
            lambda pipe: [
                pipe.set(self._cache_key(version, record), orjson.dumps(answer), ex=self.ttl_s)
                for record, answer in zip(records, predictions, strict=True)
            ]
        )

    def log(self, entries: list[dict]) -> bool:
        """Append predictions to the stream; False when Redis did not take them."""
        done = self._guarded(
            lambda pipe: [
                pipe.xadd(
                    self.stream,
                    {k: orjson.dumps(v) for k, v in entry.items()},
                    maxlen=STREAM_MAXLEN,
                    approximate=True,
                )
                for entry in entries
            ]
        )
        return done is not None

    def drain(self, commit: Callable[[list[tuple[str, dict]]], None], *, batch: int = 1_000) -> int:
        """Hand every logged prediction to ``commit``, then acknowledge and delete it.

        Entries read before a crash but never acknowledged are read again first, so
        ``commit`` must accept an entry it has already stored (by its id).

        Returns
        -------
        int
            The entries handed over.

        Raises
        ------
        EngineError
            Redis does not answer.
        """
        import redis

        try:
            self._client.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        except redis.RedisError as error:
            raise EngineError(
                f"online store {self.location}: Redis does not answer ({error})"
            ) from None
        drained = 0
        for start in ("0", ">"):  # first what an earlier drain read and did not acknowledge
            while True:
                read = self._client.xreadgroup(GROUP, CONSUMER, {self.stream: start}, count=batch)
                entries = read[0][1] if read else []
                if not entries:
                    break
                decoded = [
                    (entry_id.decode(), {k.decode(): orjson.loads(v) for k, v in fields.items()})
                    for entry_id, fields in entries
                ]
                commit(decoded)
                ids = [entry_id for entry_id, _ in entries]
                self._client.xack(self.stream, GROUP, *ids)
                self._client.xdel(self.stream, *ids)
                drained += len(entries)
        return drained

    def _cache_key(self, version: int, record: dict) -> str:
        digest = hashlib.sha256(orjson.dumps(record, option=orjson.OPT_SORT_KEYS)).hexdigest()
        return f"{self.prefix}:cache:{version}:{digest[:32]}"

    def _guarded(self, queue: Callable) -> list | None:
        """Run pipelined commands; None, at once, while Redis is known to be down."""
        import redis

        if time.monotonic() < self._down_until:
            return None
        pipe = self._client.pipeline(transaction=False)
        queue(pipe)
        try:
            return pipe.execute()
        except redis.RedisError:
            self._down_until = time.monotonic() + _RETRY_AFTER_S
            return None


def entity_key(charter) -> str:
    """The mart's key column: what a request names an entity by.

    Raises
    ------
    CharterError
        The mart's base source declares no single key column.
    """
    from atelier._naming import snake_case
    from atelier.exceptions import CharterError

    keys = charter.sources[charter.mart.base].key
    if len(keys) != 1:
        raise CharterError(
            f"sources.{charter.mart.base}.key: the online store names each row by one key "
            f"column, the charter gives {len(keys)}"
        )
    return snake_case(keys[0])


def online_store(project, url: str | None = None) -> OnlineStore | None:
    """The project's online store: ``url``, else the charter's ``online.url``; None if neither."""
    from atelier.charter import resolve_environment

    online = project.charter.online
    if url is None and online is None:
        return None
    url = url or resolve_environment(online.url, field="online.url")
    ttl = online.ttl_s if online is not None else 300
    return OnlineStore(url, project.charter.project.name, ttl_s=ttl)
