"""The kinds of RNN, by how many inputs and outputs they have: one figure, four panels.

Each panel is one cell unrolled over time (blue boxes, all the same cell), with
its inputs below (green), its outputs above (orange) and the state arrows
between the steps. A step without an input or an output simply has none:

* **one-to-many**: one input, then a sequence out (e.g. generate a melody from one note);
* **many-to-one**: a sequence in, one output read at the last step
  (lesson 01's *A before B*);
* **many-to-many, aligned**: one output per input step, a tagger
  (lesson 06's bidirectional tagger);
* **many-to-many, encoder-decoder**: read the whole input first, then write an
  output sequence of another length (e.g. translation).

Artists carry gids so that tests can find them: ``<kind>-cell-<t>``,
``<kind>-input-<t>``, ``<kind>-output-<t>`` (steps count from 1), and each
panel's axes has the gid ``<kind>``.
"""
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .rnn_diagram import CELL_COLOR

__all__ = ["draw_rnn_kinds", "KINDS"]

INPUT_COLOR = "#d9ead3"
OUTPUT_COLOR = "#fce5cd"
ENCODER_COLOR = "#e6e0f0"   # the encoder's cell in the encoder-decoder (its own weights)

# kind -> (title, example, steps with an input, steps with an output, number of steps)
KINDS = {
    "one-to-many": ("one-to-many", "e.g. a melody from one note",
                    [1], [1, 2, 3, 4], 4),
    "many-to-one": ("many-to-one", "lesson 01: A before B\n(one label per sequence)",
                    [1, 2, 3, 4], [4], 4),
    "many-to-many-aligned": ("many-to-many, aligned", "lesson 06: a tagger\n(one label per step)",
                             [1, 2, 3, 4], [1, 2, 3, 4], 4),
    "encoder-decoder": ("many-to-many, encoder-decoder",
                        "e.g. translation: read all,\nthen write (other length)",
                        [1, 2, 3], [4, 5, 6, 7, 8], 8),
}

_W, _H = 0.8, 0.55          # box size
_PITCH = 1.25               # distance between two steps
_ARROW = dict(arrowstyle="-|>", mutation_scale=11, lw=1.3, color="black", shrinkA=0, shrinkB=0)


def _box(ax, x, y, color, gid, label, width=_W, height=_H):
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=color, edgecolor="black", lw=1.1, gid=gid))
    ax.text(x, y, label, ha="center", va="center", fontsize=9)


def _arrow(ax, start, end, gid=None):
    ax.add_patch(FancyArrowPatch(start, end, gid=gid, **_ARROW))


def _draw_kind(ax, kind):
    title, example, inputs, outputs, steps = KINDS[kind]
    encoder_steps = len(inputs) if kind == "encoder-decoder" else 0
    for t in range(1, steps + 1):
        x = (t - 1) * _PITCH
        in_encoder = t <= encoder_steps
        _box(ax, x, 0.0, ENCODER_COLOR if in_encoder else CELL_COLOR, f"{kind}-cell-{t}", "RNN")
        if t > 1:  # the state handed on from the step before
            _arrow(ax, (x - _PITCH + _W / 2, 0.0), (x - _W / 2, 0.0), f"{kind}-state-{t}")
        if t in inputs:
            _box(ax, x, -1.1, INPUT_COLOR, f"{kind}-input-{t}", f"$x_{t}$", height=0.45)
            _arrow(ax, (x, -1.1 + 0.225), (x, -_H / 2), f"{kind}-input-arrow-{t}")
        if t in outputs:
            label = f"$y_{t - encoder_steps}$" if encoder_steps else f"$y_{t}$"
            _box(ax, x, 1.1, OUTPUT_COLOR, f"{kind}-output-{t}", label, height=0.45)
            _arrow(ax, (x, _H / 2), (x, 1.1 - 0.225), f"{kind}-output-arrow-{t}")
    if encoder_steps:
        ax.text((encoder_steps - 1) * _PITCH / 2, -1.75, "encoder", ha="center", fontsize=9,
                color="#5b4a8a")
        ax.text((encoder_steps + (steps - encoder_steps - 1) / 2) * _PITCH, -1.75,
                "decoder (starts from the encoder's last state)", ha="center", fontsize=9,
                color="#1f4e79")
    ax.set_title(f"{title}\n{example}", fontsize=10.5)
    ax.set_xlim(-_PITCH * 0.6, (steps - 1) * _PITCH + _PITCH * 0.6)
    ax.set_ylim(-2.0, 1.6)
    ax.set_aspect("equal")
    ax.set_gid(kind)
    ax.axis("off")


def draw_rnn_kinds(figsize=(12, 6.4)):
    """Draw the four kinds of RNN (one-to-many, many-to-one, many-to-many aligned and
    encoder-decoder) in one figure and return it. Inputs are green, outputs orange, the
    recurrent cell blue (purple for the encoder, which has its own weights)."""
    fig = plt.figure(figsize=figsize, layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1])
    top_axes = top.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1]})
    bottom_ax = bottom.subplots(1, 1)
    for ax, kind in zip(list(top_axes) + [bottom_ax], KINDS):
        _draw_kind(ax, kind)
    return fig
