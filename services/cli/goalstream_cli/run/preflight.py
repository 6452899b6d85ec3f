"""What `goalstream run` checks before it starts anything: its HTTP ports, and that no other run uses its data.

A port is in use when it cannot be bound the way uvicorn binds it (SO_REUSEADDR, so a connection left
in TIME_WAIT by the previous run does not count). Two services given the same port clash too. Each
problem is one line naming the port, the service and the variable to set.
"""

from __future__ import annotations

import socket

from goalstream_cli.addresses import Addresses, addresses_path, read_addresses
from goalstream_cli.run.settings import RunSettings


def variable(service: str) -> str:
    return f"GOALSTREAM_{service.upper()}_PORT"


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def port_problems(host: str, ports: dict[str, int]) -> list[str]:
    """One line per port that a service cannot have, in the services' order."""
    problems, taken = [], dict[int, str]()
    for service, port in ports.items():
        if port in taken:
            problems.append(
                f"port {port} is set for both {taken[port]} and {service}: set {variable(service)} to another port"
            )
        elif not port_free(host, port):
            problems.append(f"port {port} ({service}) is in use: stop what holds it or set {variable(service)}")
        taken.setdefault(port, service)
    return problems


def other_run(settings: RunSettings, pid: int) -> Addresses | None:
    """The live `goalstream run` that wrote this data directory's addresses file, if it is not this one."""
    running = read_addresses(addresses_path({"GOALSTREAM_DATA_DIR": str(settings.data_dir)}))
    return running if running is not None and running.pid != pid else None


def problems(settings: RunSettings, pid: int) -> list[str]:
    """Everything that stops the run before it starts, one line each; empty: go."""
    found = port_problems(settings.http_host, settings.ports())
    running = other_run(settings, pid)
    if running is not None:
        found.append(
            f"goalstream run (pid {running.pid}, goals at {running.goals_url}) is already running on the data"
            f" directory {settings.data_dir}: use it, stop it, or set GOALSTREAM_DATA_DIR"
        )
    return found
