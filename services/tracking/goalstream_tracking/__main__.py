"""`python -m goalstream_tracking`: run the tracking service."""

from __future__ import annotations

import uvicorn

from goalstream_runtime.logs import configure_logging
from goalstream_tracking.bootstrap import build_app
from goalstream_tracking.settings import TrackingSettings


def main() -> None:
    settings = TrackingSettings()  # required fields come from the environment
    configure_logging("tracking", settings.log_level)
    uvicorn.run(build_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)


if __name__ == "__main__":
    main()
