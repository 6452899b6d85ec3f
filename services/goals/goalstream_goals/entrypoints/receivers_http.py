"""`POST /v1/receivers/hubspot`: HubSpot webhooks. No bearer key: HubSpot's v3 signature is the authentication,
checked with the client secret of the connection that binds the event's portalId.

Answers: 200 with what the batch did (HubSpot retries on 5xx and timeouts, so a batch taken is answered at once,
unmatched records included); 401 for an unknown portal, a bad signature or a stale timestamp; 400 for a body that
is not a batch of at most 100 events; 413 over the size limit; 503 when the goals kept changing under the batch
(nothing recorded: HubSpot sends it again). In every refusal nothing changes.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request

from goalstream_goals.adapters import connections as connection_rows
from goalstream_goals.adapters.connections import Bound
from goalstream_goals.domain.inbound import hubspot
from goalstream_goals.entrypoints.receivers_refusal import Unauthorized, answered
from goalstream_goals.service_layer.goals import ConcurrencyError, GoalsService
from goalstream_goals.service_layer.inbound import Receipt, receive
from goalstream_runtime.http import ApiError

MAX_BYTES = 1_000_000  # 100 events are some 50 kB; a body far over that is not HubSpot's


def _service(request: Request) -> GoalsService:
    service: GoalsService = request.app.state.goals
    return service


Service = Annotated[GoalsService, Depends(_service)]
router = APIRouter(prefix="/v1/receivers", tags=["receivers"])
REFUSED = "`unauthorized`: unknown portalId, bad or missing X-HubSpot-Signature-v3, or a stale timestamp"


@router.post(
    "/hubspot",
    response_model=dict[str, Any],
    responses={
        200: {"description": "taken: measurements by outcome and the records no mapping matched"},
        400: {"description": "`malformed_json`, or `malformed_batch`: not an array of 1 to 100 HubSpot events"},
        401: {"description": REFUSED},
    },
)
async def receive_hubspot_webhook(
    request: Request,
    service: Service,
    x_hubspot_signature_v3: Annotated[
        str | None, Header(description="base64 HMAC-SHA256 of method, URL, body and timestamp (the client secret)")
    ] = None,
    x_hubspot_request_timestamp: Annotated[
        str | None, Header(description="when HubSpot sent it, epoch milliseconds: at most 5 minutes away")
    ] = None,
) -> Any:
    return await answered(_take(request, service, x_hubspot_signature_v3, x_hubspot_request_timestamp))


async def _take(request: Request, service: GoalsService, sent: str | None, timestamp: str | None) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_BYTES:
        raise ApiError(413, "payload_too_large", f"request body is larger than {MAX_BYTES} bytes")
    try:
        events, portals = hubspot.portals(body)
    except hubspot.Malformed as exc:
        raise ApiError(400, exc.code, str(exc), exc.field) from exc
    bound: dict[str, Bound] = {}
    async with service.pool.acquire() as conn:
        for portal in sorted(portals):
            found = await connection_rows.by_account(conn, "hubspot", portal)
            if found is None or found.secret is None:
                raise Unauthorized(f"no connection binds HubSpot portal {portal}")
            bound[portal] = found
    now = service.clock()
    for found in bound.values():  # every portal's secret must verify it: none speaks for another's organisation
        uris = [str(request.url)] + ([found.info.receiver_url] if found.info.receiver_url else [])
        try:
            hubspot.verify(found.secret or "", "POST", uris, body, timestamp, sent, now)
        except hubspot.Refused as exc:
            raise Unauthorized(str(exc)) from exc
    correlation = uuid.uuid4()
    receipts: list[Receipt] = []
    try:
        for portal, found in bound.items():
            records = [hubspot.record(e) for e in events if str(e["portalId"]) == portal]
            receipts.append(await receive(service, found.info, records, correlation))
    except ConcurrencyError as exc:
        message = "the goals kept changing under the batch; nothing more was recorded, send it again"
        raise ApiError(503, "busy", message, headers={"Retry-After": "1"}) from exc
    return {
        "accepted": sum(r.accepted for r in receipts),
        "duplicate": sum(r.duplicate for r in receipts),
        "rejected": sum(r.rejected for r in receipts),
        "unmatched": [vars(u) for r in receipts for u in r.unmatched],
    }
