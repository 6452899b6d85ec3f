"""`python -m goalstream_notifications`: run the notifications service."""

from __future__ import annotations

from goalstream_notifications.bootstrap import build_app
from goalstream_notifications.settings import NotificationsSettings
from goalstream_runtime.serve import serve


def main() -> None:
    serve("notifications", NotificationsSettings, build_app)  # read inside serve: a refused setting is a JSON line


if __name__ == "__main__":
    main()
