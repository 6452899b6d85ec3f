"""The error every API answers with: a machine-readable code, a message and the fields at fault."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error the API reports as `status` with a machine-readable `code` and a field, if one is at fault."""

    def __init__(
        self, status: int, code: str, message: str, field: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}


def error_body(code: str, message: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": code, "message": message, "errors": errors or []}


def unreadable_json(exc: BaseException) -> str | None:
    """Why a body FastAPI could not parse is not JSON, when the cause says so; None for any other 400.

    FastAPI answers a JSON syntax error itself, but a body that is not UTF-8 (UnicodeDecodeError) or
    nests deeper than the parser recurses (RecursionError) becomes a bare 400 with the error as its cause.
    """
    cause = exc.__cause__
    if isinstance(cause, UnicodeDecodeError):
        return "it is not valid UTF-8"
    if isinstance(cause, RecursionError):
        return "it nests arrays or objects too deeply"
    if isinstance(cause, ValueError):
        return str(cause) or "it cannot be parsed"
    return None
