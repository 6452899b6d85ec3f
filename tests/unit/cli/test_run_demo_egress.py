"""`goalstream run` lets notifications deliver to this machine in the demo, unless told otherwise."""

from __future__ import annotations

import pytest

from goalstream_cli.run.settings import RunSettings


def test_the_demo_allows_loopback_webhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOALSTREAM_EGRESS_ALLOW", raising=False)
    assert RunSettings().demo_egress_allow() == '["127.0.0.0/8", "::1/128"]'


def test_an_egress_allow_list_of_the_operator_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOALSTREAM_EGRESS_ALLOW", '["10.1.0.0/16"]')
    assert RunSettings().demo_egress_allow() is None


def test_the_demo_setting_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOALSTREAM_EGRESS_ALLOW", raising=False)
    monkeypatch.setenv("GOALSTREAM_DEMO_WEBHOOKS_TO_THIS_MACHINE", "false")
    assert RunSettings().demo_egress_allow() is None
