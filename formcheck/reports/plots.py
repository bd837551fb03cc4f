"""One matplotlib set-up for every plot in a report (headless, PNG as a data: URI)."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # no display needed; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["plt", "png"]


def png(fig: plt.Figure) -> str:
    """The figure as an embeddable PNG (data URI); closes it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
