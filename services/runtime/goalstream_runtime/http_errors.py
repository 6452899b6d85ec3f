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
