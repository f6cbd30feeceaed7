"""Training pictures: learning curves of several models on one plot, and a side-by-side comparison.

A *history* is what ``model.fit`` returns (a ``keras.callbacks.History``) or
its ``.history`` dict, ``{"loss": [...], "val_loss": [...], ...}`` with one
number per epoch.  Models keep the same colour in every figure (``CELL_COLORS``
for models named after a cell, otherwise the order in which they are given), so
a reader can match curves and bars at a glance.  A model named by a cell id
(``"simple_rnn"``, ``"gru"``, ``"lstm"``) is labelled with the cell's name.
"""
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

from .._shapes import CELL_LABELS

__all__ = ["CELL_COLORS", "plot_learning_curves", "plot_model_comparison"]

_COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]
# One colour per cell in every figure of the course (lesson 05's gradient-flow figures too),
# under the cell ids of course_utils.weights and the names the notebooks print.
_CELL_ID_COLORS = {"simple_rnn": "tab:gray", "gru": "tab:blue", "lstm": "tab:orange"}
CELL_COLORS = {**_CELL_ID_COLORS,
               **{CELL_LABELS[cell]: color for cell, color in _CELL_ID_COLORS.items()}}


def _as_dict(history):
    """The per-epoch dict of a ``History`` or of a plain dict."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise TypeError(f"expected a keras History or a dict of per-epoch lists, "
                        f"got {type(history).__name__}")
    return logs


def _color(i, name, colors):
    """``colors[name]``, else the cell's own colour, else the i-th colour of the cycle."""
    return (colors or {}).get(name) or CELL_COLORS.get(name) or _COLORS[i % len(_COLORS)]


def plot_learning_curves(histories, *, metric="loss", baseline=None, baseline_label="baseline",
                         show_training=True, logy=False, ax=None, title=None, ylabel=None,
                         colors=None):
    """Draw ``metric`` against the epoch for several models on one axes; returns the axes.

    ``histories`` maps a model's name (or a cell id) to its history.  The validation curve
    (``val_<metric>``) is solid, the training curve dashed in the same colour;
    a model trained without validation data gets its training curve, solid.
    ``baseline`` draws a horizontal dotted line, e.g. the loss of a trivial
    predictor, labelled ``baseline_label``.  ``colors`` maps names to colours.
    """
    if not histories:
        raise ValueError("histories is empty: give at least one {name: history}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    any_validation = False
    for i, (name, history) in enumerate(histories.items()):
        logs = _as_dict(history)
        if metric not in logs and f"val_{metric}" not in logs:
            raise KeyError(f"history of {name!r} has no {metric!r}; it has {sorted(logs)}")
        color, label = _color(i, name, colors), CELL_LABELS.get(name, name)
        validation = logs.get(f"val_{metric}")
        if validation is not None:
            any_validation = True
            ax.plot(range(1, len(validation) + 1), validation, color=color, lw=2, label=label)
            if show_training and metric in logs:
                training = logs[metric]
                ax.plot(range(1, len(training) + 1), training, color=color, lw=1, ls="--",
                        alpha=0.8)
        else:
            training = logs[metric]
            ax.plot(range(1, len(training) + 1), training, color=color, lw=2, label=label)
    if baseline is not None:
        ax.axhline(baseline, color="black", ls=":", lw=1.5, label=baseline_label)
    handles, labels = ax.get_legend_handles_labels()
    if any_validation and show_training:
        # Two black entries explain the line styles once instead of once per model.
        handles += [Line2D([], [], color="black", lw=2),
                    Line2D([], [], color="black", lw=1, ls="--")]
        labels += ["validation", "training"]
    ax.legend(handles, labels, loc="best", fontsize="small")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel or metric)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    return ax


def plot_model_comparison(stats, *, quantities=None, formats=None, colors=None, title=None):
    """Bar charts side by side, one panel per quantity, one bar per model; returns the figure.

    ``stats`` maps a model's name to ``{quantity: value}``, e.g.
    ``{"GRU": {"parameters": 977, "seconds per epoch": 0.31}, "LSTM": {...}}``.
    ``quantities`` picks and orders the panels (default: those of the first
    model); ``formats`` maps a quantity to a format spec for the value printed
    on each bar (default ``".3g"``).
    """
    if not stats:
        raise ValueError("stats is empty: give at least one {name: {quantity: value}}")
    names = list(stats)
    quantities = list(quantities or stats[names[0]])
    formats = formats or {}
    fig, axes = plt.subplots(1, len(quantities), figsize=(3.2 * len(quantities), 3.2),
                             squeeze=False)
    for ax, quantity in zip(axes[0], quantities):
        values = [stats[name][quantity] for name in names]
        bars = ax.bar(names, values, color=[_color(i, n, colors) for i, n in enumerate(names)])
        ax.bar_label(bars, labels=[format(v, formats.get(quantity, ".3g")) for v in values],
                     padding=2, fontsize="small")
        ax.set_title(quantity)
        ax.margins(y=0.18)   # room for the value labels above the bars
        ax.grid(axis="y", alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
