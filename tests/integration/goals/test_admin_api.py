"""The admin API on real PostgreSQL and Kafka: operator keys manage organisations and keys, an
organisation's admin key manages its own keys, and neither credential works where the other does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from goalstream_goals.adapters import operator_keys
from goalstream_runtime.auth import hash_key
from tests.integration.goals.admin_harness import GOAL, Goals, bearer, running_goals
from tests.support.infra import Endpoints
from tests.support.polling import eventually


@pytest.fixture
async def goals(database_url: str, infra: Endpoints) -> AsyncIterator[Goals]:
    async with running_goals(database_url, infra.kafka_bootstrap) as running:
        yield running


async def test_an_operator_creates_an_organisation_whose_key_works_and_is_published(goals: Goals) -> None:
    response = await goals.http.post(
        "/v1/admin/organisations",
        json={"org_id": "acme", "name": "Acme", "scopes": ["read", "write"]},
        headers=goals.operator,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["organisation"]["org_id"] == "acme" and body["organisation"]["name"] == "Acme"
    key = body["key"]["key"]
    assert key.startswith("gs_") and key.startswith(body["key"]["prefix"])
    assert body["key"]["scopes"] == ["read", "write"] and body["key"]["revoked_at"] is None

    goal = await goals.http.post("/v1/goals", json=GOAL, headers=bearer(key))
    assert goal.status_code == 201, goal.text
    assert await goals.event_types("acme") == ["OrganisationCreated", "ApiKeyIssued"]

    async def published() -> bool:  # the relay hands the identity events to Kafka
        unpublished = await goals.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        return bool(unpublished == 0)

    await eventually(published, 20, "the identity events to be published")

    listed = await goals.http.get("/v1/admin/organisations", headers=goals.operator)
    assert listed.status_code == 200 and "acme" in [o["org_id"] for o in listed.json()["items"]]


async def test_organisations_are_paged(goals: Goals) -> None:
    created = sorted([(await goals.create_org())[0] for _ in range(3)])
    first = (await goals.http.get("/v1/admin/organisations?limit=2", headers=goals.operator)).json()
    assert [o["org_id"] for o in first["items"]] == created[:2] and first["next_after"] == created[1]
    rest = await goals.http.get(f"/v1/admin/organisations?limit=2&after={first['next_after']}", headers=goals.operator)
    assert [o["org_id"] for o in rest.json()["items"]] == created[2:] and rest.json()["next_after"] is None


async def test_an_operator_issues_lists_and_revokes_keys_and_a_revoked_key_is_refused_at_once(goals: Goals) -> None:
    org_id, first = await goals.create_org()
    issued = await goals.issue(org_id, "read")
    reader = bearer(issued["key"])
    assert (await goals.http.get("/v1/goals/nothing", headers=reader)).status_code == 404  # accepted, no such goal

    listed = await goals.http.get(f"/v1/admin/organisations/{org_id}/keys", headers=goals.operator)
    assert listed.status_code == 200 and len(listed.json()) == 2 and listed.json()[1]["key_id"] == issued["key_id"]
    assert all(set(k) == {"key_id", "org_id", "prefix", "scopes", "created_at", "revoked_at"} for k in listed.json())
    assert hash_key(issued["key"]) not in listed.text and issued["key"] not in listed.text

    revoked = await goals.http.delete(f"/v1/admin/keys/{issued['key_id']}", headers=goals.operator)
    assert revoked.status_code == 204, revoked.text
    refused = await goals.http.get("/v1/goals/nothing", headers=reader)
    assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
    assert (await goals.http.get("/v1/goals/nothing", headers=bearer(first))).status_code == 404  # others still work

    after = await goals.http.get(f"/v1/admin/organisations/{org_id}/keys", headers=goals.operator)
    assert [k["revoked_at"] is not None for k in after.json()] == [False, True]
    # revoking again is idempotent: 204 and no second ApiKeyRevoked
    again = await goals.http.delete(f"/v1/admin/keys/{issued['key_id']}", headers=goals.operator)
    assert again.status_code == 204
    assert await goals.event_types(org_id) == ["OrganisationCreated", "ApiKeyIssued", "ApiKeyIssued", "ApiKeyRevoked"]
    unknown = await goals.http.delete("/v1/admin/keys/key_nobody", headers=goals.operator)
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["field"] == "key_id"


async def test_an_organisation_admin_manages_its_own_keys_and_never_sees_another_organisations(goals: Goals) -> None:
    org_a, admin_a = await goals.create_org()
    org_b, key_b = await goals.create_org(["read", "write"])
    b_keys = await goals.http.get(f"/v1/admin/organisations/{org_b}/keys", headers=goals.operator)
    b_key_id = b_keys.json()[0]["key_id"]

    issued = await goals.http.post("/v1/keys", json={"scopes": ["write"]}, headers=bearer(admin_a))
    assert issued.status_code == 201, issued.text
    assert issued.json()["org_id"] == org_a and issued.json()["scopes"] == ["write"]
    assert (await goals.http.post("/v1/goals", json=GOAL, headers=bearer(issued.json()["key"]))).status_code == 201

    own = await goals.http.get("/v1/keys", headers=bearer(admin_a))
    assert own.status_code == 200 and {k["org_id"] for k in own.json()} == {org_a} and len(own.json()) == 2

    foreign = await goals.http.delete(f"/v1/keys/{b_key_id}", headers=bearer(admin_a))
    assert foreign.status_code == 404, foreign.text  # another organisation's key: 404, never 403
    assert await goals.event_types(org_b) == ["OrganisationCreated", "ApiKeyIssued"]
    assert (await goals.http.get("/v1/goals/nothing", headers=bearer(key_b))).status_code == 404  # still works

    revoked = await goals.http.delete(f"/v1/keys/{issued.json()['key_id']}", headers=bearer(admin_a))
    assert revoked.status_code == 204
    assert (await goals.http.post("/v1/goals", json=GOAL, headers=bearer(issued.json()["key"]))).status_code == 401


async def test_keys_without_the_admin_scope_get_403_where_they_lack_the_scope(goals: Goals) -> None:
    org_id, _ = await goals.create_org()
    reader = bearer((await goals.issue(org_id, "read"))["key"])
    writer = bearer((await goals.issue(org_id, "write"))["key"])
    assert (await goals.http.post("/v1/goals", json=GOAL, headers=reader)).status_code == 403
    for headers in (reader, writer):
        listed = await goals.http.get("/v1/keys", headers=headers)
        assert listed.status_code == 403 and "'admin'" in listed.json()["message"]
        assert (await goals.http.post("/v1/keys", json={"scopes": ["admin"]}, headers=headers)).status_code == 403


async def test_operator_keys_and_organisation_keys_do_not_open_each_others_doors(goals: Goals) -> None:
    _, admin_key = await goals.create_org()
    for method, path in (("GET", "/v1/goals/x"), ("POST", "/v1/goals"), ("GET", "/v1/keys")):
        response = await goals.http.request(method, path, json=GOAL, headers=goals.operator)
        assert response.status_code == 401, (path, response.text)
        assert "operator key" in response.json()["message"]
    for headers in (bearer(admin_key), {}, bearer("gso_not-a-key")):
        response = await goals.http.get("/v1/admin/organisations", headers=headers)
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"
    async with goals.pool.acquire() as conn:
        assert await operator_keys.revoke_operator_key(conn, goals.operator_key_id, datetime.now(UTC))
    assert (await goals.http.get("/v1/admin/organisations", headers=goals.operator)).status_code == 401


BAD_REQUESTS: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("POST", "/v1/admin/organisations", {"org_id": "new-org", "name": "N", "scopes": ["root"]}, 422, "scopes.0"),
    ("POST", "/v1/admin/organisations", {"org_id": "new-org", "name": "N", "scopes": []}, 422, "scopes"),
    ("POST", "/v1/admin/organisations", {"org_id": "has space", "name": "N"}, 422, "org_id"),
    ("POST", "/v1/admin/organisations", {"org_id": "new-org", "name": ""}, 422, "name"),
    ("POST", "/v1/admin/organisations", {"org_id": "new-org", "name": "N", "owner": "x"}, 422, "owner"),
    ("POST", "/v1/admin/organisations", {"org_id": "{existing}", "name": "again"}, 409, "org_id"),
    ("POST", "/v1/admin/organisations/org-nobody/keys", {"scopes": ["read"]}, 404, "org_id"),
    ("POST", "/v1/admin/organisations/{existing}/keys", {"scopes": ["read", "sudo"]}, 422, "scopes.1"),
    ("GET", "/v1/admin/organisations/org-nobody/keys", {}, 404, "org_id"),
    ("DELETE", "/v1/admin/keys/key_nobody", {}, 404, "key_id"),
    ("POST", "/v1/keys", {"scopes": "read"}, 422, "scopes"),
    ("DELETE", "/v1/keys/key_nobody", {}, 404, "key_id"),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "field"), BAD_REQUESTS)
async def test_bad_input_gets_a_4xx_naming_the_field_and_changes_nothing(
    goals: Goals, method: str, path: str, body: dict[str, Any], status: int, field: str
) -> None:
    existing, admin_key = await goals.create_org()
    headers = bearer(admin_key) if path.startswith("/v1/keys") else goals.operator
    body = {k: v.format(existing=existing) if isinstance(v, str) else v for k, v in body.items()}
    before = await goals.counts()
    response = await goals.http.request(method, path.format(existing=existing), json=body or None, headers=headers)
    assert response.status_code == status, response.text
    assert field in [e["field"] for e in response.json()["errors"]], response.text
    assert await goals.counts() == before
