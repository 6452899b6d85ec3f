"""The field mapping: reading a record's paths and making a measurement of a matching record."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from goalstream_goals.domain.goal import Measurement
from goalstream_goals.domain.inbound.mapping import Mapping, matches, measurement, present, read_path
from goalstream_goals.domain.inbound.record import InboundRecord

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
AMOUNT = Mapping("map_1", "hubspot", "deal", "properties.amount", "crm.pipeline")


def record(fields: dict[str, Any], occurred_at: datetime | None = None, object_type: str = "deal") -> InboundRecord:
    return InboundRecord("hubspot", "62515", "e1", object_type, fields, occurred_at)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("amount", "1500"),
        ("properties.revenue", 12.5),
        ("items.1.price", 3),
        ("properties.nested.deep", None),
    ],
)
def test_a_dotted_path_reads_objects_and_list_items(path: str, expected: Any) -> None:
    fields = {"amount": "1500", "properties": {"revenue": 12.5, "nested": {"deep": None}}, "items": [{}, {"price": 3}]}
    assert read_path(fields, path) == expected and present(fields, path)


@pytest.mark.parametrize("path", ["missing", "amount.more", "items.2.price", "items.x", "properties.revenue.0"])
def test_a_path_that_leads_nowhere_is_absent(path: str) -> None:
    assert not present({"amount": "1500", "properties": {"revenue": 12.5}, "items": [{}, {"price": 3}]}, path)


def test_a_mapping_matches_its_platform_object_and_a_record_that_has_its_value() -> None:
    assert matches(AMOUNT, record({"properties": {"amount": "1"}}))
    assert not matches(AMOUNT, record({"properties": {"dealstage": "won"}}))
    assert not matches(AMOUNT, record({"properties": {"amount": "1"}}, object_type="contact"))
    other = InboundRecord("segment", "62515", "e1", "deal", {"properties": {"amount": 1}}, None)
    assert not matches(AMOUNT, other)


def test_a_measurement_has_the_platforms_id_the_records_time_and_the_value_as_a_number() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    made = measurement(AMOUNT, record({"properties": {"amount": " 1500.5 "}}, at), NOW)
    assert isinstance(made, Measurement)
    assert (made.measurement_id, made.metric, made.value, made.observed_at) == (
        "hubspot:62515:e1:crm.pipeline", "crm.pipeline", 1500.5, at,
    )  # fmt: skip
    assert measurement(AMOUNT, record({"properties": {"amount": 2}}), NOW).observed_at == NOW  # type: ignore[union-attr]


def test_the_time_and_id_paths_replace_the_records_own() -> None:
    mapping = Mapping("map_2", "hubspot", "deal", "properties.amount", "m", "sum", "closed", "properties.deal_id")
    fields = {"properties": {"amount": 3, "deal_id": 77}, "closed": "2026-02-01T10:00:00Z"}
    made = measurement(mapping, record(fields, NOW), NOW)
    assert isinstance(made, Measurement)
    assert made.measurement_id == "hubspot:62515:77:m" and made.observed_at == datetime(2026, 2, 1, 10, tzinfo=UTC)
    millis = measurement(mapping, record({**fields, "closed": 1772452800000}), NOW)
    assert isinstance(millis, Measurement) and millis.observed_at == datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.mark.parametrize("value", ["lots", True, None, "nan", {"a": 1}])
def test_a_value_that_is_no_number_makes_no_measurement_and_says_why(value: Any) -> None:
    assert measurement(AMOUNT, record({"properties": {"amount": value}}), NOW) == "properties.amount is not a number"


def test_a_missing_id_path_makes_no_measurement() -> None:
    mapping = Mapping("map_3", "hubspot", "deal", "properties.amount", "m", id_path="properties.deal_id")
    assert measurement(mapping, record({"properties": {"amount": 1}}), NOW) == (
        "properties.deal_id (the id path) is missing"
    )
