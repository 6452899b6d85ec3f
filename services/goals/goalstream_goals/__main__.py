"""`python -m goalstream_goals`: run the goals service."""

from __future__ import annotations

from goalstream_goals.bootstrap import build_app
from goalstream_goals.settings import GoalsSettings
from goalstream_runtime.serve import serve


def main() -> None:
    serve("goals", GoalsSettings, build_app)  # read inside serve, so a refused setting is logged as JSON


if __name__ == "__main__":
    main()
