"""The schemathesis harness for fuzzing the HTTP APIs with two peer organisations that must not see each other.

Each peer is an organisation with its own API key and real resources created through the API
(`organisations`, `seeding`); generated requests carry real ids of both (`id_draws`); every response is
checked by `no_cross_organisation_read` (`cross_organisation_check`); `runner` fuzzes every operation of a
service; `snapshots` tells whether a peer's data changed meanwhile.

Importing any part of the package registers `no_cross_organisation_read` with schemathesis, as the
single module it was split from did, so `case.call_and_validate()` always runs it.
"""

from tests.support.fuzz.cross_organisation_check import no_cross_organisation_read

__all__ = ["no_cross_organisation_read"]
