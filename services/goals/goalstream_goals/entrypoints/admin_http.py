"""The admin API: operators manage organisations and keys; an organisation's admin key manages its own keys.

Translation only: the use cases are in `service_layer.identity`. Two credentials, two routers:
`/v1/admin/*` takes an operator key (`gso_…`, issued by `goalstream admin operator issue`) and
nothing else; `/v1/keys` takes an organisation key with the `admin` scope and never reaches
another organisation's keys (404, never 403).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from goalstream_goals.adapters import operator_keys
from goalstream_goals.entrypoints.admin_schemas import (
    IssuedKeyView,
    KeyIn,
    KeyView,
    OrganisationCreatedView,
    OrganisationIn,
    OrganisationPage,
    OrganisationView,
)
from goalstream_goals.service_layer import identity
from goalstream_goals.service_layer.goals import GoalsService
from goalstream_runtime.auth import Admin, bearer_key, rate_limit
from goalstream_runtime.http import ApiError

MAX_PAGE = 500


def _no_store(response: Response) -> None:
    """A new key is in the answer, shown this once: no cache (a proxy's, the browser's) may keep a copy."""
    response.headers["Cache-Control"] = "no-store"


# On the routes that answer a new key: the header set, and documented (http_openapi_headers keeps a route's own).
NO_STORE = [Depends(_no_store)]
NOT_STORED: dict[int | str, dict[str, Any]] = {
    201: {"headers": {"Cache-Control": {"$ref": "#/components/headers/Cache-Control"}}}
}


def _service(request: Request) -> GoalsService:
    service: GoalsService = request.app.state.goals
    return service


async def _operator(request: Request) -> str:
    """The id of the request's operator key; 401 for anything else, organisation keys included."""
    key_id = await operator_keys.find_operator(request.app.state.pool, bearer_key(request))
    if key_id is None:
        message = "unknown or revoked operator key: /v1/admin needs an operator key (gso_…), not an organisation key"
        raise ApiError(401, "unauthorized", message)
    rate_limit(request, key_id)
    return key_id


Service = Annotated[GoalsService, Depends(_service)]
operator_router = APIRouter(prefix="/v1/admin", tags=["admin (operator key)"], dependencies=[Depends(_operator)])
keys_router = APIRouter(prefix="/v1", tags=["API keys (organisation admin)"])


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except identity.OrganisationExists as exc:
        raise ApiError(409, "organisation_exists", f"organisation {exc} already exists", "org_id") from exc
    except identity.UnknownOrganisation as exc:
        raise ApiError(404, "not_found", f"organisation {exc} not found", "org_id") from exc
    except identity.UnknownKey as exc:
        raise ApiError(404, "not_found", f"key {exc} not found", "key_id") from exc


@operator_router.post(
    "/organisations",
    status_code=201,
    response_model=OrganisationCreatedView,
    dependencies=NO_STORE,
    responses={
        **NOT_STORED,
        409: {"description": "`organisation_exists`: an organisation has this `org_id` already"},
    },
)
async def create_organisation(body: OrganisationIn, service: Service) -> OrganisationCreatedView:
    with _errors():
        org, key = await identity.create_organisation(service, body.org_id, body.name, body.scopes)
    return OrganisationCreatedView(organisation=OrganisationView.of(org), key=IssuedKeyView.issued(key))


@operator_router.get("/organisations", response_model=OrganisationPage)
async def list_organisations(
    service: Service,
    after: Annotated[str, Query(max_length=200, description="the `next_after` of the previous page")] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> OrganisationPage:
    items = [OrganisationView.of(o) for o in await identity.list_organisations(service, after, limit)]
    return OrganisationPage(items=items, next_after=items[-1].org_id if len(items) == limit else None)


@operator_router.post(
    "/organisations/{org_id}/keys",
    status_code=201,
    response_model=IssuedKeyView,
    dependencies=NO_STORE,
    responses=NOT_STORED,
)
async def operator_issue_key(org_id: str, body: KeyIn, service: Service) -> IssuedKeyView:
    with _errors():
        return IssuedKeyView.issued(await identity.issue_key(service, org_id, body.scopes))


@operator_router.get("/organisations/{org_id}/keys", response_model=list[KeyView])
async def operator_list_keys(org_id: str, service: Service) -> list[KeyView]:
    with _errors():
        return [KeyView.of(k) for k in await identity.list_keys(service, org_id)]


@operator_router.delete("/keys/{key_id}", status_code=204)
async def operator_revoke_key(key_id: str, service: Service) -> Response:
    """Revoke any organisation's key. Revoking a revoked key answers 204 again; an unknown key 404."""
    with _errors():
        await identity.revoke_key(service, key_id)
    return Response(status_code=204)


@keys_router.get("/keys", response_model=list[KeyView])
async def list_own_keys(caller: Admin, service: Service) -> list[KeyView]:
    with _errors():
        return [KeyView.of(k) for k in await identity.list_keys(service, caller.org_id)]


@keys_router.post("/keys", status_code=201, response_model=IssuedKeyView, dependencies=NO_STORE, responses=NOT_STORED)
async def issue_own_key(body: KeyIn, caller: Admin, service: Service) -> IssuedKeyView:
    with _errors():
        return IssuedKeyView.issued(await identity.issue_key(service, caller.org_id, body.scopes))


@keys_router.delete("/keys/{key_id}", status_code=204)
async def revoke_own_key(key_id: str, caller: Admin, service: Service) -> Response:
    """Revoke one of the caller's organisation's keys (the caller's own too); another organisation's: 404."""
    with _errors():
        await identity.revoke_key(service, key_id, caller.org_id)
    return Response(status_code=204)
