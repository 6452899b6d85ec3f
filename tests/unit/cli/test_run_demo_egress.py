"""`goalstream run` lets notifications deliver to this machine in the demo, unless told otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from goalstream_cli.run.settings import RunSettings


def test_the_demo_allows_loopback_webhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOALSTREAM_EGRESS_ALLOW", raising=False)
    monkeypatch.delenv("GOALSTREAM_HTTP_HOST", raising=False)  # 127.0.0.1
    assert RunSettings().demo_egress_allow() == '["127.0.0.0/8", "::1/128"]'


def test_an_egress_allow_list_of_the_operator_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOALSTREAM_EGRESS_ALLOW", '["10.1.0.0/16"]')
    assert RunSettings().demo_egress_allow() is None


def test_the_demo_setting_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOALSTREAM_EGRESS_ALLOW", raising=False)
    monkeypatch.setenv("GOALSTREAM_DEMO_WEBHOOKS_TO_THIS_MACHINE", "false")
    assert RunSettings().demo_egress_allow() is None


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "::1", "[::1]", "localhost"])
def test_services_listening_on_this_machine_only_get_the_demo_relaxation(
    monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    monkeypatch.delenv("GOALSTREAM_EGRESS_ALLOW", raising=False)
    monkeypatch.setenv("GOALSTREAM_HTTP_HOST", host)
    assert RunSettings().demo_egress_allow() == '["127.0.0.0/8", "::1/128"]'


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "goalstream.example.com"])
def test_services_others_can_reach_never_get_the_demo_relaxation(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    """Anyone with a key could otherwise make notifications POST to this machine's own services."""
    monkeypatch.delenv("GOALSTREAM_EGRESS_ALLOW", raising=False)
    monkeypatch.setenv("GOALSTREAM_HTTP_HOST", host)
    assert RunSettings().demo_egress_allow() is None


def test_an_allow_list_in_the_dotenv_file_wins_too(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The services read it from .env as well; the demo's, passed in their environment, would otherwise win."""
    monkeypatch.delenv("GOALSTREAM_EGRESS_ALLOW", raising=False)
    monkeypatch.delenv("GOALSTREAM_HTTP_HOST", raising=False)
    (tmp_path / "run.env").write_text('GOALSTREAM_EGRESS_ALLOW=["10.1.0.0/16"]\n')
    monkeypatch.setenv("GOALSTREAM_ENV_FILE", str(tmp_path / "run.env"))
    assert RunSettings().demo_egress_allow() is None
