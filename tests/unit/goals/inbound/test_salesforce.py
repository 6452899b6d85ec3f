"""Salesforce Outbound Messages: parsed into records, hostile XML refused, malformed envelopes named, and the
acknowledgement Salesforce waits for."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree.ElementTree import fromstring

import pytest

from goalstream_goals.domain.inbound import salesforce
from tests.unit.goals.inbound.salesforce_payloads import (
    EXTERNAL_ENTITY,
    HEADER,
    ORG,
    SOAP_CLOSE,
    SOAP_OPEN,
    TWO_OPPORTUNITIES,
    XML_BOMB,
    opportunity,
)

OUTBOUND = "{http://soap.sforce.com/2005/09/outbound}"


def test_two_notifications_become_two_records() -> None:
    message = salesforce.parse(TWO_OPPORTUNITIES)

    assert (message.organization_id, message.action_id) == (ORG, "04k5g000000CaZ1AAK")
    first, second = message.records
    assert (first.platform, first.account, first.event_id, first.object_type) == (
        "salesforce",
        ORG,
        "04l5g00000AbCdEAAV",
        "Opportunity",
    )
    assert first.fields == {
        "Id": "0065g00000XyZ12AAB",
        "Amount": "125000.0",
        "CloseDate": "2026-12-31",
        "IsWon": "true",
        "LastModifiedDate": "2026-12-05T10:15:30.000Z",
        "NextStep": None,  # xsi:nil="true"
        "StageName": "Closed Won",
    }
    assert first.occurred_at == datetime(2026, 12, 5, 10, 15, 30, tzinfo=UTC)
    assert (second.event_id, second.fields["Amount"]) == ("04l5g00000AbCdFAAV", "8000.5")
    assert second.occurred_at == datetime(2026, 12, 5, 11, 0, tzinfo=UTC)


def test_a_notification_without_last_modified_date_has_no_time() -> None:
    item = opportunity("04l5g00000AbCdEAAV", "0065g00000XyZ12AAB", "1.0", "X", "2026-12-31")
    item = item.replace("     <sf:LastModifiedDate>X</sf:LastModifiedDate>\n", "")
    message = salesforce.parse(f"{SOAP_OPEN}{HEADER}{item}</notifications>{SOAP_CLOSE}".encode())

    assert message.records[0].occurred_at is None


@pytest.mark.parametrize("hostile", [XML_BOMB, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"])
def test_entities_are_refused_before_any_expansion(hostile: bytes) -> None:
    with pytest.raises(salesforce.Malformed, match="DTD") as refused:
        salesforce.parse(hostile)

    assert refused.value.code == "malformed_xml"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"<notifications", "body"),
        (b'<notifications xmlns="http://soap.sforce.com/2005/09/outbound"/>', "Envelope"),
        (f"{SOAP_OPEN}{SOAP_CLOSE}".encode(), "Body/notifications"),
        (f"{SOAP_OPEN}{HEADER}</notifications>{SOAP_CLOSE}".encode(), "Notification"),
        (TWO_OPPORTUNITIES.replace(f"<OrganizationId>{ORG}</OrganizationId>".encode(), b""), "OrganizationId"),
        (TWO_OPPORTUNITIES.replace(b' xsi:type="sf:Opportunity"', b""), "Notification[0]/sObject"),
        (TWO_OPPORTUNITIES.replace(b"<Id>04l5g00000AbCdFAAV</Id>", b"<Id> </Id>"), "Notification[1]/Id"),
        (TWO_OPPORTUNITIES.replace(b"10:15:30.000Z", b"yesterday"), "Notification[0]/sObject/LastModifiedDate"),
    ],
)
def test_a_malformed_envelope_is_refused_naming_what_is_wrong(body: bytes, field: str) -> None:
    with pytest.raises(salesforce.Malformed) as refused:
        salesforce.parse(body)

    assert refused.value.field.endswith(field)
    assert refused.value.code in {"malformed_xml", "malformed_envelope", "malformed_time"}


def test_more_than_a_hundred_notifications_is_not_an_outbound_message() -> None:
    item = opportunity("04l5g00000AbCdEAAV", "0065g00000XyZ12AAB", "1.0", "2026-12-05T10:15:30Z", "2026-12-31")
    body = f"{SOAP_OPEN}{HEADER}{item * 101}</notifications>{SOAP_CLOSE}".encode()

    with pytest.raises(salesforce.Malformed, match="not 101"):
        salesforce.parse(body)


def test_deep_nesting_is_refused_not_recursed() -> None:
    deep = "<sf:X>" * 50 + "1" + "</sf:X>" * 50
    body = TWO_OPPORTUNITIES.replace(b"<sf:IsWon>true</sf:IsWon>", deep.encode(), 1)

    with pytest.raises(salesforce.Malformed, match="nest"):
        salesforce.parse(body)


def test_the_ack_is_the_notifications_response_salesforce_expects() -> None:
    envelope = fromstring(salesforce.ACK)

    response = envelope.find(f"{{http://schemas.xmlsoap.org/soap/envelope/}}Body/{OUTBOUND}notificationsResponse")
    assert response is not None
    assert [(child.tag, child.text) for child in response] == [(f"{OUTBOUND}Ack", "true")]


def test_a_fault_carries_its_reason_escaped() -> None:
    envelope = fromstring(salesforce.fault("OrganizationId <00D> is not this connection's"))

    assert envelope.findtext(".//faultcode") == "soapenv:Client"
    assert envelope.findtext(".//faultstring") == "OrganizationId <00D> is not this connection's"


def test_the_token_and_the_organization_are_compared_as_salesforce_spells_them() -> None:
    assert salesforce.token_matches("tok-123", "tok-123")
    assert not salesforce.token_matches("tok-124", "tok-123")
    assert salesforce.organization_matches("00D5g000004SNqX", ORG)  # a 15-character id binds the 18 one
    assert salesforce.organization_matches(ORG, ORG)
    assert not salesforce.organization_matches("00D5g000004SNqY", ORG)
    assert not salesforce.organization_matches("00d5g000004snqx", ORG)  # 15-character ids are case-sensitive
