"""`python -m goalstream_goals`: run the goals service."""

from __future__ import annotations

import uvicorn

from goalstream_goals.bootstrap import build_app
from goalstream_goals.settings import GoalsSettings
from goalstream_runtime.logs import configure_logging


def main() -> None:
    settings = GoalsSettings()  # required fields come from the environment
    configure_logging("goals", settings.log_level)
    uvicorn.run(build_app(settings), host=settings.http_host, port=settings.http_port, log_config=None)


if __name__ == "__main__":
    main()
