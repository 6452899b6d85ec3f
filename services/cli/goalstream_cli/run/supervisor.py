"""`goalstream run`'s loop: start, wait for ready, announce, restart what exits, stop what keeps exiting."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from rich.console import Console

from goalstream_cli.addresses import Addresses, addresses_path, private_dir, write_addresses
from goalstream_cli.run import preflight, stopping
from goalstream_cli.run.banner import banner, curl_example
from goalstream_cli.run.children import Child, demo_key, recent_exits, restart_delay
from goalstream_cli.run.settings import RunSettings
from goalstream_runtime.infra import Infrastructure


class RunFailed(Exception):
    """The run cannot go on; the message says why, with the failing service's last log lines."""


def run(settings: RunSettings, console: Console) -> int:
    """0 after Ctrl-C or SIGTERM; 1 when a port is taken, a service keeps exiting or is not ready in time."""
    errors = Console(stderr=True, soft_wrap=True, highlight=False)
    refused = preflight.problems(settings, os.getpid())
    if refused:  # before anything starts: nothing to stop
        for line in refused:
            errors.print(line, style="red", markup=False)
        return 1
    stopping.arm()
    infra = Infrastructure(settings)
    children: list[Child] = []
    addresses = addresses_path({"GOALSTREAM_DATA_DIR": str(settings.data_dir)})
    code = 0
    try:
        private_dir(settings.data_dir)  # it holds the demo key, the addresses file and the servers' data
        with console.status("starting the infrastructure (embedded where not configured)..."):
            infra.start()
        stopping.announce_servers(console, infra)
        key = demo_key(settings)
        logs = settings.data_dir / "logs"
        private_dir(logs)
        common = {"GOALSTREAM_DATABASE_URL": infra.database_url, "GOALSTREAM_KAFKA_BOOTSTRAP": infra.kafka_bootstrap}
        for name, port in settings.ports().items():
            env = dict(common, GOALSTREAM_DEMO_API_KEY=key) if name == "goals" else dict(common)
            demo_allow = settings.demo_egress_allow()
            if name == "notifications" and demo_allow is not None:
                env["GOALSTREAM_EGRESS_ALLOW"] = demo_allow
            children.append(Child(name, f"goalstream_{name}", port, logs / f"{name}.log", env))
        for child in children:
            child.start()
        goals, tracking, notifications = (c.url for c in children)

        def announce() -> None:
            recorded = Addresses(
                pid=os.getpid(),
                goals_url=goals,
                tracking_url=tracking,
                notifications_url=notifications,
                kafka_bootstrap=infra.kafka_bootstrap,
                database_url=infra.database_url,
                demo_api_key=key,
                consumer_group_prefix=settings.consumer_group_prefix,
            )
            write_addresses(addresses, recorded)
            console.print(banner(goals, tracking, notifications, key, logs, addresses, settings.demo_egress_allow()))
            # Plain and unwrapped, so that it can be copied and pasted as it is.
            console.print(curl_example(goals, tracking, key), markup=False, highlight=False, soft_wrap=True)
            sys.stdout.flush()

        supervise(children, settings, console, announce)
    except stopping.Stop:
        console.print("\nstopping...")
    except RunFailed as exc:
        errors.print(f"\n{exc}", style="red", markup=False)
        code = 1
    finally:
        try:  # noqa: SIM105 - suppress() is a call of its own, where a pending signal would escape
            stopping.ignore()
        except stopping.Stop:
            pass  # a signal pending as the run ended by itself is taken here, where it cuts nothing short
        stopping.clean_up(children, addresses, infra)
        console.print("[green]✓[/] every process goalstream started is stopped")
    return code


def supervise(children: list[Child], settings: RunSettings, console: Console, announce: Callable[[], None]) -> None:
    """Until stopped: restarts a child that exits, and raises RunFailed when one exits too often or, before
    `announce`, when they are not all ready within `ready_timeout`."""
    deadline, announced = time.monotonic() + settings.ready_timeout, False
    while True:
        now = time.monotonic()
        for child in children:
            code = child.exited()
            if code is not None:
                _exited(child, code, now, settings, console)
            elif child.restart_at is not None and now >= child.restart_at:
                child.start()
            elif not child.ready and child.restart_at is None and child.answers_ready():
                child.ready = True
                console.print(f"[green]✓[/] {child.name:<13} {child.url}" + (" (ready again)" if announced else ""))
        if not announced and all(c.ready for c in children):
            announce()
            announced = True
        elif not announced and now > deadline:
            late = [c for c in children if not c.ready]
            raise RunFailed(
                f"not ready after {settings.ready_timeout:.0f}s: {', '.join(c.name for c in late)}"
                + "".join(_last_lines(c) for c in late)
            )
        time.sleep(0.2 if not all(c.ready for c in children) else 1.0)


def _exited(child: Child, code: int, now: float, settings: RunSettings, console: Console) -> None:
    child.exits.append(now)
    recent = recent_exits(child.exits, now, settings.run_crash_window_seconds)
    window = f"{settings.run_crash_window_seconds:.0f}s"
    if recent >= settings.run_crash_limit:
        raise RunFailed(
            f"{child.name} exited {recent} times within {window} (last exit code {code}), so the run stops"
            f" (GOALSTREAM_RUN_CRASH_LIMIT={settings.run_crash_limit}).{_last_lines(child)}"
        )
    delay = restart_delay(recent)
    child.restart_at, child.ready = now + delay, False
    console.print(
        f"[yellow]![/] {child.name} exited ({code}); restarting in {delay:.0f}s"
        f" ({recent} of {settings.run_crash_limit} exits within {window} stop the run; log: {child.log_path})",
        highlight=False,
    )


def _last_lines(child: Child) -> str:
    lines = child.last_lines()
    if not lines:
        return f"\n{child.name} wrote nothing to {child.log_path}"
    return f"\nthe last lines {child.name} wrote to {child.log_path}:\n" + "\n".join(f"  {line}" for line in lines)
