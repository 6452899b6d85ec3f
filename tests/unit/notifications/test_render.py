"""Slack and email rendering of goal events, the email's MIME shape, a permanent SMTP refusal, channel settings."""

from __future__ import annotations

import email
import json
import random
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from pydantic import ValidationError

from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import (
    AntiGoalBreached,
    GoalAchieved,
    GoalCheckInDue,
    GoalSet,
    LadderRungUnlocked,
    MilestoneHit,
)
from goalstream_notifications.adapters.email import SmtpConfig, build_message, message_id
from goalstream_notifications.domain.render import (
    HEADLINES,
    EmailContent,
    GoalInfo,
    describe,
    email_message,
    number,
    quantity,
    slack_body,
    slack_message,
)
from goalstream_notifications.domain.retry import AttemptResult, Dead, RetryLater, RetrySchedule, decide
from goalstream_notifications.domain.subscription import GOAL_EVENT_TYPES
from goalstream_notifications.settings import NotificationsSettings

AT = datetime(2026, 3, 1, 14, 5, tzinfo=UTC)
BASE = "https://goalstream.example/track"


def envelope(payload: Payload) -> Envelope[Payload]:
    return Envelope[Payload].new(
        payload,
        org_id="acme",
        stream_id=payload.subject(),
        stream_version=2,
        occurred_at=AT,
        source="/goalstream/goals",
    )


def breached(goal_id: str = "anti-1") -> Envelope[Payload]:
    return envelope(
        AntiGoalBreached(
            goal_id=goal_id, value=0.75, threshold=0.5, comparator="above", severity="critical", breached_at=AT
        )
    )


def texts(message: dict[str, Any]) -> str:
    """Every text a Slack reader sees, joined."""
    found: list[str] = [message["text"]]
    for block in message["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [f["text"] for f in block.get("fields", [])]
        found += [e["text"] for e in block.get("elements", [])]
    return "\n".join(found)


def test_numbers_read_as_people_write_them() -> None:
    assert [number(v) for v in (15000, 0.005, 1234.5, -3.0, 0.00012, 2_500_000.25)] == [
        "15,000",
        "0.005",
        "1,234.5",
        "-3",
        "0.00012",
        "2,500,000.25",
    ]
    assert quantity(0.75, "%") == "0.75%" and quantity(1200, "leads") == "1,200 leads" and quantity(3, None) == "3"


def test_every_goal_event_type_a_subscription_can_name_has_a_headline() -> None:
    assert set(HEADLINES) == GOAL_EVENT_TYPES


def test_anti_goal_breach_on_slack_names_goal_what_happened_value_threshold_severity_and_link() -> None:
    alert = describe(breached(), GoalInfo(title="Unsubscribe rate", unit="%"), BASE)
    message = slack_message(alert)
    assert [b["type"] for b in message["blocks"]] == ["header", "section", "section", "context"]
    header = message["blocks"][0]["text"]
    assert header == {"type": "plain_text", "text": ":red_circle: Anti-goal breached: Unsubscribe rate", "emoji": True}
    link = f"{BASE}/#goal=anti-1"
    assert message["blocks"][1]["text"]["text"] == (
        f"*<{link}|Unsubscribe rate>* is 0.75%, above its threshold of 0.5%."
    )
    fields = [f["text"] for f in message["blocks"][2]["fields"]]
    assert fields == [
        "*Value*\n0.75%",
        "*Threshold*\nabove 0.5%",
        "*Severity*\ncritical",
        "*Breached at*\n2026-03-01 14:05 UTC",
    ]
    assert f"<{link}|Goal on the dashboard>" in message["blocks"][3]["elements"][0]["text"]
    assert message["text"] == "Anti-goal breached: Unsubscribe rate is 0.75%, above its threshold of 0.5%."
    assert json.loads(slack_body(alert)) == message


def test_milestone_hit_and_goal_achieved_show_value_against_target() -> None:
    hit = MilestoneHit(goal_id="t3", milestone_index=2, due=AT, target=250, value=262, hit_at=AT, late=True)
    message = slack_message(describe(envelope(hit), GoalInfo(title="400 email leads", unit="leads"), BASE))
    assert message["blocks"][0]["text"]["text"] == ":white_check_mark: Milestone hit: 400 email leads"
    seen = texts(message)
    assert "262 leads against milestone 2's target of 250 leads late" in seen
    assert "*Target*\n250 leads" in seen and "(late)" in seen

    achieved = GoalAchieved(goal_id="t1", value=15200, target=15000, progress=1.04, achieved_at=AT)
    seen = texts(slack_message(describe(envelope(achieved), GoalInfo(title="Social followers"), BASE)))
    assert "Goal achieved: Social followers" in seen
    assert "15,200 against a target of 15,000" in seen and "*Progress*\n104%" in seen


def test_the_name_is_the_payloads_title_then_the_projections_then_the_id() -> None:
    set_event = envelope(GoalSet(goal_id="g-9", kind="hard", title="Fresh title"))
    assert describe(set_event, GoalInfo(title="Stale title"), BASE).name == "Fresh title"
    assert describe(breached(), GoalInfo(title="Known"), BASE).name == "Known"
    assert describe(breached(), None, BASE).name == "anti-1"
    assert describe(breached(), GoalInfo(title="  "), BASE).name == "anti-1"
    rung = envelope(LadderRungUnlocked(ladder_id="l-1", rung_index=2, goal_id="r-2", unlocked_at=AT))
    unlocked = describe(rung, GoalInfo(title="25 posts"), BASE)
    assert (unlocked.name, unlocked.link) == ("25 posts", f"{BASE}/#goal=r-2")


def test_slack_escapes_control_characters_and_links_quote_the_goal_id() -> None:
    alert = describe(breached("a/b c"), GoalInfo(title="Churn <b> & <!channel>"), BASE)
    message = slack_message(alert)
    header, mrkdwn = message["blocks"][0]["text"], message["blocks"][1]["text"]["text"]
    assert "Churn &lt;b&gt; &amp; &lt;!channel&gt;" in mrkdwn and "Churn &lt;b&gt;" in message["text"]
    # Everything but the plain-text header is mrkdwn, where a raw <!channel> would ping the channel.
    message["blocks"] = message["blocks"][1:]
    assert "<!channel>" not in texts(message) and "<b>" not in texts(message)
    assert f"<{BASE}/#goal=a%2Fb%20c|" in mrkdwn
    # The header is plain text: shown as written, never interpreted.
    assert header["type"] == "plain_text" and header["text"].endswith("Churn <b> & <!channel>")


def test_without_a_public_base_url_there_is_no_link() -> None:
    alert = describe(breached(), GoalInfo(title="Churn"), None)
    assert alert.link is None
    assert "http" not in texts(slack_message(alert)) and "http" not in email_message(alert).text


def test_an_event_with_few_facts_still_reads() -> None:
    due = envelope(GoalCheckInDue(goal_id="g-2", due_since=AT))
    message = slack_message(describe(due, GoalInfo(title="Weekly NPS"), BASE))
    assert message["blocks"][0]["text"]["text"] == ":alarm_clock: Check-in due: Weekly NPS"
    assert "*Last measurement*\nnever" in texts(message)


def test_email_subject_text_and_escaped_html() -> None:
    content = email_message(describe(breached(), GoalInfo(title="Churn <script>alert(1)</script> &\nco"), BASE))
    assert content.subject == "[goalstream] Anti-goal breached: Churn <script>alert(1)</script> & co"
    assert "Churn <script>alert(1)</script> & co is 0.75, above its threshold of 0.5." in content.text
    assert "Severity: critical" in content.text and f"Goal on the dashboard: {BASE}/#goal=anti-1" in content.text
    assert "<script>" not in content.html
    assert "Churn &lt;script&gt;alert(1)&lt;/script&gt; &amp;" in content.html
    assert f'<a href="{BASE}/#goal=anti-1">Goal on the dashboard</a>' in content.html
    headers = dict(content.headers)
    assert headers["X-Goalstream-Event-Type"] == "AntiGoalBreached"
    assert headers["X-Goalstream-Severity"] == "critical" and headers["Auto-Submitted"] == "auto-generated"
    assert EmailContent.from_json(content.to_json()) == content


def test_the_email_is_multipart_alternative_with_a_message_id_from_the_delivery() -> None:
    config = SmtpConfig(host="smtp", port=25, from_="goalstream <alerts@goalstream.example>", timeout_seconds=5)
    event = breached()
    content = email_message(describe(event, GoalInfo(title="Churn & co"), BASE))
    delivery_id = str(uuid.uuid4())
    first, sender = build_message(config, "ops@example.com", delivery_id, content, AT)
    again, _ = build_message(config, "ops@example.com", delivery_id, content, datetime.now(UTC))
    assert sender == "alerts@goalstream.example"
    assert first["Message-ID"] == again["Message-ID"] == f"<{delivery_id}@goalstream.example>"
    assert first["Message-ID"] == message_id(delivery_id, sender)
    other, _ = build_message(config, "ops@example.com", str(uuid.uuid4()), content, AT)
    assert other["Message-ID"] != first["Message-ID"]

    parsed = email.message_from_bytes(first.as_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert (parsed["From"], parsed["To"]) == ("goalstream <alerts@goalstream.example>", "ops@example.com")
    assert parsed["Subject"] == "[goalstream] Anti-goal breached: Churn & co"
    assert parsed["X-Goalstream-Event-Id"] == str(event.event_id)
    plain, html_part = parsed.iter_parts()
    assert "Churn & co is" in plain.get_content() and "Churn &amp; co is" in html_part.get_content()


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (AttemptResult(550, "recipient refused: 550 no such user", permanent=True), Dead),
        (AttemptResult(451, "message refused: 451 try later"), RetryLater),
        (AttemptResult(535, "SMTPAuthenticationError: 535 bad credentials"), RetryLater),
    ],
)
def test_a_permanent_refusal_is_dead_at_once_and_others_are_retried(result: AttemptResult, expected: type) -> None:
    outcome = decide(RetrySchedule((0.0, 5.0, 60.0), jitter=0), 1, result, random.Random(1))
    assert isinstance(outcome, expected)
    if isinstance(outcome, Dead):
        assert not outcome.disable_subscription and "550 no such user" in outcome.reason


def test_channel_settings_are_typed_and_checked() -> None:
    required = {"database_url": "postgresql://x/y", "kafka_bootstrap": "k:9092"}
    settings = NotificationsSettings(**required, public_base_url="https://goalstream.example/track/")
    assert settings.public_base_url == "https://goalstream.example/track"
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls, settings.smtp_ssl) == (
        "localhost",
        25,
        False,
        False,
    )
    assert NotificationsSettings(**required, public_base_url="").public_base_url is None
    assert NotificationsSettings(**required, smtp_from="Alerts <a@x.io>").smtp_from == "Alerts <a@x.io>"
    for bad in (
        {"smtp_ssl": True, "smtp_starttls": True},
        {"smtp_username": "u"},
        {"smtp_password": "p"},
        {"smtp_from": "not an address"},
        {"smtp_from": "a@x.io\r\nBcc: b@y.io"},
        {"public_base_url": "goalstream.example"},
        {"smtp_port": 0},
    ):
        with pytest.raises(ValidationError):
            NotificationsSettings(**required, **bad)
