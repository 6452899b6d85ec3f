"""The one error the domain raises."""

from __future__ import annotations


class DomainError(ValueError):
    """A command the domain refuses; `field` names the input at fault."""

    def __init__(self, message: str, field: str | None = None, code: str = "invalid_goal") -> None:
        super().__init__(message)
        self.field = field
        self.code = code
