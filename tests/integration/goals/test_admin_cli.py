"""`goalstream admin operator issue|list|revoke` and `admin org create`'s refusals, on a real goals database."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner, Result

from goalstream_cli.main import app
from goalstream_goals.adapters.operator_keys import find_operator
from goalstream_runtime.db import connect


def admin(database_url: str, *args: str) -> Result:
    """`goalstream admin ...`; call it in a thread, as the command runs its own event loop."""
    return CliRunner().invoke(app, ["admin", *args, "--database-url", database_url], env={"COLUMNS": "200"})


async def operator_of(database_url: str, key: str) -> str | None:
    conn = await connect(database_url, "goals")
    try:
        return await find_operator(conn, key)
    finally:
        await conn.close()


async def test_operator_keys_are_issued_listed_and_revoked(database_url: str) -> None:
    issued = await asyncio.to_thread(admin, database_url, "operator", "issue", "--label", "ops team")
    assert issued.exit_code == 0, issued.output
    key = next(word for word in issued.output.split() if word.startswith("gso_"))
    key_id = issued.output.split()[2]  # "operator key <key id> (<label>, shown once):"
    assert await operator_of(database_url, key) == key_id

    listed = await asyncio.to_thread(admin, database_url, "operator", "list")
    assert listed.exit_code == 0 and key_id in listed.output and "ops team" in listed.output, listed.output
    assert key[:10] in listed.output and key not in listed.output  # the prefix, never the key

    revoked = await asyncio.to_thread(admin, database_url, "operator", "revoke", key_id)
    assert revoked.exit_code == 0, revoked.output
    assert await operator_of(database_url, key) is None
    again = await asyncio.to_thread(admin, database_url, "operator", "revoke", key_id)
    assert again.exit_code == 1 and "no active operator key" in again.output


async def test_admin_refuses_a_blank_label_a_taken_organisation_id_and_a_bad_one(database_url: str) -> None:
    blank = await asyncio.to_thread(admin, database_url, "operator", "issue", "--label", " ")
    assert blank.exit_code == 2 and "--label" in blank.output, blank.output

    first = await asyncio.to_thread(admin, database_url, "org", "create", "acme", "--name", "Acme")
    assert first.exit_code == 0, first.output
    taken = await asyncio.to_thread(admin, database_url, "org", "create", "acme", "--name", "Acme again")
    assert taken.exit_code == 1 and "already exists" in taken.output, taken.output
    bad = await asyncio.to_thread(admin, database_url, "org", "create", "no spaces", "--name", "x")
    assert bad.exit_code == 2 and "ORG_ID" in bad.output, bad.output

    conn = await connect(database_url, "goals")
    try:
        assert await conn.fetchval("SELECT name FROM organisations") == "Acme"
        assert await conn.fetchval("SELECT count(*) FROM operator_keys") == 0
    finally:
        await conn.close()
