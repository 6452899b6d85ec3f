"""`POST /v1/receivers/salesforce/{token}`: Salesforce Outbound Messages. No bearer key: Outbound Messages are not
signed, so the token in the URL (only its hash is kept) names the connection, and the message's OrganizationId
must be that connection's organisation.

Answers are SOAP, since Salesforce reads them: 200 with `<Ack>true</Ack>` once the message is taken (unmatched and
repeated notifications included: Salesforce sends again until it is acked); a SOAP fault otherwise, whose
faultstring Salesforce shows as the delivery's failure reason: 401 for an unknown token or another organisation,
400 for a body that is not an Outbound Message, 413 over the size limit, 503 when the goals kept changing under
the message (nothing recorded; Salesforce retries). In every refusal nothing changes.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from starlette.exceptions import HTTPException

from goalstream_goals.adapters import connections as connection_rows
from goalstream_goals.domain.inbound import salesforce
from goalstream_goals.service_layer.connections import token_hash
from goalstream_goals.service_layer.goals import ConcurrencyError, GoalsService
from goalstream_goals.service_layer.inbound import receive

# 100 notifications of a few dozen fields are some 200 kB; long text fields can be 32 kB each, so allow 4 MB.
MAX_BYTES = 4_000_000
SOAP_XML = {salesforce.CONTENT_TYPE.split(";")[0]: {"schema": {"type": "string"}}}


def _service(request: Request) -> GoalsService:
    service: GoalsService = request.app.state.goals
    return service


Service = Annotated[GoalsService, Depends(_service)]
Token = Annotated[str, Path(description="the connection's receiver token, shown once when it was created")]
router = APIRouter(prefix="/v1/receivers", tags=["receivers"])


def _soap(status: int, body: bytes, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status, headers, media_type=salesforce.CONTENT_TYPE)


def _fault(status: int, reason: str, headers: dict[str, str] | None = None) -> Response:
    return _soap(status, salesforce.fault(reason, sender_at_fault=status < 500), headers)


FAULTS = {  # what each refusal's SOAP fault says, as OpenAPI documents it
    400: "the body is not an Outbound Message; names the element",
    401: "unknown receiver token, or another OrganizationId",
    413: f"the body is over {MAX_BYTES} bytes",
    503: "the goals kept changing; nothing recorded, Salesforce retries",
}


@router.post(
    "/salesforce/{token}",
    response_class=Response,
    responses={
        200: {"description": "taken: the SOAP `notificationsResponse` with `<Ack>true</Ack>`", "content": SOAP_XML},
        **{
            code: {"description": f"a SOAP fault (text/xml): {why}", "content": SOAP_XML}
            for code, why in FAULTS.items()
        },
    },
)
async def receive_salesforce_outbound_message(token: Token, request: Request, service: Service) -> Response:
    try:
        body = await request.body()
    except HTTPException as exc:  # the service's size limit, met while the body streams in (no Content-Length)
        if exc.status_code != 413:
            raise
        return _fault(413, str(exc.detail))  # "request body is larger than N bytes"
    if len(body) > MAX_BYTES:
        return _fault(413, f"the message is larger than {MAX_BYTES} bytes")
    async with service.pool.acquire() as conn:
        bound = await connection_rows.by_token(conn, token_hash(token))
    if bound is None:  # checked before the body is parsed: a stranger learns nothing of how we parse
        return _fault(401, "unknown receiver token: check the Outbound Message's endpoint URL")
    try:
        message = salesforce.parse(body)
    except salesforce.Malformed as exc:
        return _fault(400, f"{exc.code} at {exc.field}: {exc}")
    if not salesforce.organization_matches(bound.info.account, message.organization_id):
        return _fault(401, f"OrganizationId {message.organization_id} is not this connection's organisation")
    try:
        await receive(service, bound.info, list(message.records), uuid.uuid4())
    except ConcurrencyError:
        return _fault(503, "the goals kept changing under the message; nothing was recorded", {"Retry-After": "1"})
    return _soap(200, salesforce.ACK)
