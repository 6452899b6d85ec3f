"""`/v1/connections` and `/v1/mappings` on real PostgreSQL: bad input is a 422 naming the field, another
organisation's ids are not found, and a connection's secret never comes back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.integration.goals.admin_harness import Goals, bearer, running_goals
from tests.support.infra import Endpoints

HUBSPOT = {"platform": "hubspot", "account": "62515", "secret": "client-secret-0123456789"}
MAPPING = {"platform": "hubspot", "object_type": "deal", "value_path": "properties.amount", "metric": "crm.pipeline"}


@pytest.fixture
async def goals(database_url: str, infra: Endpoints) -> AsyncIterator[Goals]:
    async with running_goals(database_url, infra.kafka_bootstrap) as running:
        yield running


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**HUBSPOT, "platform": "pipedrive"}, "platform"),
        ({**HUBSPOT, "account": "acme"}, "account"),
        ({k: v for k, v in HUBSPOT.items() if k != "secret"}, "secret"),
        ({**HUBSPOT, "secret": "short"}, "secret"),
        ({"platform": "salesforce", "account": "00D000000000062EAA", "secret": "a-secret-for-nothing"}, "secret"),
        ({"platform": "salesforce", "account": "00D12"}, "account"),
        ({**HUBSPOT, "receiver_url": "ftp://x"}, "receiver_url"),
        ({**HUBSPOT, "colour": "red"}, "colour"),
    ],
)
async def test_a_bad_connection_is_refused_naming_the_field(goals: Goals, body: dict[str, Any], field: str) -> None:
    _, key = await goals.create_org()
    answer = await goals.http.post("/v1/connections", json=body, headers=bearer(key))
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == [field]
    assert await goals.pool.fetchval("SELECT count(*) FROM inbound_connections") == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**MAPPING, "value_path": "properties..amount"}, "value_path"),
        ({**MAPPING, "value_path": ""}, "value_path"),
        ({**MAPPING, "time_path": "closed at"}, "time_path"),
        ({**MAPPING, "aggregation": "avg"}, "aggregation"),
        ({**MAPPING, "platform": "zendesk"}, "platform"),
        ({k: v for k, v in MAPPING.items() if k != "metric"}, "metric"),
        ({**MAPPING, "object_type": "deal\x07"}, "object_type"),
    ],
)
async def test_a_bad_mapping_is_refused_naming_the_field(goals: Goals, body: dict[str, Any], field: str) -> None:
    _, key = await goals.create_org()
    answer = await goals.http.post("/v1/mappings", json=body, headers=bearer(key))
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == [field]


async def test_another_organisations_connections_and_mappings_are_not_found(goals: Goals) -> None:
    _, mine = await goals.create_org()
    _, theirs = await goals.create_org()
    connection = (await goals.http.post("/v1/connections", json=HUBSPOT, headers=bearer(mine))).json()
    mapping = (await goals.http.post("/v1/mappings", json=MAPPING, headers=bearer(mine))).json()
    for path in (f"/v1/connections/{connection['id']}", f"/v1/mappings/{mapping['id']}"):
        assert (await goals.http.get(path, headers=bearer(theirs))).status_code == 404
        assert (await goals.http.delete(path, headers=bearer(theirs))).status_code == 404
        assert (await goals.http.get(path, headers=bearer(mine))).status_code == 200
    assert (await goals.http.get("/v1/connections", headers=bearer(theirs))).json() == []
    assert (await goals.http.get("/v1/mappings", headers=bearer(theirs))).json() == []
    taken = await goals.http.post("/v1/connections", json=HUBSPOT, headers=bearer(theirs))
    assert (taken.status_code, taken.json()["errors"][0]["field"]) == (409, "account")
    assert (await goals.http.delete(f"/v1/mappings/{mapping['id']}", headers=bearer(mine))).status_code == 204
    assert (await goals.http.get("/v1/mappings", headers=bearer(mine))).json() == []


async def test_a_secret_is_never_returned_and_a_salesforce_token_is_shown_once(goals: Goals) -> None:
    _, key = await goals.create_org()
    hubspot = await goals.http.post("/v1/connections", json=HUBSPOT, headers=bearer(key))
    salesforce = await goals.http.post(
        "/v1/connections", json={"platform": "salesforce", "account": "00D000000000062EAA"}, headers=bearer(key)
    )
    token = salesforce.json()["receiver_token"]
    assert token.startswith("gsr_") and hubspot.json()["receiver_token"] is None
    listed = (await goals.http.get("/v1/connections", headers=bearer(key))).text
    one = (await goals.http.get(f"/v1/connections/{salesforce.json()['id']}", headers=bearer(key))).text
    for answer in (hubspot.text, listed, one):
        assert HUBSPOT["secret"] not in answer and "secret" not in answer
    assert token not in listed and token not in one
    stored = await goals.pool.fetchval("SELECT token_hash FROM inbound_connections WHERE platform = 'salesforce'")
    assert stored is not None and token not in stored


async def test_connections_need_the_admin_scope_and_mappings_the_write_scope(goals: Goals) -> None:
    org_id, _ = await goals.create_org()
    reader = (await goals.issue(org_id, "read"))["key"]
    writer = (await goals.issue(org_id, "read", "write"))["key"]
    assert (await goals.http.post("/v1/connections", json=HUBSPOT, headers=bearer(writer))).status_code == 403
    assert (await goals.http.post("/v1/mappings", json=MAPPING, headers=bearer(reader))).status_code == 403
    assert (await goals.http.post("/v1/mappings", json=MAPPING, headers=bearer(writer))).status_code == 201
