"""Read-side arithmetic (rollups arrive with the tracking issue)."""


def clamp01(value: float) -> float:
    """Progress as it feeds a rollup: within [0, 1]."""
    return min(1.0, max(0.0, value))
