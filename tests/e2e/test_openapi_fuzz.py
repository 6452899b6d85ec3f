"""schemathesis against each service's OpenAPI, with two organisations as peers that must not see each other.

Every operation of goals, tracking and notifications (as each serves it at /openapi.json) is fuzzed twice
on the real services, broker and database, with ids drawn mostly from our organisation's real resources
(some from the peer's, the rest as generated): once with the peer organisation's key (object-level
authorization: nothing of ours is read, changed, or even told apart from a missing id) and once with our
own key (no 5xx). `no_cross_organisation_read` (tests/support/fuzz/cross_organisation_check.py) runs on every response
of both, in both directions, beside schemathesis's own checks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import Platform
from tests.support.fuzz.cross_organisation_check import Watching
from tests.support.fuzz.id_draws import IdDraws
from tests.support.fuzz.organisations import Peer, create_organisation, issue_spare_key
from tests.support.fuzz.runner import fuzz, load_schema
from tests.support.fuzz.seeding import Seeder
from tests.support.fuzz.snapshots import changes, snapshot

pytestmark = pytest.mark.e2e

SERVICES = ("goals", "tracking", "notifications")
MAX_EXAMPLES = 20  # generated requests per operation and key: the bounded budget (no shrinking either)

# schemathesis's configuration, and nothing from a schemathesis.toml. Checks that stay on and matter here:
# not_a_server_error, status_code_conformance and response_schema_conformance (every status and body is
# documented, 4xx included), content_type_conformance, response_headers_conformance and
# negative_data_rejection (a request that breaks the schema is refused). The stateful ones
# (use_after_free, ensure_resource_availability, and object_level_authorization, which needs `[auth.wfc]`
# peers and the CLI engine's stateful phase) and the coverage-phase ones have nothing to look at here.
CONFIG: dict[str, Any] = {
    "request-timeout": 30,
    "checks": {
        # Schema-valid is not valid here: a hard goal needs a target, an anti-goal a comparator, a rung's
        # deadline comes after the one before... Those rules answer 422 naming the field, by design (DESIGN §4).
        "positive_data_acceptance": {"enabled": False},
    },
}


@pytest.fixture(scope="module")
def peers(platform: Platform) -> Iterator[tuple[Peer, Peer]]:
    """Ours (the platform's organisation) and a peer created with `goalstream admin`, each with real resources."""
    run = uuid.uuid4().hex[:8]
    ours = Peer(platform.org_id, platform.api_key, marker=f"ours{run}")
    peer_id = f"peer-{run}"
    theirs = Peer(peer_id, create_organisation(platform.database_url, peer_id), marker=f"theirs{run}")
    for peer in (ours, theirs):
        issue_spare_key(platform.database_url, peer)
        Seeder(platform.goals.url, platform.tracking.url, platform.notifications.url, peer).seed()
    with Watching((ours, theirs)):
        yield ours, theirs


def _schema(platform: Platform, service: str, peers: tuple[Peer, Peer]) -> Any:
    return load_schema(f"{getattr(platform, service).url}/openapi.json", IdDraws(*peers), CONFIG)


@pytest.mark.parametrize("service", SERVICES)
def test_a_peer_organisation_gets_nothing_of_ours(
    service: str, platform: Platform, peers: tuple[Peer, Peer], subtests: pytest.Subtests
) -> None:
    ours, theirs = peers
    before = snapshot(ours, platform.goals.url, platform.notifications.url)
    fuzz(_schema(platform, service, peers), theirs.auth, subtests, MAX_EXAMPLES)
    after = snapshot(ours, platform.goals.url, platform.notifications.url)
    assert not changes(before, after), f"the peer changed our data: {changes(before, after)}"


@pytest.mark.parametrize("service", SERVICES)
def test_our_own_key_gets_no_server_error(
    service: str, platform: Platform, peers: tuple[Peer, Peer], subtests: pytest.Subtests
) -> None:
    fuzz(_schema(platform, service, peers), peers[0].auth, subtests, MAX_EXAMPLES)
