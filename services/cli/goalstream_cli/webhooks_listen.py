"""`goalstream webhooks listen`: a local webhook receiver for trying subscriptions on a laptop.

It answers every POST with 204, checks the Standard Webhooks signature when given the subscription's secret, and
prints one line per delivery: when, the event type, the goal (its title when the body carries one) and whether the
signature held. `--count N` stops after N deliveries, so a script can wait for them.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from standardwebhooks import Webhook, WebhookVerificationError

from goalstream_cli.terminal_text import safe  # user text in a terminal: one rule for every command

MAX_BODY = 1_048_576  # larger than any delivery notifications sends


def _summary(body: bytes) -> str:
    try:
        event: Any = json.loads(body)
    except ValueError:
        return f"{len(body)} bytes, not JSON"
    if not isinstance(event, dict):
        return "JSON, not an object"
    data: dict[str, Any] = event["data"] if isinstance(event.get("data"), dict) else {}
    goal = event.get("title") or data.get("title") or data.get("goal_id") or event.get("subject") or "?"
    return f"{event.get('type', '?')}  {goal}"


def _handler(secret: str | None, console: Console, seen: threading.Semaphore) -> type[BaseHTTPRequestHandler]:
    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                self.send_response(413)
                self.end_headers()
                return
            body = self.rfile.read(length)
            verdict = ""
            if secret is not None:
                try:
                    Webhook(secret).verify(body, {k.lower(): v for k, v in self.headers.items()})
                    verdict = "  [green]signature ok[/]"
                except WebhookVerificationError as exc:
                    verdict = f"  [red]signature refused: {escape(str(exc))}[/]"
            self.send_response(204)
            self.end_headers()
            at = datetime.now(UTC).strftime("%H:%M:%S")
            try:
                console.print(f"{at}  {escape(safe(self.path))}  {escape(safe(_summary(body)))}{verdict}")
            finally:
                seen.release()  # counted even if the line could not be printed

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: one line per delivery is printed above."""

    return Receiver


def listen_command(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 to receive on.")] = 9000,
    secret: Annotated[
        str | None, typer.Option(envvar="GOALSTREAM_WEBHOOK_SECRET", help="The subscription's whsec_ secret.")
    ] = None,
    count: Annotated[int, typer.Option(min=0, help="Stop after this many deliveries; 0: until Ctrl-C.")] = 0,
    timeout: Annotated[
        float, typer.Option(min=0, help="Give up (exit 1) after this many seconds without a delivery; 0: never.")
    ] = 0,
) -> None:
    """Receive webhooks on 127.0.0.1 and print one line each (signature checked with --secret)."""
    console = Console(soft_wrap=True)
    seen = threading.Semaphore(0)
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), _handler(secret, console, seen))
    except OSError as exc:
        raise typer.BadParameter(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}): pick another --port") from exc
    console.print(f"listening on http://127.0.0.1:{port}/ (Ctrl-C stops)", highlight=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    received = 0
    try:
        while count == 0 or received < count:
            if not seen.acquire(timeout=timeout or None):
                console.print(f"no delivery within {timeout:g} s: see GET /v1/deliveries for the attempts and errors")
                raise typer.Exit(1)
            received += 1
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
