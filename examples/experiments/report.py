"""Figures and tables for the experiment scripts: one PNG and one Markdown + CSV table each.

A figure is a row of ``Panel``s, each a list of ``Series`` (x, y, label, matplotlib style);
``loss_series`` turns a noisy per-iteration loss into a faint raw line plus a smoothed one.
``write_table`` writes ``results.md`` and ``results.csv`` and returns the Markdown so the
script can print it.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Series:
    """One line on a panel; ``label=None`` keeps it out of the legend."""

    x: Sequence[float]
    y: Sequence[float]
    label: str | None = None
    style: dict = field(default_factory=dict)


@dataclass
class Panel:
    """One set of axes: a title, axis labels, scales and its lines."""

    title: str
    xlabel: str
    ylabel: str
    series: list[Series]
    xscale: str = "linear"
    yscale: str = "linear"
    ylim: tuple[float, float] | None = None


def smooth(values: Sequence[float], weight: float = 0.9) -> list[float]:
    """Exponential moving average, debiased so the first points are not pulled toward 0."""
    out, average = [], 0.0
    for i, v in enumerate(values, start=1):
        average = weight * average + (1 - weight) * v
        out.append(average / (1 - weight**i))
    return out


def loss_series(
    label: str, x: Sequence[float], losses: Sequence[float], color: str, weight: float = 0.9
) -> list[Series]:
    """A per-iteration loss as a faint raw line and a labelled smoothed line of one colour."""
    return [
        Series(x, losses, None, {"color": color, "alpha": 0.15, "linewidth": 0.6}),
        Series(x, smooth(losses, weight), label, {"color": color, "linewidth": 1.6}),
    ]


def loss_panel(
    runs: dict,
    per: str = "epoch",
    title: str = "training loss (minibatch)",
    weight: float | dict = 0.9,
) -> Panel:
    """Each run's minibatch loss (raw and smoothed) against epochs or iterations.

    ``runs`` maps a label to a ``harness.Curves``; colours follow the order of ``runs``.
    ``weight`` is the smoothing weight, or a dict label -> weight.
    """
    series = []
    for i, (label, curves) in enumerate(runs.items()):
        x = curves.iter_epochs() if per == "epoch" else range(1, len(curves.iter_loss) + 1)
        w = weight[label] if isinstance(weight, dict) else weight
        series += loss_series(label, list(x), curves.iter_loss, f"C{i}", w)
    # scale to the smoothed lines: a few raw spikes would otherwise flatten everything
    top = max((v for s in series[1::2] for v in s.y if math.isfinite(v)), default=0.0)
    ylim = (0.0, 1.1 * top) if top > 0 else None
    return Panel(title, per, "cross-entropy loss", series, ylim=ylim)


def epoch_panel(runs: dict, metric: str, title: str, ylabel: str = "accuracy") -> Panel:
    """Each run's per-epoch ``metric`` (a list attribute of ``harness.Curves``)."""
    series = [
        Series(c.epoch, getattr(c, metric), label, {"color": f"C{i}", "marker": "o", "ms": 3})
        for i, (label, c) in enumerate(runs.items())
    ]
    return Panel(title, "epoch", ylabel, series)


def zoom(panel: Panel, x_from: float) -> Panel:
    """Fit the y axis to the points at x >= ``x_from`` (the early transient is cut off)."""
    ys = [y for s in panel.series for x, y in zip(s.x, s.y) if x >= x_from and math.isfinite(y)]
    if ys:
        pad = 0.1 * (max(ys) - min(ys)) or 0.01
        panel.ylim = (min(ys) - pad, max(ys) + pad)
        panel.title += f" (from epoch {x_from:g})"
    return panel


def save_figure(path: Path, title: str, panels: Sequence[Panel], dpi: int = 100) -> Path:
    """Draw ``panels`` side by side under ``title`` into the PNG ``path`` (Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed; also safe under pytest
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.8), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        for s in panel.series:
            ax.plot(s.x, s.y, label=s.label, **s.style)
        ax.set(title=panel.title, xlabel=panel.xlabel, ylabel=panel.ylabel)
        ax.set_xscale(panel.xscale)
        ax.set_yscale(panel.yscale)
        if panel.ylim is not None:
            ax.set_ylim(*panel.ylim)
        ax.grid(alpha=0.3)
        if any(s.label for s in panel.series):
            ax.legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=dpi, format="png")
    plt.close(fig)
    # a 256-colour palette keeps a line plot sharp at about a third of the size
    from PIL import Image  # matplotlib depends on Pillow

    Image.open(buffer).convert("RGB").quantize(256).save(path, optimize=True)
    return path


def _cell(value, spec: str) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan" / "inf": a diverged run, shown as such
    return format(value, spec) if spec else str(value)


def write_table(
    out: Path,
    columns: Sequence[tuple[str, str]],
    rows: Sequence[Sequence],
    title: str = "",
    note: str = "",
) -> str:
    """Write ``rows`` to ``out/results.md`` (formatted) and ``out/results.csv`` (raw values).

    ``columns`` pairs each header with a format spec for the Markdown cells (".1%", ".3f",
    "" for str()); ``title`` goes above the Markdown table and ``note`` below it. Returns
    the Markdown text.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    headers = [name for name, _ in columns]
    lines = [f"### {title}", ""] if title else []
    lines += ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(v, s) for v, (_, s) in zip(row, columns)) + " |")
    if note:
        lines += ["", note]
    text = "\n".join(lines) + "\n"
    (out / "results.md").write_text(text)
    with open(out / "results.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(headers)
        writer.writerows([[f"{v:.6g}" if isinstance(v, float) else v for v in row] for row in rows])
    return text


def save_history(path: Path, runs: dict) -> Path:
    """Every curve of the experiment as JSON, to re-plot without re-running."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(runs, indent=1, allow_nan=True) + "\n")
    return path
