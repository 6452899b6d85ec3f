"""`python -m goalstream_tracking`: run the tracking service."""

from __future__ import annotations

from goalstream_runtime.serve import serve
from goalstream_tracking.bootstrap import build_app
from goalstream_tracking.settings import TrackingSettings


def main() -> None:
    serve("tracking", TrackingSettings(), build_app)  # required settings come from the environment


if __name__ == "__main__":
    main()
