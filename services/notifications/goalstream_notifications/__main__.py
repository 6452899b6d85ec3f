"""`python -m goalstream_notifications`: run the notifications service."""

from __future__ import annotations

from goalstream_notifications.bootstrap import build_app
from goalstream_notifications.settings import NotificationsSettings
from goalstream_runtime.serve import serve


def main() -> None:
    serve("notifications", NotificationsSettings(), build_app)  # required settings come from the environment


if __name__ == "__main__":
    main()
