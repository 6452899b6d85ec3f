"""Salesforce Outbound Messages: the SOAP 1.1 `notifications` envelope a workflow rule or flow sends, and the
answers Salesforce expects (`<Ack>true</Ack>`, or a SOAP fault it shows as the delivery failure reason).

Outbound Messages carry no signature: the receiver knows the sender by a per-connection token in the URL path
(`token_matches`, constant time) and checks that the message's OrganizationId is the connection's
(`organization_matches`). Parsed with defusedxml and no DTD at all (SOAP 1.1 forbids one), so entity expansion
and external entities never run. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

import defusedxml
from defusedxml.ElementTree import fromstring

from goalstream_goals.domain.inbound.common import Malformed, Refused, platform_time, same_secret
from goalstream_goals.domain.inbound.record import InboundRecord

__all__ = [
    "ACK",
    "CONTENT_TYPE",
    "Malformed",
    "OutboundMessage",
    "Refused",
    "fault",
    "organization_matches",
    "parse",
    "token_matches",
]

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
OUTBOUND = "http://soap.sforce.com/2005/09/outbound"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
MAX_NOTIFICATIONS = 100  # the WSDL's maxOccurs
CONTENT_TYPE = "text/xml; charset=utf-8"
MAX_DEPTH = 3  # an sObject field is a value; a compound one has one level of parts. Deeper is not Salesforce's
_OPEN = f'<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="{SOAP}"><soapenv:Body>'
_CLOSE = "</soapenv:Body></soapenv:Envelope>"
ACK = f'{_OPEN}<notificationsResponse xmlns="{OUTBOUND}"><Ack>true</Ack></notificationsResponse>{_CLOSE}'.encode()


@dataclass(frozen=True)
class OutboundMessage:
    organization_id: str
    action_id: str
    records: tuple[InboundRecord, ...]


def fault(reason: str, *, sender_at_fault: bool = True) -> bytes:
    """A SOAP 1.1 fault; `soapenv:Client` when the message is at fault (retrying it will not help)."""
    code = "soapenv:Client" if sender_at_fault else "soapenv:Server"
    body = f"<soapenv:Fault><faultcode>{code}</faultcode><faultstring>{escape(reason)}</faultstring></soapenv:Fault>"
    return f"{_OPEN}{body}{_CLOSE}".encode()


def token_matches(presented: str, expected: str) -> bool:
    return same_secret(presented, expected)


def organization_matches(bound: str, sent: str) -> bool:
    """Salesforce ids come in a 15-character form and an 18-character one (the same id plus a checksum suffix);
    a connection made with either matches a message carrying either."""
    if len(bound) in (15, 18) and len(sent) in (15, 18):
        return bound[:15] == sent[:15]
    return bound == sent


def parse(body: bytes) -> OutboundMessage:
    """The envelope's notifications as InboundRecords; Malformed names the first element at fault."""
    try:
        root = fromstring(body, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise Malformed(f"refused XML: {exc} (a SOAP message has no DTD or entities)", code="malformed_xml") from exc
    except ParseError as exc:
        raise Malformed(f"not well-formed XML: {exc}", code="malformed_xml") from exc
    if root.tag != f"{{{SOAP}}}Envelope":
        raise Malformed(
            f"the root element is {root.tag}, not a SOAP 1.1 Envelope", "Envelope", code="malformed_envelope"
        )
    notifications = _child(_child(root, SOAP, "Body", "Envelope"), OUTBOUND, "notifications", "Body")
    org = _text(notifications, "OrganizationId")
    action = _text(notifications, "ActionId")
    items = notifications.findall(f"{{{OUTBOUND}}}Notification")
    if not 1 <= len(items) <= MAX_NOTIFICATIONS:
        raise Malformed(
            f"1 to {MAX_NOTIFICATIONS} Notification elements, not {len(items)}",
            "Notification",
            code="malformed_envelope",
        )
    return OutboundMessage(org, action, tuple(_record(org, n, i) for i, n in enumerate(items)))


def _record(org: str, notification: Element, index: int) -> InboundRecord:
    where = f"Notification[{index}]"
    sobject = _child(notification, OUTBOUND, "sObject", where)
    kind = sobject.get(f"{{{XSI}}}type", "")
    object_type = kind.rpartition(":")[2]  # "sf:Opportunity": the prefix is whatever the sender declared
    if not object_type:
        raise Malformed(
            'sObject needs an xsi:type such as "sf:Opportunity"', f"{where}/sObject", code="malformed_envelope"
        )
    fields = {_local(field.tag): _value(field, f"{where}/sObject", 1) for field in sobject}
    occurred = platform_time(fields.get("LastModifiedDate"), f"{where}/sObject/LastModifiedDate")
    event_id = _text(notification, "Id", where)
    return InboundRecord("salesforce", org, event_id, object_type, fields, occurred)


def _value(element: Element, where: str, depth: int) -> Any:
    """A field's text (None for xsi:nil="true"); a field with child elements, a dict of them, to a bounded depth
    so that a deeply nested body is refused instead of exhausting the stack."""
    where = f"{where}/{_local(element.tag)}"
    if depth > MAX_DEPTH:
        raise Malformed(f"fields nest at most {MAX_DEPTH} levels deep", where, code="malformed_envelope")
    if element.get(f"{{{XSI}}}nil") in ("true", "1"):
        return None
    if len(element):
        return {_local(child.tag): _value(child, where, depth + 1) for child in element}
    return element.text or ""


def _child(parent: Element, namespace: str, name: str, where: str) -> Element:
    found = parent.find(f"{{{namespace}}}{name}")
    if found is None:
        raise Malformed(f"{where} has no {name} element in {namespace}", f"{where}/{name}", code="malformed_envelope")
    return found


def _text(parent: Element, name: str, where: str = "notifications") -> str:
    text = (_child(parent, OUTBOUND, name, where).text or "").strip()
    if not text:
        raise Malformed(f"{name} is empty", f"{where}/{name}", code="malformed_envelope")
    return text


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]
