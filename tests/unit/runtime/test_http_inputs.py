"""What every service's API does with input no database column can hold, and how its errors are documented.

Found by fuzzing (tests/e2e/test_openapi_fuzz.py): a NUL character reached PostgreSQL and became a 500,
a number passed for a time, and the OpenAPI documents described a 422 body the API never sends.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import Query
from pydantic import BaseModel

from goalstream_runtime.http import IsoTime, create_app


class Item(BaseModel):
    name: str
    tags: list[str] = []
    when: IsoTime | None = None


async def _ready() -> dict[str, bool]:
    return {"ok": True}


def _app() -> Any:
    app = create_app("test", "0", 1024, _ready)

    @app.post("/v1/items/{item_id}")
    async def create(item_id: str, item: Item) -> dict[str, str]:
        return {"id": item_id, "name": item.name}

    @app.get("/v1/items")
    async def search(q: str = "", at: IsoTime | None = Query(default=None)) -> dict[str, str]:
        return {"q": q, "at": str(at)}

    return app


async def _call(method: str, url: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://test") as client:
        return await client.request(method, url, **kwargs)


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("POST", "/v1/items/a%00b", '{"name": "x"}', "path"),
        ("GET", "/v1/items?q=a%00b", None, "q"),
        ("POST", "/v1/items/a", '{"name": "x\\u0000"}', "name"),
        ("POST", "/v1/items/a", '{"name": "x", "tags": ["ok", "no\\u0000"]}', "tags.1"),
    ],
)
async def test_a_nul_character_is_refused_naming_the_field(method: str, url: str, body: str | None, field: str) -> None:
    response = await _call(method, url, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": field, "message": response.json()["errors"][0]["message"], "type": "nul_character"}
    ]


async def test_bodies_without_a_nul_pass_through_whole_and_oversized_ones_are_still_413() -> None:
    json_type = {"Content-Type": "application/json"}
    ok = await _call("POST", "/v1/items/a", content='{"name": "a backslash: \\\\u0000 is no NUL"}', headers=json_type)
    assert ok.status_code == 200 and ok.json() == {"id": "a", "name": "a backslash: \\u0000 is no NUL"}
    chunks = [b'{"name": "', b"x" * 2000, b'"}']

    async def stream() -> Any:
        for chunk in chunks:
            yield chunk

    too_big = await _call("POST", "/v1/items/a", content=stream(), headers=json_type)
    assert too_big.status_code == 413, too_big.text


@pytest.mark.parametrize("value", ["1839", "-4.8e-212", "nan"])
async def test_a_time_is_iso_8601_never_a_number(value: str) -> None:
    query = await _call("GET", "/v1/items", params={"at": value})
    assert query.status_code == 422 and query.json()["errors"][0]["field"] == "at", query.text
    for when in (value, 1839, True):
        body = await _call("POST", "/v1/items/a", json={"name": "x", "when": when})
        assert body.status_code == 422 and body.json()["errors"][0]["field"] == "when", body.text
    fine = await _call("GET", "/v1/items", params={"at": "2026-03-01T12:00:00Z"})
    assert fine.status_code == 200 and fine.json()["at"] == "2026-03-01 12:00:00+00:00"


def test_the_openapi_document_describes_the_error_bodies_the_api_sends() -> None:
    document = _app().openapi()
    responses = document["paths"]["/v1/items/{item_id}"]["post"]["responses"]
    error = {"$ref": "#/components/schemas/Error"}
    assert responses["422"]["content"]["application/json"]["schema"] == error
    assert responses["4XX"]["content"]["application/json"]["schema"] == error
    assert "4XX" not in document["paths"]["/health"]["get"]["responses"]
    assert "503" in document["paths"]["/ready"]["get"]["responses"]
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and schemas["Error"]["required"] == ["error", "message", "errors"]


@pytest.mark.parametrize(
    "error",
    [asyncpg.exceptions.DeadlockDetectedError("deadlock detected"), asyncpg.exceptions.SerializationError("no")],
)
async def test_a_transaction_the_database_rolled_back_is_a_503_to_retry_not_a_500(error: Exception) -> None:
    app = _app()

    @app.get("/v1/contended")
    async def contended() -> None:
        raise error

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        response = await client.get("/v1/contended")
    assert (response.status_code, response.headers.get("retry-after")) == (503, "1"), response.text
    assert response.json()["error"] == "busy"
