"""The one error a rule raises: a value no rule can work with, naming the input at fault."""

from __future__ import annotations


class RuleError(ValueError):
    """`field` names the input at fault, so a service can answer 4xx naming it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field
