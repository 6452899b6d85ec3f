"""Alerts people read: one goal event rendered as a Slack message or an email.

`describe` turns an event into an `Alert` (what happened, to which goal, the numbers that matter,
a link); `slack_message` and `email_message` lay that out for their channel. Rendering happens
once, when the delivery is created; the stored result is what every attempt sends.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote

from goalstream_contracts.base import Payload
from goalstream_contracts.common import Severity
from goalstream_contracts.envelope import Envelope
from goalstream_contracts.events import (
    AntiGoalBreached,
    AntiGoalRecovered,
    GoalAchieved,
    GoalArchived,
    GoalCheckInDue,
    GoalMissed,
    GoalPlanned,
    GoalRevised,
    GoalSet,
    GoalStatusChanged,
    LadderRungUnlocked,
    LadderSet,
    MeasurementRecorded,
    MilestoneHit,
    MilestoneMissed,
)
from goalstream_notifications.domain.subscription import event_goal_id, event_severity

SUBJECT_PREFIX: Final = "[goalstream]"
SLACK_HEADER_MAX: Final = 150  # Slack's limit for a header block's text
SLACK_TEXT_MAX: Final = 3000  # Slack's limit for a section's text
SUBJECT_NAME_MAX: Final = 120

HEADLINES: Final[dict[str, str]] = {
    "GoalSet": "Goal set",
    "GoalRevised": "Goal revised",
    "GoalArchived": "Goal archived",
    "GoalPlanned": "Plan made",
    "MeasurementRecorded": "Measurement recorded",
    "GoalStatusChanged": "Status changed",
    "MilestoneHit": "Milestone hit",
    "MilestoneMissed": "Milestone missed",
    "GoalAchieved": "Goal achieved",
    "GoalMissed": "Goal missed",
    "AntiGoalBreached": "Anti-goal breached",
    "AntiGoalRecovered": "Anti-goal recovered",
    "GoalCheckInDue": "Check-in due",
    "LadderSet": "Ladder set",
    "LadderRungUnlocked": "Ladder rung unlocked",
}

# Slack shortcodes before the headline; anti-goal events take their severity's colour.
SLACK_EMOJI: Final[dict[str, str]] = {
    "GoalAchieved": ":tada:",
    "MilestoneHit": ":white_check_mark:",
    "MilestoneMissed": ":warning:",
    "GoalMissed": ":x:",
    "AntiGoalRecovered": ":large_green_circle:",
    "GoalCheckInDue": ":alarm_clock:",
}
SEVERITY_EMOJI: Final[dict[str, str]] = {
    "critical": ":red_circle:",
    "warning": ":large_orange_circle:",
    "info": ":large_blue_circle:",
}


@dataclass(frozen=True)
class GoalInfo:
    """What notifications knows about a goal from its own projection of GoalSet and GoalRevised."""

    title: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class Alert:
    """One event as a person reads it, before any channel lays it out."""

    event_type: str
    event_id: str
    occurred_at: datetime
    headline: str  # what happened: "Anti-goal breached"
    name: str  # the goal's (or ladder's) title, else its id
    subject_id: str  # the goal's (or ladder's) id
    summary: str  # one sentence with the numbers that matter
    facts: tuple[tuple[str, str], ...]  # (label, value) pairs, the value against threshold or target first
    severity: Severity | None
    link: str | None
    link_label: str


@dataclass(frozen=True)
class EmailContent:
    """An email as stored on the delivery; the sender adds From, To, Date and Message-ID per attempt."""

    subject: str
    text: str
    html: str
    headers: tuple[tuple[str, str], ...]

    def to_json(self) -> bytes:
        return _json({"subject": self.subject, "text": self.text, "html": self.html, "headers": list(self.headers)})

    @classmethod
    def from_json(cls, body: bytes) -> EmailContent:
        data = json.loads(body)
        return cls(
            subject=data["subject"],
            text=data["text"],
            html=data["html"],
            headers=tuple((name, value) for name, value in data["headers"]),
        )


def number(value: float) -> str:
    """A number as people write it: 15,000, 0.005, 1,234.5 (no exponent below a million)."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1e6:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:,.6g}"


def quantity(value: float, unit: str | None) -> str:
    """A number with the goal's unit: 7.5%, 1,200 leads, EUR 3 stays "3 EUR"."""
    text = number(value)
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def percent(ratio: float) -> str:
    return f"{number(round(ratio * 100, 1))}%"


def moment(at: datetime) -> str:
    """A timestamp in UTC to the minute: 2026-03-01 14:05 UTC."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def one_line(text: str) -> str:
    """Whitespace (newlines included) collapsed: titles go into subjects and headers."""
    return " ".join(text.split())


def _humanize(event_type: str) -> str:
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", event_type).lower()
    return words[:1].upper() + words[1:]


def dashboard_link(public_base_url: str | None, goal_id: str | None) -> str | None:
    """The dashboard (tracking's `/`) opened at a goal: `<base>/#goal=<id>`. A fragment, so a browser opens it as a
    page (the JSON routes need a key it cannot send) and the id never reaches a server log."""
    if not public_base_url:
        return None
    base = public_base_url.rstrip("/") + "/"
    return base if goal_id is None else f"{base}#goal={quote(goal_id, safe='')}"


def _link(public_base_url: str | None, payload: Payload) -> tuple[str | None, str]:
    goal_id = event_goal_id(payload)
    link = dashboard_link(public_base_url, goal_id)
    return link, ("" if link is None else "Dashboard" if goal_id is None else "Goal on the dashboard")


def title_of(payload: Payload, goal: GoalInfo | None) -> str | None:
    """The title of what the event is about, on one line: the payload's own, else the projection's, else None."""
    title: str | None = None if isinstance(payload, LadderRungUnlocked) else getattr(payload, "title", None)
    title = title or (goal.title if goal else None)  # a rung unlock has no title field: the projection's
    return one_line(title) if title and title.strip() else None


def _name(payload: Payload, goal: GoalInfo | None) -> tuple[str, str]:
    """The display name and the id it stands for: the payload's title, the projection's, else the id."""
    subject_id = payload.subject()
    if isinstance(payload, LadderRungUnlocked):
        subject_id = payload.goal_id  # the alert is about the rung's goal
    return title_of(payload, goal) or subject_id, subject_id


def _what(payload: Payload, name: str, unit: str | None) -> tuple[str, list[tuple[str, str]]]:
    """The summary sentence and the facts for each event type (a generic line for any other)."""

    def q(value: float) -> str:
        return quantity(value, unit)

    match payload:
        case AntiGoalBreached():
            return (
                f"{name} is {q(payload.value)}, {payload.comparator} its threshold of {q(payload.threshold)}.",
                [
                    ("Value", q(payload.value)),
                    ("Threshold", f"{payload.comparator} {q(payload.threshold)}"),
                    ("Severity", payload.severity),
                    ("Breached at", moment(payload.breached_at)),
                ],
            )
        case AntiGoalRecovered():
            return (
                f"{name} is back at {q(payload.value)} (recovery threshold {q(payload.recovery_threshold)}).",
                [
                    ("Value", q(payload.value)),
                    ("Recovery threshold", q(payload.recovery_threshold)),
                    ("Severity", payload.severity),
                    ("Recovered at", moment(payload.recovered_at)),
                ],
            )
        case MilestoneHit():
            late = " late" if payload.late else ""
            return (
                f"{name} reached {q(payload.value)} against milestone {payload.milestone_index}'s target of"
                f" {q(payload.target)}{late}.",
                [
                    ("Value", q(payload.value)),
                    ("Target", q(payload.target)),
                    ("Milestone", f"{payload.milestone_index}, due {moment(payload.due)}"),
                    ("Hit at", moment(payload.hit_at) + (" (late)" if payload.late else "")),
                ],
            )
        case MilestoneMissed():
            value = "no value" if payload.value is None else q(payload.value)
            return (
                f"{name} missed milestone {payload.milestone_index}: {value} against a target of {q(payload.target)}.",
                [
                    ("Value", value),
                    ("Target", q(payload.target)),
                    ("Milestone", f"{payload.milestone_index}, due {moment(payload.due)}"),
                ],
            )
        case GoalAchieved():
            return (
                f"{name} reached {q(payload.value)} against a target of {q(payload.target)}.",
                [
                    ("Value", q(payload.value)),
                    ("Target", q(payload.target)),
                    ("Progress", percent(payload.progress)),
                    ("Achieved at", moment(payload.achieved_at)),
                ],
            )
        case GoalMissed():
            value = "no value" if payload.value is None else q(payload.value)
            facts = [("Value", value), ("Target", q(payload.target))]
            if payload.progress is not None:
                facts.append(("Progress", percent(payload.progress)))
            facts.append(("Deadline", moment(payload.deadline)))
            return f"{name} ended at {value} against a target of {q(payload.target)}.", facts
        case GoalStatusChanged():
            before = (payload.previous_status or "none").replace("_", " ")
            after = payload.status.replace("_", " ")
            facts = [("Status", f"{before} → {after}")]
            if payload.progress is not None:
                facts.append(("Progress", percent(payload.progress)))
            if payload.expected_progress is not None:
                facts.append(("Expected", percent(payload.expected_progress)))
            return f"{name} is now {after} (was {before}).", facts
        case MeasurementRecorded():
            facts = [("Value", q(payload.value)), ("Metric", payload.metric)]
            if payload.current_value is not None:
                facts.append(("Current value", q(payload.current_value)))
            if payload.progress is not None:
                facts.append(("Progress", percent(payload.progress)))
            return f"{name} received {q(payload.value)} on {payload.metric}.", facts
        case GoalCheckInDue():
            last = "never" if payload.last_measurement_at is None else moment(payload.last_measurement_at)
            return (
                f"{name} is waiting for a check-in.",
                [("Due since", moment(payload.due_since)), ("Last measurement", last)],
            )
        case GoalSet():
            facts = [("Kind", payload.kind)]
            if payload.target is not None:
                facts.append(("Target", q(payload.target)))
            if payload.threshold is not None and payload.comparator is not None:
                facts.append(("Threshold", f"{payload.comparator} {q(payload.threshold)}"))
            if payload.deadline is not None:
                facts.append(("Deadline", moment(payload.deadline)))
            return f"{name} was set.", facts
        case GoalRevised():
            return f"{name} was revised.", [("Changed", ", ".join(payload.changed) or "nothing")]
        case GoalArchived():
            return f"{name} was archived.", [("Reason", payload.reason)] if payload.reason else []
        case GoalPlanned():
            return f"{name} has a plan of {len(payload.milestones)} milestones.", [
                ("Milestones", str(len(payload.milestones)))
            ]
        case LadderSet():
            return f"{name} was set with {len(payload.rungs)} rungs.", [("Rungs", str(len(payload.rungs)))]
        case LadderRungUnlocked():
            return f"{name} is unlocked (rung {payload.rung_index}).", [
                ("Rung", str(payload.rung_index)),
                ("Ladder", payload.ladder_id),
            ]
    return f"{_humanize(payload.event_type)}: {name}.", []


def describe(envelope: Envelope[Payload], goal: GoalInfo | None, public_base_url: str | None) -> Alert:
    """The alert for one event. `goal` is the projection's entry for the event's goal, if any."""
    payload = envelope.payload
    name, subject_id = _name(payload, goal)
    summary, facts = _what(payload, name, goal.unit if goal else None)
    link, link_label = _link(public_base_url, payload)
    return Alert(
        event_type=envelope.event_type,
        event_id=str(envelope.event_id),
        occurred_at=envelope.occurred_at,
        headline=HEADLINES.get(envelope.event_type) or _humanize(envelope.event_type),
        name=name,
        subject_id=subject_id,
        summary=summary,
        facts=tuple(facts),
        severity=event_severity(payload),
        link=link,
        link_label=link_label,
    )


def slack_escape(text: str) -> str:
    """Slack mrkdwn: &, < and > are control characters (links, mentions) and must be escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_message(alert: Alert) -> dict[str, Any]:
    """An incoming-webhook message: `text` is the notification fallback, `blocks` the message itself."""
    if alert.event_type == "AntiGoalBreached" and alert.severity:
        emoji = SEVERITY_EMOJI[alert.severity]
    else:
        emoji = SLACK_EMOJI.get(alert.event_type, "")
    header = _clip(f"{emoji} {alert.headline}: {alert.name}".strip(), SLACK_HEADER_MAX)
    name = slack_escape(alert.name)
    named = f"<{alert.link}|{name}>" if alert.link else name
    summary = slack_escape(alert.summary).replace(name, f"*{named}*", 1)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(summary, SLACK_TEXT_MAX)}},
    ]
    if alert.facts:
        blocks.append(
            {
                "type": "section",
                # Slack shows fields in two columns; it allows ten.
                "fields": [
                    {"type": "mrkdwn", "text": f"*{slack_escape(label)}*\n{slack_escape(value)}"}
                    for label, value in alert.facts[:10]
                ],
            }
        )
    context = f"goalstream · {alert.event_type} · {moment(alert.occurred_at)}"
    if alert.link:
        context += f" · <{alert.link}|{alert.link_label}>"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
    fallback = f"{alert.headline}: {alert.summary}"
    return {"text": _clip(slack_escape(fallback), SLACK_TEXT_MAX), "blocks": blocks}


def email_message(alert: Alert) -> EmailContent:
    """Subject, plain text, HTML (every value escaped) and headers naming the event."""
    subject = f"{SUBJECT_PREFIX} {alert.headline}: {_clip(alert.name, SUBJECT_NAME_MAX)}"
    text_lines = [f"{alert.headline}: {alert.name}", "", alert.summary, ""]
    text_lines += [f"{label}: {value}" for label, value in alert.facts]
    if alert.link:
        text_lines += ["", f"{alert.link_label}: {alert.link}"]
    text_lines += ["", "-- ", f"goalstream notifications · {alert.event_type} · event {alert.event_id}"]

    e = html.escape
    rows = "".join(
        f'<tr><th align="left" style="padding:2px 12px 2px 0">{e(label)}</th><td>{e(value)}</td></tr>'
        for label, value in alert.facts
    )
    link = f'<p><a href="{e(alert.link, quote=True)}">{e(alert.link_label)}</a></p>' if alert.link else ""
    body_html = (
        "<!DOCTYPE html>\n"
        '<html><head><meta charset="utf-8"><title>' + e(subject) + "</title></head>"
        '<body style="font-family:sans-serif">'
        f"<h2>{e(alert.headline)}: {e(alert.name)}</h2>"
        f"<p>{e(alert.summary)}</p>"
        + (f"<table>{rows}</table>" if rows else "")
        + link
        + f'<p style="color:#777;font-size:small">goalstream notifications · {e(alert.event_type)}'
        f" · event {e(alert.event_id)}</p>"
        "</body></html>\n"
    )
    headers = [
        # RFC 3834: machine-generated, so auto-responders do not answer it.
        ("Auto-Submitted", "auto-generated"),
        ("X-Goalstream-Event-Type", alert.event_type),
        ("X-Goalstream-Event-Id", alert.event_id),
        ("X-Goalstream-Subject-Id", one_line(alert.subject_id)),
    ]
    if alert.severity:
        headers.append(("X-Goalstream-Severity", alert.severity))
    return EmailContent(
        subject=one_line(subject), text="\n".join(text_lines) + "\n", html=body_html, headers=tuple(headers)
    )


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def slack_body(alert: Alert) -> bytes:
    """The exact bytes POSTed to the Slack incoming webhook on every attempt."""
    return _json(slack_message(alert))
