"""`python -m goalstream_notifications`: run the notifications service."""

from __future__ import annotations

import uvicorn

from goalstream_notifications.bootstrap import build_app
from goalstream_notifications.settings import NotificationsSettings
from goalstream_runtime.logs import configure_logging


def main() -> None:
    settings = NotificationsSettings()  # required fields come from the environment
    configure_logging("notifications", settings.log_level)
    uvicorn.run(build_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)


if __name__ == "__main__":
    main()
