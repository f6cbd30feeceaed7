"""Figures of lesson 05: gradient norm against time lag (its learning curves are drawn by
``course_utils.plots.training.plot_learning_curves``)."""
import matplotlib.pyplot as plt
import numpy as np

from .._shapes import CELL_LABELS
from .training import CELL_COLORS  # one colour per cell type, the same in every figure

__all__ = ["plot_gradient_flow", "plot_state_paths"]


def _lag_axis(ax, title, ylabel):
    ax.set_yscale("log")
    ax.set_xlabel("time lag k (steps before the last one)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)


def _shared_ylim(axes, curves):
    """Same log range on every panel, so heights can be compared across panels."""
    values = np.concatenate([np.ravel(c) for c in curves])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size:
        for ax in axes:
            ax.set_ylim(values.min() / 3, values.max() * 3)


def plot_gradient_flow(panels, *, ylabel=r"$\|\partial h_T / \partial x_{T-k}\|$"):
    """One panel per stage, one curve per cell: gradient norm against lag, log y axis.

    ``panels`` maps a panel title (e.g. "at initialisation") to
    ``{cell: norms}``, with ``norms[k]`` the norm at lag ``k``.  Returns the figure.
    """
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.0), squeeze=False)
    axes = axes[0]
    for ax, (title, curves) in zip(axes, panels.items()):
        for cell, norms in curves.items():
            ax.plot(np.arange(len(norms)), norms, color=CELL_COLORS.get(cell),
                    label=CELL_LABELS.get(cell, cell), linewidth=2)
        _lag_axis(ax, title, ylabel)
        ax.legend()
    _shared_ylim(axes, [n for curves in panels.values() for n in curves.values()])
    fig.tight_layout()
    return fig


def plot_state_paths(paths):
    """All paths against the gate path (``course_utils.gradient_flow.state_path_norms``).

    ``paths`` maps a cell ("gru", "lstm") to ``{stage title: result of state_path_norms}``;
    one row of panels per cell, one column per stage.  Returns the figure.
    """
    rows, cols = len(paths), max(len(stages) for stages in paths.values())
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.6 * rows), squeeze=False)
    for row, (cell, stages) in zip(axes, paths.items()):
        state, gate = ("c", "f") if cell == "lstm" else ("h", "z")
        color = CELL_COLORS.get(cell)
        for ax, (title, result) in zip(row, stages.items()):
            lags = np.arange(len(result["all_paths"]))
            ax.plot(lags, result["all_paths"], color=color, linewidth=2,
                    label=rf"all paths $\|\partial {state}_T / \partial {state}_{{T-k}}\|$")
            ax.plot(lags, result["gate_path"], color=color, linewidth=2, linestyle="--",
                    label=rf"gate path alone $\|\prod {gate}\|$")
            _lag_axis(ax, f"{CELL_LABELS[cell]}, {title}", "norm")
            ax.legend(loc="lower left")
        _shared_ylim(row, [r[key] for r in stages.values() for key in ("all_paths", "gate_path")])
    fig.tight_layout()
    return fig
