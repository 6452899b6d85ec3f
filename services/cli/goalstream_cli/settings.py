"""Where the commands find the platform: flag > environment variable > addresses file > built-in default.

Every address a command uses comes from here (see `addresses.choose`), with where it came from, so a
connection error names the address it tried and how to change it (`unreachable`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import typer
from aiokafka.errors import KafkaError
from rich.console import Console

from goalstream_cli.addresses import Found, addresses_path, choose, read_addresses

DEFAULT_GOALS_PORT = 8001


def recorded(field: str) -> tuple[str | None, str]:
    """A field of the running platform's addresses file (None without one), and the file's path as shown."""
    path = addresses_path()
    found = read_addresses(path)
    return (None if found is None else str(getattr(found, field))), str(path)


def _none_found(what: str, flag: str, variable: str) -> typer.BadParameter:
    return typer.BadParameter(
        f"no {what}: pass {flag}, set {variable}, or start the platform here with `goalstream run`"
        f" (it writes {addresses_path()})",
        param_hint=flag,
    )


def bootstrap_found(option: str | None) -> Found:
    answer = choose(
        option, "--bootstrap", os.environ, [("GOALSTREAM_KAFKA_BOOTSTRAP", "{}")], *recorded("kafka_bootstrap")
    )
    if answer is None:
        raise _none_found("Kafka broker", "--bootstrap", "GOALSTREAM_KAFKA_BOOTSTRAP")
    return answer


def bootstrap_of(option: str | None) -> str:
    return bootstrap_found(option).value


def database_found(option: str | None) -> Found:
    variables = [("GOALSTREAM_DATABASE_URL", "{}")]
    answer = choose(option, "--database-url", os.environ, variables, *recorded("database_url"))
    if answer is None:
        raise _none_found("database", "--database-url", "GOALSTREAM_DATABASE_URL")
    return answer


def goals_api_found(option: str | None) -> Found:
    """--api > GOALSTREAM_API_URL > GOALSTREAM_GOALS_PORT (on this machine) > the file > port 8001."""
    variables = [("GOALSTREAM_API_URL", "{}"), ("GOALSTREAM_GOALS_PORT", "http://127.0.0.1:{}")]
    default = f"http://127.0.0.1:{DEFAULT_GOALS_PORT}"
    answer = choose(option, "--api", os.environ, variables, *recorded("goals_url"), default)
    assert answer is not None  # there is a default
    return answer


def api_key_found(option: str | None, api: Found) -> Found:
    """--key > GOALSTREAM_KEY > the demo organisation's key from the file, only when the goals API's address
    (`api`) came from the file too: the demo's key is never sent to an address chosen some other way."""
    demo_key, file = recorded("demo_api_key")
    from_file = demo_key if api.source == file else None
    answer = choose(option, "--key", os.environ, [("GOALSTREAM_KEY", "{}")], from_file, file)
    if answer is None and demo_key is not None:
        raise typer.BadParameter(
            f"no API key: pass --key or set GOALSTREAM_KEY (the demo key in {file} goes only to the goals API"
            f" recorded there, not to {shown(api.value)} from {api.source})",
            param_hint="--key",
        )
    if answer is None:
        raise _none_found("API key", "--key", "GOALSTREAM_KEY")
    return answer


def consumer_group_prefix() -> str:
    variables = [("GOALSTREAM_CONSUMER_GROUP_PREFIX", "{}")]
    answer = choose(None, "", os.environ, variables, *recorded("consumer_group_prefix"), "goalstream")
    return answer.value if answer else "goalstream"


def service_addresses() -> dict[str, str]:
    """The database URL and bootstrap a service's settings need, from the environment or the file (those found)."""
    database = choose(None, "", os.environ, [("GOALSTREAM_DATABASE_URL", "{}")], *recorded("database_url"))
    broker = choose(None, "", os.environ, [("GOALSTREAM_KAFKA_BOOTSTRAP", "{}")], *recorded("kafka_bootstrap"))
    return {name: f.value for name, f in (("database_url", database), ("kafka_bootstrap", broker)) if f is not None}


def shown(address: str) -> str:
    """An address as printed: a URL's password hidden."""
    parts = urlsplit(address)
    if parts.password is None:
        return address
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def unreachable(what: str, found: Found, flag: str, variable: str, exc: BaseException) -> typer.Exit:
    """Print why `what` could not be reached and what to do; the caller raises the Exit (status 2)."""
    if found.source == str(addresses_path()):
        hint = f"is the `goalstream run` that wrote {found.source} still up?"
    else:
        hint = "is the platform running (`goalstream run`)?"
    Console(stderr=True, soft_wrap=True).print(
        f"cannot reach the {what} at {shown(found.value)} (from {found.source}): {str(exc) or type(exc).__name__}\n"
        f"{hint} Otherwise pass {flag} or set {variable}.",
        style="red",
        markup=False,
        highlight=False,
    )
    return typer.Exit(2)


@contextmanager
def unreachable_broker(broker: Found) -> Iterator[None]:
    """Turns the broker's connection errors into `unreachable` (exit status 2)."""
    try:
        yield
    except (KafkaError, OSError) as exc:
        raise unreachable("Kafka broker", broker, "--bootstrap", "GOALSTREAM_KAFKA_BOOTSTRAP", exc) from exc
