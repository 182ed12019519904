"""Records from HTTP JSON APIs, page after page."""

import json
from pathlib import Path
from urllib.parse import urljoin

from atelier.charter import HttpSource, NextLinkPagination, PagePagination, resolve_environment
from atelier.exceptions import SourceError
from atelier.sources._snapshot import SourceSnapshot, hash_bytes
from atelier.sources._structured_files import json_records_snapshot


def snapshot_http(name: str, spec: HttpSource, scratch: Path, timeout: float) -> SourceSnapshot:
    """Fetch every page of an API, fingerprint the records, and stage them as JSON lines."""
    records, pages = fetch_records(name, spec, timeout)
    if not records:
        raise SourceError(f"source {name!r}: {spec.url} returned no records")
    content = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    content_bytes = content.encode("utf-8")
    scratch.mkdir(parents=True, exist_ok=True)
    staged = scratch / f"{name}.jsonl"
    staged.write_bytes(content_bytes)
    snapshot = json_records_snapshot(
        name, spec.kind, staged, hash_bytes(content_bytes), "newline_delimited", location=spec.url
    )
    snapshot.details.update(pages=pages, records=len(records))
    return snapshot


def fetch_records(name: str, spec: HttpSource, timeout: float) -> tuple[list[dict], int]:
    """Every record the API returns, following its pagination; and the page count."""
    import httpx

    url = resolve_environment(spec.url, field=f"sources.{name}.url")
    headers = {
        key: resolve_environment(value, field=f"sources.{name}.headers.{key}")
        for key, value in spec.headers.items()
    }
    records: list[dict] = []
    pagination = spec.pagination
    page_number = pagination.start if isinstance(pagination, PagePagination) else None
    with httpx.Client(timeout=timeout, headers=headers, follow_redirects=True) as client:
        for pages in range(1, spec.max_pages + 1):
            params = {}
            if isinstance(pagination, PagePagination):
                params[pagination.param] = page_number
                if pagination.size_param and pagination.size:
                    params[pagination.size_param] = pagination.size
            answer = _get_json(name, client, url, params, spec.url)
            page_records = _records_of(name, answer, spec.records, spec.url)
            records.extend(page_records)
            if pagination is None:
                return records, pages
            if isinstance(pagination, NextLinkPagination):
                next_url = _field(answer, pagination.next)
                if not next_url:
                    return records, pages
                url = urljoin(url, str(next_url))
            else:
                if not page_records or (pagination.size and len(page_records) < pagination.size):
                    return records, pages
                page_number += 1
    raise SourceError(
        f"source {name!r}: {spec.url} still had pages after max_pages={spec.max_pages}"
    )


def _get_json(name: str, client, url: str, params: dict, shown_url: str):
    import httpx

    try:
        # httpx replaces a URL's own query with `params` even when empty (next links).
        response = client.get(url, params=params or None)
    except httpx.TimeoutException:
        raise SourceError(f"source {name!r}: {shown_url} did not answer in time") from None
    except httpx.HTTPError as error:
        raise SourceError(f"source {name!r}: cannot reach {shown_url}: {error}") from None
    if response.status_code >= 400:
        raise SourceError(
            f"source {name!r}: GET {shown_url} answered "
            f"{response.status_code} {response.reason_phrase}"
        )
    try:
        return response.json()
    except ValueError:
        content_type = response.headers.get("content-type", "no content type")
        raise SourceError(
            f"source {name!r}: GET {shown_url} did not answer JSON "
            f"({content_type}, {len(response.content)} bytes)"
        ) from None


def _records_of(name: str, answer, path: str | None, shown_url: str) -> list[dict]:
    records = answer if path is None else _field(answer, path)
    if records is None:
        fields = sorted(answer) if isinstance(answer, dict) else type(answer).__name__
        raise SourceError(
            f"source {name!r}: the answer of {shown_url} has no field {path!r} (it has {fields})"
        )
    if not isinstance(records, list) or not all(isinstance(item, dict) for item in records):
        where = f"field {path!r}" if path else "answer"
        raise SourceError(
            f"source {name!r}: the {where} of {shown_url} is not a list of records; "
            "set `records:` to the dotted path of the list"
        )
    return records


def _field(answer, dotted_path: str):
    value = answer
    for part in dotted_path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value
