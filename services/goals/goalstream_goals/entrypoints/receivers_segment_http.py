"""`POST /v1/receivers/segment`: Segment's Webhooks destinations. No bearer key: `X-Signature` (hex HMAC-SHA1 of
the body with the destination's shared secret) is the authentication.

The connection is the one bound to the event's source (`projectId`, which Segment sets on what it forwards). An
event without one (an Actions mapping whose Data leaves it out) is verified against each Segment connection's
secret in turn (so it may be no larger than Segment's 32 kB event limit), and taken only when exactly one verifies
it: a secret shared by two connections cannot say which source sent it. Answers: 200 with what the delivery did
(Segment retries 5xx and 429, so an event taken is answered at once; other calls than `track` are answered and
counted as ignored); 401 for an unknown source or a bad or missing signature; 400 naming the field for a body that is
not a Segment event; 413 over the size limit; 503 when the goals kept changing under it (nothing recorded: Segment
sends it again). In every refusal nothing changes.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request

from goalstream_goals.adapters import connections as connection_rows
from goalstream_goals.adapters.connections import Bound
from goalstream_goals.domain.inbound import segment
from goalstream_goals.domain.inbound.common import json_body
from goalstream_goals.entrypoints.receivers_refusal import Unauthorized, answered
from goalstream_goals.service_layer.goals import ConcurrencyError, GoalsService
from goalstream_goals.service_layer.inbound import receive
from goalstream_runtime.http import ApiError

MAX_BYTES = 1_000_000  # Segment refuses events over 32 kB; a body far over that is not one of its deliveries
# An event without projectId costs one HMAC per Segment connection before anything is known of its sender, so
# it may be no larger than Segment's own limit on an event: the work an unsigned caller can cause stays small.
UNSOURCED_MAX_BYTES = 32 * 1024


def _service(request: Request) -> GoalsService:
    service: GoalsService = request.app.state.goals
    return service


Service = Annotated[GoalsService, Depends(_service)]
router = APIRouter(prefix="/v1/receivers", tags=["receivers"])


def _source(body: bytes) -> str | None:
    """The Segment source the delivery names (`projectId`), None when it names none; one source a delivery."""
    try:
        decoded = json_body(body)
    except segment.Malformed as exc:
        raise ApiError(400, exc.code, str(exc), exc.field) from exc
    events = decoded if isinstance(decoded, list) else [decoded]
    found = {e["projectId"] for e in events if isinstance(e, dict) and isinstance(e.get("projectId"), str)}
    if len(found) > 1:
        raise ApiError(400, "malformed_event", "a delivery comes from one Segment source", "projectId")
    return next(iter(found), None) or None


async def _verified(service: GoalsService, body: bytes, source: str | None, sent: str | None) -> Bound:
    """The connection whose shared secret signed `body`, or Unauthorized."""
    async with service.pool.acquire() as conn:
        if source is not None:
            found = await connection_rows.by_account(conn, "segment", source)
            candidates = [] if found is None else [found]
        else:
            candidates = await connection_rows.every_bound(conn, "segment")
    if not candidates:
        raise Unauthorized(f"no connection binds Segment source {source}" if source else
                           "no Segment connection; an event without projectId is verified against each")  # fmt: skip
    verified = []
    for candidate in candidates:
        try:
            segment.verify(candidate.secret or "", body, sent)
        except segment.Refused as exc:
            if source is not None:
                raise Unauthorized(str(exc)) from exc
        else:
            verified.append(candidate)
    if len(verified) != 1:
        why = "matches no connection's shared secret" if not verified else "matches several connections' secrets"
        raise Unauthorized(f"{segment.SIGNATURE_HEADER} {why}: send the event's projectId")
    return verified[0]


@router.post(
    "/segment",
    response_model=dict[str, Any],
    responses={
        200: {"description": "taken: measurements by outcome, the events no mapping matched, how many were ignored"},
        400: {"description": "`malformed_json`, or `malformed_event` naming the field: not a Segment event"},
        401: {"description": "`unauthorized`: unknown source, or a bad or missing X-Signature"},
        413: {
            "description": f"`payload_too_large`: the body is over {MAX_BYTES} bytes, or over {UNSOURCED_MAX_BYTES}"
            " without projectId"
        },
    },
)
async def receive_segment_event(
    request: Request,
    service: Service,
    x_signature: Annotated[
        str | None, Header(description="hex HMAC-SHA1 of the body with the destination's shared secret")
    ] = None,
) -> Any:
    return await answered(_take(request, service, x_signature))


async def _take(request: Request, service: GoalsService, sent: str | None) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_BYTES:
        raise ApiError(413, "payload_too_large", f"request body is larger than {MAX_BYTES} bytes")
    source = _source(body)
    if source is None and len(body) > UNSOURCED_MAX_BYTES:
        message = f"an event without projectId may be at most {UNSOURCED_MAX_BYTES} bytes: send the event's projectId"
        raise ApiError(413, "payload_too_large", message, "projectId")
    bound = await _verified(service, body, source, sent)
    try:
        delivery = segment.parse(body, account=bound.info.account)
    except segment.Malformed as exc:
        raise ApiError(400, exc.code, str(exc), exc.field) from exc
    try:
        receipt = await receive(service, bound.info, list(delivery.records), uuid.uuid4())
    except ConcurrencyError as exc:
        message = "the goals kept changing under the delivery; nothing was recorded, send it again"
        raise ApiError(503, "busy", message, headers={"Retry-After": "1"}) from exc
    return {
        "accepted": receipt.accepted,
        "duplicate": receipt.duplicate,
        "rejected": receipt.rejected,
        "unmatched": [vars(u) for u in receipt.unmatched],
        "ignored": len(delivery.ignored),
    }
