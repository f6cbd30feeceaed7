"""The SimpleRNN cell drawn two ways: folded (a cell with a self-loop) and unrolled.

Left panel: one cell box with the input ``x_t`` coming in from below, the state
``h_t`` going out on top and a self-loop that feeds the state back in at the
next step. Right panel: the same loop unrolled over ``steps`` time steps. Every
box in the unrolled picture is drawn identically and carries the same label
``W, U, b``: it is ONE cell applied again and again, not a cascade of
different cells. With ``many_to_one=True`` the per-step outputs are greyed out
and only the last state feeds a dense layer that makes the prediction.

Artists carry gids so that tests (and curious readers) can find them:
``folded-cell``, ``self-loop``, ``cell-<t>``, ``input-arrow-<t>``,
``state-arrow-<t>`` (into step t, from ``h_<t-1>``), ``output-arrow-<t>`` and,
for many-to-one, ``dense`` and ``prediction-arrow``. Steps t count from 1.
"""
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

__all__ = ["draw_rnn_diagram", "CELL_COLOR", "DENSE_COLOR", "WEIGHTS_LABEL"]

CELL_COLOR = "#cfe2f3"      # every cell box, folded or unrolled: one colour = one cell
DENSE_COLOR = "#fce5cd"     # the many-to-one read-out layer
FADED = "#b0b0b0"           # outputs that the many-to-one model ignores
WEIGHTS_LABEL = r"$W,\ U,\ b$"

_BOX_W, _BOX_H = 1.4, 0.8   # cell size in data units
_GAP = 1.0                  # horizontal room between two unrolled cells (for the h_t arrow)
_FOLDED_XLIM = (-1.0, 3.6)
_ARROW = dict(arrowstyle="-|>", mutation_scale=14, lw=1.6, color="black",
              shrinkA=0, shrinkB=0)


def _cell(ax, x_center, y_center, gid, label=WEIGHTS_LABEL, color=CELL_COLOR, width=_BOX_W):
    """A rounded box centred at ``(x_center, y_center)`` with the weight label inside."""
    box = FancyBboxPatch((x_center - width / 2, y_center - _BOX_H / 2), width, _BOX_H,
                         boxstyle="round,pad=0.02,rounding_size=0.12",
                         facecolor=color, edgecolor="black", lw=1.4, gid=gid)
    ax.add_patch(box)
    ax.text(x_center, y_center, label, ha="center", va="center", fontsize=11)
    return box


def _arrow(ax, start, end, gid, color="black", **style):
    arrow = FancyArrowPatch(start, end, gid=gid, **{**_ARROW, "color": color, **style})
    ax.add_patch(arrow)
    return arrow


def _unrolled_xlim(steps):
    pitch = _BOX_W + _GAP
    left, right = -pitch / 2 - _BOX_W / 2 - 0.6, (steps - 1) * pitch + _BOX_W / 2 + 0.3
    room = max(0.0, 6.0 - (right - left))  # short diagrams still need room for the caption
    return left - room / 2, right + room / 2


def _draw_folded(ax):
    """The cell with its self-loop: h_t leaves on top and re-enters at the next step."""
    _cell(ax, 0.0, 0.0, "folded-cell")
    top, bottom, right = _BOX_H / 2, -_BOX_H / 2, _BOX_W / 2
    _arrow(ax, (0.0, bottom - 0.7), (0.0, bottom), "input-arrow-folded")
    ax.text(0.0, bottom - 0.85, r"$x_t$", ha="center", va="top", fontsize=14)
    _arrow(ax, (0.0, top), (0.0, top + 0.7), "output-arrow-folded")
    ax.text(0.0, top + 0.85, r"$h_t$", ha="center", va="bottom", fontsize=14)
    # The loop leaves the right edge high and comes back into it low.
    _arrow(ax, (right, 0.22), (right, -0.22), "self-loop", color="#1f4e79",
           connectionstyle="arc,angleA=0,angleB=0,armA=34,armB=34,rad=8")
    ax.text(right + 0.95, 0.0, "$h_{t-1}$\n(via $U$)", ha="left", va="center",
            fontsize=11, color="#1f4e79")
    # "folded = unrolled": the equals sign sits at the right end of this panel.
    ax.text(3.25, 0.0, "=", ha="center", va="center", fontsize=26)
    ax.set_xlim(*_FOLDED_XLIM)
    ax.set_title("folded: one cell with a self-loop", fontsize=11)


def _draw_unrolled(ax, steps, many_to_one):
    pitch = _BOX_W + _GAP
    top, bottom = _BOX_H / 2, -_BOX_H / 2
    ax.text(-pitch / 2 - _BOX_W / 2, 0.0, "$h_0$", ha="right", va="center", fontsize=14)
    for t in range(1, steps + 1):
        x_center = (t - 1) * pitch
        left_edge = x_center - _BOX_W / 2
        _cell(ax, x_center, 0.0, f"cell-{t}")
        # State arrow into step t, from the previous cell (or from h_0).
        start = left_edge - _GAP if t > 1 else left_edge - _GAP + 0.05
        _arrow(ax, (start, 0.0), (left_edge, 0.0), f"state-arrow-{t}", color="#1f4e79")
        if t > 1:
            ax.text(left_edge - _GAP / 2, 0.08, f"$h_{{{t - 1}}}$", ha="center", va="bottom",
                    fontsize=11, color="#1f4e79")
        _arrow(ax, (x_center, bottom - 0.7), (x_center, bottom), f"input-arrow-{t}")
        ax.text(x_center, bottom - 0.85, f"$x_{{{t}}}$", ha="center", va="top", fontsize=14)
        is_read = (not many_to_one) or t == steps
        color = "black" if is_read else FADED
        _arrow(ax, (x_center, top), (x_center, top + 0.7), f"output-arrow-{t}", color=color)
        ax.text(x_center, top + 0.85, f"$h_{{{t}}}$", ha="center", va="bottom",
                fontsize=14, color=color)

    last = (steps - 1) * pitch
    if many_to_one:
        # Read-out on the last state only: y_hat = sigmoid(h_T V + c).
        dense_y = top + 2.5
        _cell(ax, last, dense_y, "dense", label=r"dense $V,\ c$", color=DENSE_COLOR,
              width=_BOX_W + 0.5)
        _arrow(ax, (last, top + 1.35), (last, dense_y - _BOX_H / 2), "prediction-arrow")
        ax.text(last, dense_y + _BOX_H / 2 + 0.15,
                r"$\hat{y} = \sigma(h_T V + c)$", ha="center", va="bottom", fontsize=13)
        if steps > 1:
            ax.text(last / 2, top + 1.6, "ignored in many-to-one",
                    ha="center", va="center", fontsize=10, color=FADED, style="italic")
    caption = (f"the same cell, with the same weights $W, U, b$, at each of the {steps} steps"
               if steps > 1 else "one step of the cell, with weights $W, U, b$")
    ax.text(last / 2, bottom - 1.55, caption, ha="center", va="top", fontsize=11)
    ax.set_xlim(*_unrolled_xlim(steps))
    ax.set_title(f"unrolled over T = {steps} step{'s' if steps > 1 else ''}", fontsize=11)


def draw_rnn_diagram(steps: int = 4, *, many_to_one: bool = False, figsize=None):
    """Draw the folded cell and the same cell unrolled over ``steps`` steps; return the Figure.

    ``many_to_one=True`` greys out ``h_1 .. h_{T-1}`` and adds the dense
    read-out on the last state, as in a sequence classifier.
    """
    if int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    steps = int(steps)
    # Both panels share the vertical range and are as wide as their contents,
    # so a cell box has the same size on the left and on the right.
    ylim = (-2.6, _BOX_H / 2 + (3.8 if many_to_one else 1.6))
    unrolled_xlim = _unrolled_xlim(steps)
    widths = [_FOLDED_XLIM[1] - _FOLDED_XLIM[0], unrolled_xlim[1] - unrolled_xlim[0]]
    if figsize is None:
        scale = 0.62  # inches per data unit
        figsize = (scale * sum(widths) + 0.3, scale * (ylim[1] - ylim[0]) + 0.4)
    fig, (ax_folded, ax_unrolled) = plt.subplots(
        1, 2, figsize=figsize, gridspec_kw={"width_ratios": widths, "wspace": 0.0})
    _draw_folded(ax_folded)
    _draw_unrolled(ax_unrolled, steps, many_to_one)
    for ax in (ax_folded, ax_unrolled):
        ax.set_ylim(*ylim)
        ax.set_aspect("equal")
        ax.axis("off")
    return fig
