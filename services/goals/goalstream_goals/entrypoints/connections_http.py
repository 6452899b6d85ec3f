"""`/v1/connections` (admin scope: they hold secrets) and `/v1/mappings` (write scope): translation only, the use
cases are in `service_layer.connections`. Another organisation's ids answer 404."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from goalstream_goals.entrypoints.connections_schemas import (
    ConnectionIn,
    ConnectionView,
    MappingIn,
    MappingView,
    PlatformName,
)
from goalstream_goals.service_layer import connections
from goalstream_goals.service_layer.goals import GoalsService
from goalstream_runtime.auth import Admin, Reader, Writer
from goalstream_runtime.http import ApiError


def _service(request: Request) -> GoalsService:
    service: GoalsService = request.app.state.goals
    return service


Service = Annotated[GoalsService, Depends(_service)]
ConnectionId = Annotated[str, Path(max_length=100, description="the connection's id (`con_…`)")]
MappingId = Annotated[str, Path(max_length=100, description="the mapping's id (`map_…`)")]
router = APIRouter(prefix="/v1", tags=["receivers: connections and mappings"])
NOT_STORED = {"headers": {"Cache-Control": {"$ref": "#/components/headers/Cache-Control"}}}


@contextlib.contextmanager
def _errors(kind: str) -> Iterator[None]:
    try:
        yield
    except connections.NotFound as exc:
        raise ApiError(404, "not_found", f"{kind} {exc} not found", "id") from exc
    except connections.AccountTaken as exc:
        raise ApiError(409, "account_bound", f"{exc} is bound to a connection already", "account") from exc


@router.post(
    "/connections",
    status_code=201,
    response_model=ConnectionView,
    responses={
        201: NOT_STORED,
        409: {"description": "`account_bound`: the platform account is bound to a connection already"},
    },
)
async def create_connection(body: ConnectionIn, caller: Admin, service: Service, response: Response) -> ConnectionView:
    """Bind a platform account to the organisation. The secret is kept to verify signatures and never returned;
    a Salesforce connection's `receiver_token` (its receiver URL's last part) is in this answer only."""
    body.checked()
    with _errors("connection"):
        created = await connections.create_connection(
            service, caller.org_id, body.platform, body.account, body.secret, body.receiver_url
        )
    response.headers["Location"] = f"/v1/connections/{created.info.connection_id}"
    response.headers["Cache-Control"] = "no-store"  # a Salesforce receiver token is in this body, shown once
    return ConnectionView.of(created.info, receiver_token=created.token)


@router.get("/connections", response_model=list[ConnectionView])
async def list_connections(caller: Admin, service: Service) -> list[ConnectionView]:
    return [ConnectionView.of(c) for c in await connections.list_connections(service, caller.org_id)]


@router.get("/connections/{connection_id}", response_model=ConnectionView)
async def get_connection(connection_id: ConnectionId, caller: Admin, service: Service) -> ConnectionView:
    """The connection and the records no mapping matched: per object type, how many and the last one."""
    with _errors("connection"):
        info, unmatched = await connections.get_connection(service, caller.org_id, connection_id)
    return ConnectionView.of(info, unmatched=unmatched)


@router.delete("/connections/{connection_id}", status_code=204)
async def delete_connection(connection_id: ConnectionId, caller: Admin, service: Service) -> Response:
    with _errors("connection"):
        await connections.delete_connection(service, caller.org_id, connection_id)
    return Response(status_code=204)


@router.post("/mappings", status_code=201, response_model=MappingView)
async def create_mapping(body: MappingIn, caller: Writer, service: Service, response: Response) -> MappingView:
    mapping = await connections.create_mapping(service, caller.org_id, body.model_dump())
    response.headers["Location"] = f"/v1/mappings/{mapping.mapping_id}"
    return MappingView.of(mapping)


@router.get("/mappings", response_model=list[MappingView])
async def list_mappings(
    caller: Reader,
    service: Service,
    platform: Annotated[PlatformName | None, Query(description="only this platform's mappings")] = None,
) -> list[MappingView]:
    return [MappingView.of(m) for m in await connections.list_mappings(service, caller.org_id, platform)]


@router.get("/mappings/{mapping_id}", response_model=MappingView)
async def get_mapping(mapping_id: MappingId, caller: Reader, service: Service) -> MappingView:
    with _errors("mapping"):
        return MappingView.of(await connections.get_mapping(service, caller.org_id, mapping_id))


@router.delete("/mappings/{mapping_id}", status_code=204)
async def delete_mapping(mapping_id: MappingId, caller: Writer, service: Service) -> Response:
    with _errors("mapping"):
        await connections.delete_mapping(service, caller.org_id, mapping_id)
    return Response(status_code=204)
