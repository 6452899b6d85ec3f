"""How `goalstream run` stops: the first Ctrl-C or SIGTERM stops the run, and nothing cuts the stopping short.

The embedded PostgreSQL and Tansu run in sessions of their own (start_new_session), so a terminal's Ctrl-C
never reaches them: only this cleanup stops them. A second Ctrl-C or a SIGTERM while the services stop
must therefore not interrupt it, or the servers outlive the run. From the first signal on, and from the
start of any cleanup, both signals are ignored; nothing is restored, the process is ending.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from goalstream_cli.addresses import remove_addresses
from goalstream_cli.run.children import Child
from goalstream_cli.settings import shown
from goalstream_runtime.infra import Infrastructure


class Stop(Exception):
    """Ctrl-C or SIGTERM: stop everything the run started."""


def arm() -> None:
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)


def ignore() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _stop(signum: int, _: object) -> None:
    ignore()  # only the first signal stops the run; a later one could only interrupt the stopping
    raise Stop(signal.Signals(signum).name)


def clean_up(children: Sequence[Child], addresses: Path, infra: Infrastructure) -> None:
    """Stop the services, remove this run's addresses file, then the servers, whatever happens before."""
    ignore()  # a run that failed on its own stops uninterrupted too
    try:
        for child in children:
            child.stop()
        remove_addresses(addresses, os.getpid())
    finally:
        infra.stop()


def announce_servers(console: Console, infra: Infrastructure) -> None:
    """The servers' addresses, a configured database URL's password hidden."""
    console.print(f"[green]✓[/] PostgreSQL  {shown(infra.database_url)}")
    console.print(f"[green]✓[/] Kafka       {infra.kafka_bootstrap}")
