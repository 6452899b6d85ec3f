"""The checked-in schema snapshots, and the backward-compatibility check that guards them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest
from pydantic import AwareDatetime, BaseModel, Field

from goalstream_contracts import registry, snapshots
from goalstream_contracts.base import Payload
from goalstream_contracts.events import GoalPlanned, GoalSet
from goalstream_contracts.snapshots import check_compatible

# --- the real contract against its snapshots -------------------------------------------------------


@pytest.mark.parametrize("cls", registry.EVENT_CLASSES, ids=lambda cls: cls.event_type)
def test_every_current_model_is_compatible_with_its_snapshot(cls: type[Payload]) -> None:
    problems = snapshots.compare_to_snapshot(cls)
    assert problems is not None, (
        f"no snapshot {cls.event_type}.v{cls.schema_version}.json: "
        "run `python -m goalstream_contracts.snapshots --write`"
    )
    assert problems == [], "incompatible change; bump schema_version and add an upcaster:\n" + "\n".join(problems)


@pytest.mark.parametrize("cls", registry.EVENT_CLASSES, ids=lambda cls: cls.event_type)
def test_snapshots_are_up_to_date(cls: type[Payload]) -> None:
    # A compatible change must still refresh the snapshot: otherwise an optional field added now
    # and removed later would never be compared against a snapshot that has it.
    path = snapshots.snapshot_path(cls.event_type, cls.schema_version)
    assert path.read_text() == snapshots.render(cls), "run `python -m goalstream_contracts.snapshots --write`"


def test_the_snapshot_folder_passes_the_check() -> None:
    assert snapshots.check_snapshots() == []
    assert snapshots.main(["--check"]) == 0


def test_snapshots_live_next_to_the_package() -> None:
    assert Path(snapshots.__file__).resolve().parent.parent / "schemas" == snapshots.SCHEMAS_DIR


def test_rendering_is_deterministic() -> None:
    text = snapshots.render(GoalSet)
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_a_changed_real_model_is_caught_against_its_snapshot() -> None:
    snapshot = json.loads(snapshots.snapshot_path("GoalSet", 1).read_text())

    class NarrowerGoalSet(GoalSet):
        kind: Literal["hard"]

    class ExtendedGoalSet(GoalSet):
        note: str | None = None

    assert check_compatible(snapshot, NarrowerGoalSet.model_json_schema()) == [
        "NarrowerGoalSet.kind: enum values removed: ['anti']"
    ]
    assert check_compatible(snapshot, ExtendedGoalSet.model_json_schema()) == []


def test_a_changed_nested_model_is_caught_through_ref() -> None:
    snapshot = json.loads(snapshots.snapshot_path("GoalPlanned", 1).read_text())

    class Milestone(BaseModel):
        index: int
        due: int  # was a date-time string
        target: float
        fraction: float

    class ChangedGoalPlanned(GoalPlanned):
        milestones: tuple[Milestone, ...]  # type: ignore[assignment]

    assert check_compatible(snapshot, ChangedGoalPlanned.model_json_schema()) == [
        "ChangedGoalPlanned.milestones[].due: type changed from string to integer",
    ]


# --- check_compatible on small models -------------------------------------------------------------


class Inner(BaseModel):
    size: int


class Old(BaseModel):
    name: str
    count: int = Field(ge=0)
    colour: Literal["red", "green"]
    note: str | None = None
    tags: tuple[str, ...] = ()
    inner: Inner


def _problems(new: type[BaseModel]) -> list[str]:
    return check_compatible(Old.model_json_schema(), new.model_json_schema())


def test_an_unchanged_model_is_compatible() -> None:
    assert _problems(Old) == []


def test_removing_a_field_is_flagged() -> None:
    class New(BaseModel):
        name: str
        colour: Literal["red", "green"]
        note: str | None = None
        tags: tuple[str, ...] = ()
        inner: Inner

    assert _problems(New) == ["New.count: removed"]


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (str, "New.count: type changed from integer to string"),
        (float, "New.count: type changed from integer to number"),
        (int | None, "New.count: type changed from integer to integer | null"),
        (tuple[int, ...], "New.count: type changed from integer to array"),
    ],
    ids=["str", "float", "nullable", "array"],
)
def test_changing_a_type_is_flagged(annotation: Any, expected: str) -> None:
    class New(Old):
        count: annotation = 0

    assert _problems(New) == [expected]


def test_no_longer_nullable_is_flagged() -> None:
    class New(Old):
        note: str = ""

    assert _problems(New) == ["New.note: type changed from null | string to string"]


def test_changing_the_type_of_array_items_is_flagged() -> None:
    class New(Old):
        tags: tuple[int, ...] = ()  # type: ignore[assignment]

    assert _problems(New) == ["New.tags[]: type changed from string to integer"]


def test_changing_the_type_of_mapping_values_is_flagged() -> None:
    class Before(BaseModel):
        counts: dict[str, int]

    class After(BaseModel):
        counts: dict[str, str]

    assert check_compatible(Before.model_json_schema(), After.model_json_schema()) == [
        "After.counts.*: type changed from integer to string"
    ]


def test_changing_a_type_inside_a_referenced_model_is_flagged() -> None:
    class Inner(BaseModel):  # same $defs name, different shape
        size: str

    class New(Old):
        inner: Inner  # type: ignore[assignment]

    assert _problems(New) == ["New.inner.size: type changed from integer to string"]


def test_making_a_field_required_is_flagged() -> None:
    class New(Old):
        note: str | None

    assert _problems(New) == ["New.note: was optional, became required"]


def test_adding_a_required_field_is_flagged() -> None:
    class New(Old):
        owner: str

    assert _problems(New) == ["New.owner: added as required (a new property needs a default)"]


def test_adding_a_required_field_to_a_referenced_model_is_flagged() -> None:
    class Inner(BaseModel):
        size: int
        unit: str

    class New(Old):
        inner: Inner  # type: ignore[assignment]

    assert _problems(New) == ["New.inner.unit: added as required (a new property needs a default)"]


def test_removing_an_enum_value_is_flagged() -> None:
    class New(Old):
        colour: Literal["red"]

    assert _problems(New) == ["New.colour: enum values removed: ['green']"]


def test_restricting_a_free_field_to_an_enum_is_flagged() -> None:
    class New(Old):
        name: Literal["a", "b"]

    assert _problems(New) == ["New.name: a free value is now restricted to ['a', 'b']"]


def test_tightening_a_bound_is_flagged_and_loosening_is_not() -> None:
    class Tighter(Old):
        count: int = Field(ge=1)

    class Looser(Old):
        count: int = Field(ge=-5)

    assert _problems(Tighter) == ["Tighter.count: minimum tightened from 0 to 1"]
    assert _problems(Looser) == []


def test_adding_a_format_to_a_string_is_flagged() -> None:
    class New(Old):
        name: AwareDatetime  # type: ignore[assignment]

    assert _problems(New) == ["New.name: format changed from None to 'date-time'"]


def test_adding_an_optional_field_is_compatible() -> None:
    class New(Old):
        owner: str | None = None
        retries: int = 3

    assert _problems(New) == []


def test_adding_an_enum_value_is_compatible() -> None:
    class New(Old):
        colour: Literal["red", "green", "blue"]  # type: ignore[assignment]

    assert _problems(New) == []


def test_making_a_required_field_optional_is_compatible() -> None:
    class New(Old):
        name: str = "unnamed"

    assert _problems(New) == []


def test_several_problems_are_all_reported() -> None:
    class New(BaseModel):
        name: int
        colour: Literal["green"]
        inner: Inner
        owner: str

    assert sorted(_problems(New)) == [
        "New.colour: enum values removed: ['red']",
        "New.count: removed",
        "New.name: type changed from string to integer",
        "New.note: removed",
        "New.owner: added as required (a new property needs a default)",
        "New.tags: removed",
    ]


def test_recursive_models_terminate() -> None:
    class Node(BaseModel):
        label: str
        children: tuple[Node, ...] = ()

    class Renamed(BaseModel):
        label: int
        children: tuple[Renamed, ...] = ()

    assert check_compatible(Node.model_json_schema(), Node.model_json_schema()) == []
    assert check_compatible(Node.model_json_schema(), Renamed.model_json_schema()) == [
        "Renamed.label: type changed from string to integer"
    ]


# --- the CLI and the snapshot folder rules ----------------------------------------------------------


def test_write_then_check_in_an_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert snapshots.main(["--check", "--dir", str(tmp_path)]) == 1
    assert "GoalSet.v1.json: missing snapshot of GoalSet v1" in capsys.readouterr().err

    assert snapshots.main(["--write", "--dir", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(f"{cls.event_type}.v{cls.schema_version}.json" for cls in registry.EVENT_CLASSES)
    assert snapshots.main(["--check", "--dir", str(tmp_path)]) == 0


def test_check_reports_an_incompatible_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshots.write_snapshots(tmp_path)
    schema = json.loads((tmp_path / "GoalArchived.v1.json").read_text())
    schema["properties"]["archived_by"] = {"type": "string"}  # the model lost a field the snapshot has
    (tmp_path / "GoalArchived.v1.json").write_text(json.dumps(schema))

    assert snapshots.main(["--check", "--dir", str(tmp_path)]) == 1
    assert "GoalArchived.v1.json: GoalArchived.archived_by: removed" in capsys.readouterr().err


def test_write_refuses_to_overwrite_an_incompatible_snapshot_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snapshots.write_snapshots(tmp_path)
    path = tmp_path / "GoalArchived.v1.json"
    schema = json.loads(path.read_text())
    schema["properties"]["archived_by"] = {"type": "string"}
    path.write_text(json.dumps(schema))

    assert snapshots.main(["--write", "--dir", str(tmp_path)]) == 1
    assert "bump schema_version" in capsys.readouterr().err
    assert "archived_by" in path.read_text()

    assert snapshots.main(["--write", "--force", "--dir", str(tmp_path)]) == 0
    assert path.read_text() == snapshots.render(registry.BY_TYPE["GoalArchived"])


class Thing(Payload):
    """A test-only payload at version 2, whose v1 was {"title": ...}."""

    event_type: ClassVar[str] = "ContractTestThing"
    schema_version: ClassVar[int] = 2
    topic: ClassVar[str] = "test.things"
    name: str


def test_old_snapshots_must_stay_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(registry, "EVENT_CLASSES", (Thing,))
    monkeypatch.setitem(registry.BY_TYPE, Thing.event_type, Thing)
    snapshots.write_snapshots(tmp_path)
    (tmp_path / "ContractTestThing.v1.json").write_text('{"properties": {"title": {"type": "string"}}}')
    (tmp_path / "Gone.v1.json").write_text("{}")
    (tmp_path / "notes.json").write_text("{}")

    assert snapshots.main(["--check", "--dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "ContractTestThing.v1.json: not a current version, and no upcaster chain reads it",
        "Gone.v1.json: not a current version, and no upcaster chain reads it",
        "notes.json: not named <event_type>.v<schema_version>.json",
    ]

    (tmp_path / "Gone.v1.json").unlink()
    (tmp_path / "notes.json").unlink()
    monkeypatch.setitem(registry.UPCASTERS, (Thing.event_type, 1), lambda data: {"name": data["title"]})
    assert snapshots.check_snapshots(tmp_path) == []

    (tmp_path / "ContractTestThing.v3.json").write_text("{}")  # newer than the code
    assert snapshots.check_snapshots(tmp_path) == [
        "ContractTestThing.v3.json: not a current version, and no upcaster chain reads it"
    ]
