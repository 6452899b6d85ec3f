"""Slack and email alerts end to end: goal events on real Kafka, deliveries in real PostgreSQL, a real HTTP
receiver for Slack and a real SMTP server (aiosmtpd) for email.

The service runs with the retry schedule [0, 0.2, 0.2] (three attempts) and no jitter.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from goalstream_contracts.alerts import AlertDelivered, AlertDeliveryFailed
from goalstream_contracts.base import Payload
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import AntiGoalBreached, GoalAchieved, GoalSet, MilestoneHit
from goalstream_contracts.topics import NOTIFICATION_EVENTS
from goalstream_runtime.embedded.ports import free_port
from tests.integration.notifications.harness import Receiver, Service, eventually, goal_event, running_service
from tests.support.infra import Endpoints

pytestmark = pytest.mark.timeout(90)

BASE = "https://goalstream.example/track"
ALERTED = ["AntiGoalBreached", "MilestoneHit", "GoalAchieved"]
ANTI_TITLE = "Unsubscribe rate <must> stay low & steady"


@dataclass
class Offered:
    """One message an SMTP client sent up to DATA, whatever the server answered."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.content, policy=default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Mailbox:
    """A real SMTP server (aiosmtpd) on a free port; it answers DATA from `data_replies`, then 250."""

    port: int = field(default_factory=free_port)
    data_replies: list[str] = field(default_factory=list)
    rcpt_reply: str | None = None
    offered: list[Offered] = field(default_factory=list)
    accepted: list[Offered] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:  # noqa: N802
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        offered = Offered(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
        self.offered.append(offered)
        if self.data_replies:
            return self.data_replies.pop(0)
        self.accepted.append(offered)
        return "250 Message accepted for delivery"

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[Mailbox]:
        controller = Controller(self, hostname="127.0.0.1", port=self.port)
        await asyncio.to_thread(controller.start)
        try:
            yield self
        finally:
            await asyncio.to_thread(controller.stop)


def smtp_settings(mailbox: Mailbox) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": mailbox.port,
        "smtp_from": "goalstream alerts <alerts@goalstream.test>",
        "public_base_url": BASE,
    }


async def publish_alerted_events(service: Service) -> dict[str, Envelope[Payload]]:
    """An anti-goal and a hard goal, then a critical breach, a milestone hit and the goal achieved."""
    org, now = service.org_id, datetime.now(UTC)
    anti, leads = f"anti-{uuid.uuid4().hex[:8]}", f"leads-{uuid.uuid4().hex[:8]}"
    anti_set = GoalSet(goal_id=anti, kind="anti", title=ANTI_TITLE, unit="%", threshold=0.5, comparator="above")
    await service.kafka.publish(goal_event(anti_set, org))
    await service.kafka.publish(goal_event(GoalSet(goal_id=leads, kind="hard", title="400 email leads"), org))
    events = {
        "AntiGoalBreached": goal_event(
            AntiGoalBreached(
                goal_id=anti, value=0.8, threshold=0.5, comparator="above", severity="critical", breached_at=now
            ),
            org,
            version=2,
        ),
        "MilestoneHit": goal_event(
            MilestoneHit(goal_id=leads, milestone_index=1, due=now, target=130, value=142, hit_at=now, late=False),
            org,
            version=2,
        ),
        "GoalAchieved": goal_event(
            GoalAchieved(goal_id=leads, value=400, target=400, progress=1.0, achieved_at=now), org, version=3
        ),
    }
    for event in events.values():
        await service.kafka.publish(event)
    return events


async def settled(service: Service, status: str, count: int) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        found = await service.deliveries(status)
        return found if len(found) >= count else None

    found = await eventually(probe, 20, f"{count} {status} deliveries")
    await asyncio.sleep(1.0)  # several worker polls: nothing more may arrive
    return found


def slack_texts(message: dict[str, Any]) -> str:
    found = [message["text"]]
    for block in message["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [f["text"] for f in block.get("fields", [])]
        found += [e["text"] for e in block.get("elements", [])]
    return "\n".join(found)


async def test_slack_receives_a_breach_a_milestone_and_an_achievement_once_each(
    database_url: str, infra: Endpoints, receiver: Receiver
) -> None:
    async with running_service(database_url, infra.kafka_bootstrap, public_base_url=BASE) as service:
        subscription = await service.subscribe(channel="slack", target=receiver.url, event_types=ALERTED)
        events = await publish_alerted_events(service)

        delivered = await settled(service, "delivered", 3)
        assert len(delivered) == 3 and len(receiver.requests) == 3, "GoalSet is not subscribed; each alert once"
        assert {d["event_id"] for d in delivered} == {str(e.event_id) for e in events.values()}
        by_header: dict[str, dict[str, Any]] = {}
        for request in receiver.requests:
            assert request.headers["content-type"].startswith("application/json")
            assert "webhook-signature" not in request.headers, "Slack messages are not Standard Webhooks"
            message = json.loads(request.body)
            assert set(message) == {"text", "blocks"} and message["blocks"][0]["type"] == "header"
            by_header[message["blocks"][0]["text"]["text"]] = message

        anti, leads = events["AntiGoalBreached"].payload.subject(), events["MilestoneHit"].payload.subject()
        breach = by_header[f":red_circle: Anti-goal breached: {ANTI_TITLE}"]
        seen = slack_texts(breach)
        assert "*Value*\n0.8%" in seen and "*Threshold*\nabove 0.5%" in seen and "*Severity*\ncritical" in seen
        assert f"<{BASE}/#goal={anti}|" in seen
        assert "Unsubscribe rate &lt;must&gt; stay low &amp; steady" in breach["blocks"][1]["text"]["text"]

        seen = slack_texts(by_header[":white_check_mark: Milestone hit: 400 email leads"])
        assert "142 against milestone 1's target of 130" in seen and f"<{BASE}/#goal={leads}|" in seen

        seen = slack_texts(by_header[":tada: Goal achieved: 400 email leads"])
        assert "400 against a target of 400" in seen and "*Progress*\n100%" in seen

        alert = await service.kafka.find(
            NOTIFICATION_EVENTS, lambda e: e.org_id == service.org_id and e.event_type == "AlertDelivered"
        )
        assert isinstance(alert.payload, AlertDelivered)
        assert (alert.payload.channel, alert.payload.subscription_id) == ("slack", subscription["id"])


async def test_a_failing_slack_receiver_is_retried_with_the_same_message_then_delivered(
    service: Service, receiver: Receiver
) -> None:
    receiver.script = [500, 503]
    await service.subscribe(channel="slack", target=receiver.url, event_types=["AntiGoalBreached"])
    await publish_alerted_events(service)

    [delivery] = await settled(service, "delivered", 1)
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 503, 200]
    assert len(receiver.requests) == 3 and len({r.body for r in receiver.requests}) == 1
    assert json.loads(receiver.requests[0].body)["text"].startswith("Anti-goal breached:")


async def test_email_alerts_arrive_once_each_with_subject_both_parts_and_a_stable_message_id(
    database_url: str, infra: Endpoints
) -> None:
    async with (
        Mailbox().serving() as mailbox,
        running_service(database_url, infra.kafka_bootstrap, **smtp_settings(mailbox)) as service,
    ):
        subscription = await service.subscribe(channel="email", target="ops@example.com", event_types=ALERTED)
        events = await publish_alerted_events(service)

        delivered = await settled(service, "delivered", 3)
        assert len(delivered) == 3 and len(mailbox.accepted) == 3 == len(mailbox.offered)
        delivery_of = {d["event_id"]: d["id"] for d in delivered}
        by_type: dict[str, EmailMessage] = {}
        for offered in mailbox.accepted:
            assert (offered.mail_from, offered.rcpt_tos) == ("alerts@goalstream.test", ["ops@example.com"])
            message = offered.message
            assert (
                message["From"] == "goalstream alerts <alerts@goalstream.test>" and message["To"] == "ops@example.com"
            )
            event_id = message["X-Goalstream-Event-Id"]
            assert message["Message-ID"] == f"<{delivery_of[event_id]}@goalstream.test>"
            assert message["X-Goalstream-Delivery-Id"] == delivery_of[event_id]
            assert message.get_content_type() == "multipart/alternative"
            assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
            by_type[message["X-Goalstream-Event-Type"]] = message
        assert set(by_type) == set(ALERTED)
        assert {m["X-Goalstream-Event-Id"] for m in by_type.values()} == {str(e.event_id) for e in events.values()}

        breach = by_type["AntiGoalBreached"]
        # Over 78 characters, the header is folded; unfolding may leave the fold's space in front.
        assert breach["Subject"].strip() == f"[goalstream] Anti-goal breached: {ANTI_TITLE}"
        assert breach["X-Goalstream-Severity"] == "critical"
        plain, html = (p.get_content() for p in breach.iter_parts())
        anti = events["AntiGoalBreached"].payload.subject()
        assert f"{ANTI_TITLE} is 0.8%, above its threshold of 0.5%." in plain
        assert "Severity: critical" in plain and f"{BASE}/#goal={anti}" in plain
        assert "Unsubscribe rate &lt;must&gt; stay low &amp; steady" in html and "<must>" not in html
        assert f'<a href="{BASE}/#goal={anti}">' in html

        assert by_type["MilestoneHit"]["Subject"] == "[goalstream] Milestone hit: 400 email leads"
        assert "142 against milestone 1's target of 130" in by_type["MilestoneHit"].get_body(("plain",)).get_content()
        assert by_type["GoalAchieved"]["Subject"] == "[goalstream] Goal achieved: 400 email leads"

        alert = await service.kafka.find(
            NOTIFICATION_EVENTS, lambda e: e.org_id == service.org_id and e.event_type == "AlertDelivered"
        )
        assert isinstance(alert.payload, AlertDelivered)
        assert (alert.payload.channel, alert.payload.status_code) == ("email", 250)
        assert alert.payload.subscription_id == subscription["id"]


async def test_a_transient_smtp_failure_is_retried_with_the_same_message_id_then_delivered(
    database_url: str, infra: Endpoints
) -> None:
    async with (
        Mailbox(data_replies=["451 4.3.0 Try again later", "452 4.3.1 Insufficient storage"]).serving() as mailbox,
        running_service(database_url, infra.kafka_bootstrap, **smtp_settings(mailbox)) as service,
    ):
        await service.subscribe(channel="email", target="ops@example.com", event_types=["AntiGoalBreached"])
        await publish_alerted_events(service)

        [delivery] = await settled(service, "delivered", 1)
        assert [a["status_code"] for a in delivery["attempt_log"]] == [451, 452, 250]
        assert "451 4.3.0 Try again later" in delivery["attempt_log"][0]["error"]
        assert len(mailbox.offered) == 3 and len(mailbox.accepted) == 1
        messages = [o.message for o in mailbox.offered]
        assert {m["Message-ID"] for m in messages} == {f"<{delivery['id']}@goalstream.test>"}
        assert len({(m["Subject"], *(p.get_content() for p in m.iter_parts())) for m in messages}) == 1


async def test_a_permanent_smtp_refusal_is_dead_at_once_and_alerted(database_url: str, infra: Endpoints) -> None:
    async with (
        Mailbox(rcpt_reply="550 5.1.1 No such user here").serving() as mailbox,
        running_service(database_url, infra.kafka_bootstrap, **smtp_settings(mailbox)) as service,
    ):
        subscription = await service.subscribe(
            channel="email", target="nobody@example.com", event_types=["AntiGoalBreached"]
        )
        await publish_alerted_events(service)

        [dead] = await settled(service, "dead", 1)
        assert dead["attempts"] == 1 and dead["last_status_code"] == 550 and "No such user" in dead["last_error"]
        assert mailbox.offered == [], "the recipient was refused before the message"
        alert = await service.kafka.find(
            NOTIFICATION_EVENTS, lambda e: e.org_id == service.org_id and e.event_type == "AlertDeliveryFailed"
        )
        assert isinstance(alert.payload, AlertDeliveryFailed)
        assert (alert.payload.channel, alert.payload.attempts, alert.payload.status_code) == ("email", 1, 550)
        listed = (await service.api.get("/v1/subscriptions")).json()
        assert [(s["id"], s["status"]) for s in listed] == [(subscription["id"], "enabled")]
