"""The words of the OpenAPI documents that no route states: the error body, each refusal, the shared parameters."""

from __future__ import annotations

from typing import Any

# Every error body (ApiError, validation, HTTP errors) in the OpenAPI documents.
ERROR_SCHEMAS: dict[str, Any] = {
    "FieldError": {
        "title": "FieldError",
        "type": "object",
        "required": ["field", "message", "type"],
        "properties": {
            "field": {"type": "string", "description": "the input at fault, e.g. `target` or `measurements.3.value`"},
            "message": {"type": "string", "description": "what is wrong with it, for a person"},
            "type": {"type": "string", "description": "machine-readable kind of the problem"},
        },
    },
    "Error": {
        "title": "Error",
        "type": "object",
        "required": ["error", "message", "errors"],
        "properties": {
            "error": {"type": "string", "description": "machine-readable code, e.g. `not_found` or `invalid_request`"},
            "message": {"type": "string", "description": "what went wrong, for a person"},
            "errors": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/FieldError"},
                "description": "each input at fault (empty when the refusal names no field)",
            },
        },
    },
}

# What each refusal means, whatever the operation (a route may say more in its own `responses=`).
REFUSALS: dict[str, str] = {
    "400": "`malformed_json`: the body is not JSON, or a header cannot be read (`invalid_if_match`)",
    "401": "`unauthorized`: no API key, or an unknown or revoked one (`WWW-Authenticate: Bearer`)",
    "403": "`forbidden`: the API key lacks the scope this operation needs (`read`, `write` or `admin`)",
    "404": "`not_found`: no such resource in the caller's organisation (another organisation's ids answer the same)",
    "409": "`version_conflict`: If-Match names a version that is no longer the latest; or the goal is archived",
    "413": "`payload_too_large`: the body is over `GOALSTREAM_MAX_BODY_BYTES`",
    "422": "`invalid_request` or a rule of the domain: `errors` names each field at fault",
    "428": "`precondition_required`: send If-Match with the version from the ETag",
    "429": "`rate_limited`: over the API key's rate limit; retry after `Retry-After` seconds",
    "503": "`unavailable` or `busy`: the database is down or the request met concurrent work; nothing changed,"
    " retry after `Retry-After` seconds",
}

# Parameters that mean the same wherever they appear; a route's own `description=` wins.
PARAMETERS: dict[str, str] = {
    "goal_id": "the goal's id",
    "ladder_id": "the ladder's id",
    "key_id": "the API key's id (`key_id`, never the key itself)",
    "org_id": "the organisation's id",
    "subscription_id": "the subscription's id",
    "delivery_id": "the delivery's id",
    "after": "the `next_after` of the previous page",
    "after_version": "only versions after this one (0: from the first)",
    "limit": "most items returned",
    "max_depth": "levels below the root included (0: the root alone)",
    "level": "only goals at this level of the organisation",
    "owner": "only goals of this owner",
    "parent": "only children of this goal",
    "parent_id": "only children of this goal",
    "metric": "only goals counting this metric",
    "archived": "include archived goals",
    "state": "only anti-goals in this state (`breached` or `ok`)",
    "status": "only items with this status",
    "reason": "why the goal is archived, kept in GoalArchived",
    "as_of": "answer as things stood then (ISO-8601 with zone)",
    "if-match": 'the version from the ETag (`"3"`, `3` or `W/"3"`); a stale one is 409',
    "idempotency-key": "a retried request with the same key and body answers as the first did and writes nothing",
}

# The two keys an operation may take (`components.securitySchemes`): both are `Authorization: Bearer <key>`.
SECURITY_SCHEMES: dict[str, Any] = {
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "an organisation's API key (`gs_…`), issued by `goalstream admin` or `POST /v1/keys`;"
        " its scopes (`read`, `write`, `admin`) decide what it may do",
    },
    "operatorKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "an operator key (`gso_…`, `goalstream admin operator issue`): only `/v1/admin/*` takes it",
    },
}


def _header(description: str, required: bool = True, **schema: Any) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": {"type": "string", **schema}}


# Every response header the services set themselves (`components.headers`), by the name they are sent with.
HEADERS: dict[str, Any] = {
    "Retry-After": _header("seconds to wait before sending the same request again", type="integer", minimum=1),
    "WWW-Authenticate": _header("`Bearer`: send the key as `Authorization: Bearer <key>`"),
    "ETag": _header('the goal\'s version, quoted (`"3"`): send it back as If-Match to change this version'),
    "Location": _header("the path of the resource this answer is about, e.g. `/v1/goals/{goal_id}`"),
    "Idempotent-Replayed": _header(
        "`true` when this answers a retry with the same Idempotency-Key: nothing was written again", required=False
    ),
    "Cache-Control": _header("`no-store`: the body holds a secret shown only once"),
    # Sent on every response by the security middleware (http_security): no body is read as a page elsewhere.
    "X-Content-Type-Options": _header("`nosniff`"),
    "Content-Security-Policy": _header(
        "lets nothing in an answer run, load or be framed (pages: their own scripts and styles only)"
    ),
    "X-Frame-Options": _header("`DENY`"),
    "Referrer-Policy": _header("`no-referrer`"),
}
EVERY_RESPONSE = ("X-Content-Type-Options", "Content-Security-Policy", "X-Frame-Options", "Referrer-Policy")

# Headers a handler sets on a success answer, by the schema of that answer's body: the representation carries
# them wherever it is answered (a goal carries its version as ETag), so a new route answering one is covered.
BODY_HEADERS: dict[str, tuple[str, ...]] = {
    "GoalView": ("ETag", "Location"),
    "SubscriptionCreated": ("Location", "Cache-Control"),
    "SecretRotated": ("Cache-Control",),
}
# ... and on a 201 alone: the resource a POST made (a ladder read back with GET carries no Location).
CREATED_HEADERS: dict[str, tuple[str, ...]] = {"LadderView": ("Location",)}
