"""An organisation taking part in fuzzing: its API key, its marker, what it owns, and creating it with the CLI.

Each `Peer` has a `marker`, a unique word in the titles and metric keys of what it owns, so that a
response showing any of its data, not only its ids, is recognisable. Organisations and their keys are
made with `goalstream admin`, as an operator would.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from goalstream_runtime.auth import visible_prefix
from tests.support.cli import goalstream


@dataclass
class Peer:
    """An organisation, its API key and what it owns (ids by kind; secrets no other organisation may see)."""

    org_id: str
    api_key: str
    marker: str
    ids: dict[str, list[str]] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)  # secrets that are not ids: signing secrets, key prefixes

    def __post_init__(self) -> None:
        self.add("orgs", self.org_id)
        self.hidden.add(visible_prefix(self.api_key))  # what a key listing shows of a key

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def add(self, kind: str, *values: str) -> None:
        self.ids.setdefault(kind, []).extend(v for v in values if v not in self.ids.get(kind, []))

    def of_kind(self, kind: str | None) -> list[str]:
        """This organisation's ids of `kind`; every id it has if None, or if it has none of that kind."""
        if kind is None:
            return [v for values in self.ids.values() for v in values]
        return self.ids.get(kind, []) or self.of_kind(None)

    def secrets(self) -> set[str]:
        """Every string whose presence in a response means that response shows this organisation's data."""
        return {self.org_id, self.marker, *self.hidden, *self.of_kind(None)}


def _admin(database_url: str, *args: str) -> str:
    """`goalstream admin ...` against the goals database; its output."""
    result = goalstream("admin", *args, env={"GOALSTREAM_DATABASE_URL": database_url}, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _key(output: str) -> str:
    return next(word for line in output.splitlines() for word in line.split() if word.startswith("gs_"))


def create_organisation(database_url: str, org_id: str) -> str:
    """`goalstream admin org create` (read, write and admin scopes); returns the new organisation's API key."""
    return _key(_admin(database_url, "org", "create", org_id, "--name", f"peer {org_id}"))


def issue_spare_key(database_url: str, peer: Peer) -> None:
    """A second, read-only key whose id the fuzzer may name (and revoke): never the key the tests use."""
    output = _admin(database_url, "key", "issue", peer.org_id, "--scopes", "read")
    peer.add("keys", output.split()[1])  # "key <key id> for <org> (shown once):"
    peer.hidden.add(visible_prefix(_key(output)))
