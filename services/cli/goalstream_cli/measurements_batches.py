"""Posting the batches of `goalstream import` to `POST /v1/measurements` and tallying the answers."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Any, TextIO

import httpx

from goalstream_cli import api_retry


class ImportAborted(Exception):
    """The API refused the import as a whole (authentication, scope, unreachable)."""


@dataclass
class Summary:
    read: int = 0
    accepted: int = 0
    unmatched: int = 0  # of the accepted, those no goal used yet (kept for goals to come)
    duplicate: int = 0
    rejected: int = 0
    invalid: int = 0
    sent: int = 0  # rows in batches the API answered (each landed, as accepted or duplicate, or was rejected)
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # the first few (line, kind, reason)


class Importer:
    """Posts batches and tallies the answers; problems go to the summary and the errors file."""

    def __init__(self, client: httpx.Client, errors: TextIO | None, show: int, summary: Summary | None = None) -> None:
        self.client, self.show, self.summary = client, show, summary if summary is not None else Summary()
        self.errors = csv.writer(errors) if errors is not None else None
        if self.errors is not None:
            self.errors.writerow(["line", "kind", "reason"])

    def problem(self, line: int, kind: str, reason: str) -> None:
        if kind == "invalid":
            self.summary.invalid += 1
        else:
            self.summary.rejected += 1
        if len(self.summary.problems) < self.show:
            self.summary.problems.append((line, kind, reason))
        if self.errors is not None:
            self.errors.writerow([line, kind, reason])

    def post(self, lines: list[int], items: list[dict[str, Any]]) -> None:
        body = self._send({"measurements": items})
        self.summary.sent += len(items)
        for result in body["results"]:
            status, line = result["status"], lines[result["index"]]
            if status == "accepted":
                self.summary.accepted += 1
                self.summary.unmatched += int(result.get("goals") == 0)
            elif status == "duplicate":
                self.summary.duplicate += 1
            else:
                self.problem(line, "rejected", result.get("reason") or "rejected by the goals API")

    def _send(self, body: dict[str, Any]) -> dict[str, Any]:
        """The 202 answer; resent on 5xx and connection errors (`api_retry`: the ids make it safe)."""
        try:
            response = api_retry.post(self.client, "/v1/measurements", body)
        except api_retry.Unanswered as exc:
            raise ImportAborted(str(exc)) from exc
        if response.status_code != 202:
            refusal = f"{response.status_code}: {response.text[:500]}"
            raise ImportAborted(f"the goals API at {self.client.base_url} answered {refusal}")
        answer: dict[str, Any] = response.json()
        return answer
