"""Outbound Messages shaped as Salesforce's outbound messaging WSDL and its published examples describe them:
a SOAP 1.1 envelope, `notifications` in the http://soap.sforce.com/2005/09/outbound namespace, each Notification
an Id and an sObject typed `sf:Opportunity` in the enterprise sObject namespace. Ids and values are made up."""

from __future__ import annotations

ORG = "00D5g000004SNqXEAW"  # the 18-character form Salesforce sends
SOAP_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
    ' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
    " <soapenv:Body>\n"
)
SOAP_CLOSE = " </soapenv:Body>\n</soapenv:Envelope>\n"
HEADER = f"""  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>{ORG}</OrganizationId>
   <ActionId>04k5g000000CaZ1AAK</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://example.my.salesforce.com/services/Soap/c/60.0/00D5g000004SNqX</EnterpriseUrl>
   <PartnerUrl>https://example.my.salesforce.com/services/Soap/u/60.0/00D5g000004SNqX</PartnerUrl>
"""


def opportunity(notification_id: str, opportunity_id: str, amount: str, modified: str, close_date: str) -> str:
    return f"""   <Notification>
    <Id>{notification_id}</Id>
    <sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>{opportunity_id}</sf:Id>
     <sf:Amount>{amount}</sf:Amount>
     <sf:CloseDate>{close_date}</sf:CloseDate>
     <sf:IsWon>true</sf:IsWon>
     <sf:LastModifiedDate>{modified}</sf:LastModifiedDate>
     <sf:NextStep xsi:nil="true"/>
     <sf:StageName>Closed Won</sf:StageName>
    </sObject>
   </Notification>
"""


TWO_OPPORTUNITIES = (
    SOAP_OPEN
    + HEADER
    + opportunity("04l5g00000AbCdEAAV", "0065g00000XyZ12AAB", "125000.0", "2026-12-05T10:15:30.000Z", "2026-12-31")
    + opportunity("04l5g00000AbCdFAAV", "0065g00000XyZ13AAB", "8000.5", "2026-12-05T11:00:00.000Z", "2027-01-15")
    + "  </notifications>\n"
    + SOAP_CLOSE
).encode()

# Billion laughs: ten levels of ten references each, 10^9 copies of "lol" once expanded.
_LEVELS = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
XML_BOMB = (
    f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{_LEVELS}]>'
    f"{SOAP_OPEN}{HEADER}<Notification><Id>&lol9;</Id></Notification></notifications>{SOAP_CLOSE}"
).encode()
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    f"{SOAP_OPEN}{HEADER}<Notification><Id>&xxe;</Id></Notification></notifications>{SOAP_CLOSE}"
).encode()
