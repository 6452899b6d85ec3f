"""`goalstream tail` filters and lines, `lag`'s default groups and `admin`'s scopes, without a broker."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import typer

from goalstream_cli.admin import parse_scopes
from goalstream_cli.lag import default_groups
from goalstream_cli.tail import describe, matches
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.identity import OrganisationCreated


def envelope(org: str = "org-a") -> Envelope[OrganisationCreated]:
    return Envelope[OrganisationCreated].new(
        OrganisationCreated(name="Acme"),
        org_id=org,
        stream_id="org-a",
        stream_version=1,
        occurred_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        source="/goalstream/goals",
    )


def test_filters() -> None:
    e = envelope()
    assert matches(e, [], None, None)
    assert matches(e, ["OrganisationCreated"], "Acme", "org-a")
    assert matches(e, [], "org-a", None)  # the stream id counts as the goal too
    assert not matches(e, ["GoalSet"], None, None)
    assert not matches(e, [], "other", None)
    assert not matches(e, [], None, "org-b")


def test_one_line_per_event() -> None:
    assert describe(envelope()) == "2026-01-02T03:04:05+00:00 OrganisationCreated org=org-a subject=Acme name=Acme"


def test_default_groups_follow_the_prefix() -> None:
    groups = default_groups("p")
    assert {"p-tracking", "p-notifications", "p-goals-measurements"} <= groups.keys()


def test_scopes() -> None:
    assert parse_scopes(" read, write,read") == ("read", "write")
    with pytest.raises(typer.BadParameter):
        parse_scopes("read,root")
    with pytest.raises(typer.BadParameter):
        parse_scopes("")
