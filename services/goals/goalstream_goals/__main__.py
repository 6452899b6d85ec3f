"""`python -m goalstream_goals`: run the goals service."""

from __future__ import annotations

from goalstream_goals.bootstrap import build_app
from goalstream_goals.settings import GoalsSettings
from goalstream_runtime.serve import serve


def main() -> None:
    serve("goals", GoalsSettings(), build_app)  # required settings come from the environment


if __name__ == "__main__":
    main()
