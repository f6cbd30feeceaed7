"""Figures for the gated cells (lessons 03_gru and 04_lstm).

* ``draw_gru_cell`` / ``draw_lstm_cell``: the cells as wiring diagrams, with
  Keras's conventions (``h = z*h_prev + (1-z)*h~``; the LSTM's cell state as a
  conveyor belt that only a multiplication and an addition touch).
* ``plot_update_gate_smoothing`` (+ ``interactive_update_gate``, its slider
  version): the GRU update as an exponentially weighted moving average.
* ``trace_gru_gates`` / ``trace_lstm_gates`` and ``plot_gate_heatmaps``: every
  gate's value at every step of a sequence, as heatmaps.
* ``plot_memory_decay``: how much of a state survives ``k`` steps of a gate value.

Every function returns the matplotlib ``Figure`` (or the widget), so a notebook
shows it and a test can inspect or save it.
"""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import patheffects
from matplotlib.patches import Circle, FancyBboxPatch

from ..activations import sigmoid
from ..data.signals import exponential_moving_average, half_life

__all__ = [
    "draw_gru_cell",
    "draw_lstm_cell",
    "plot_update_gate_smoothing",
    "interactive_update_gate",
    "trace_gru_gates",
    "trace_lstm_gates",
    "plot_gate_heatmaps",
    "plot_memory_decay",
]

# One colour per kind of element, shared by both diagrams and the heatmaps.
GATE_COLOR = "#f4a261"       # sigmoid gates
TANH_COLOR = "#8ecae6"       # tanh layers
OP_COLOR = "#ffffff"         # pointwise operations
STATE_COLOR = "#264653"      # the recurrent state line(s)
BELT_COLOR = "#e9c46a"       # the LSTM's conveyor belt
WIRE_COLOR = "#555555"


# ---------------------------------------------------------------- diagram kit
def _new_axes(ax, size):
    if ax is None:
        fig, ax = plt.subplots(figsize=size)
    else:
        fig = ax.figure
    ax.set_xlim(0, 12.4)
    ax.set_ylim(-0.3, 7.8)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _wire(ax, points, *, color=WIRE_COLOR, width=1.6, arrow=True, bridge=False, zorder=2):
    """A polyline through ``points`` with an arrowhead at the end.

    ``bridge=True`` draws a white halo under the wire, so where it crosses
    another wire it reads as a bridge, not a joint.
    """
    xs, ys = zip(*points)
    halo = ([patheffects.Stroke(linewidth=width + 5, foreground="white"), patheffects.Normal()]
            if bridge else None)
    ax.plot(xs, ys, color=color, lw=width, solid_capstyle="butt",
            zorder=zorder + (0.2 if bridge else 0), path_effects=halo)
    if arrow:
        ax.annotate("", xy=points[-1], xytext=points[-2], zorder=zorder + 0.5,
                    arrowprops=dict(arrowstyle="-|>", color=color, lw=width,
                                    shrinkA=0, shrinkB=0, mutation_scale=12))


def _box(ax, center, text, color, label=None, *, width=1.1, height=0.7):
    x, y = center
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.05", fc=color, ec="black", lw=1.2,
                                zorder=4))
    ax.text(x, y, text, ha="center", va="center", fontsize=12, zorder=5)
    if label:  # on a white patch, over the wire that feeds the box from below
        ax.text(x, y - height / 2 - 0.12, label, ha="center", va="top", fontsize=9.5,
                color="#333333", zorder=5,
                bbox=dict(fc="white", ec="none", pad=0.5, alpha=0.95))


def _dot(ax, xy, color=WIRE_COLOR):
    """A junction: the wire splits here."""
    ax.add_patch(Circle(xy, 0.08, fc=color, ec=color, zorder=3))


def _op(ax, center, symbol, radius=0.3):
    ax.add_patch(Circle(center, radius, fc=OP_COLOR, ec="black", lw=1.2, zorder=4))
    ax.text(center[0], center[1], symbol, ha="center", va="center", fontsize=13, zorder=5)


def _label(ax, xy, text, **kwargs):
    options = dict(fontsize=11, ha="center", va="center", zorder=6)
    options.update(kwargs)
    ax.text(xy[0], xy[1], text, **options)


def draw_gru_cell(ax=None, reset_after=True):
    """One GRU step as a wiring diagram (Keras's convention ``h_t = z*h_{t-1} + (1-z)*h~``).

    Orange boxes are sigmoid gates, blue boxes tanh layers, circles pointwise
    operations.  Every box reads the step's inputs ``[h_{t-1}, x_t]`` from the
    bus at the bottom.  ``reset_after`` picks where the reset gate acts: on
    ``h_{t-1} @ U_h + b'_h`` (True, Keras's default) or on ``h_{t-1}`` before
    the candidate's product with ``U_h`` (False).  Returns the Figure.
    """
    fig, ax = _new_axes(ax, (9.5, 6.2))
    rail, bus = 6.0, 1.0
    # The state line: h_{t-1} -> (x z) -> (+) -> h_t, to the next step and up as the output.
    _wire(ax, [(0.4, rail), (7.1, rail)], color=STATE_COLOR, width=2.6, arrow=False)
    _wire(ax, [(7.7, rail), (9.7, rail)], color=STATE_COLOR, width=2.6, arrow=False)
    _wire(ax, [(10.3, rail), (12.0, rail)], color=STATE_COLOR, width=2.6)
    _wire(ax, [(11.2, rail), (11.2, 7.5)], color=STATE_COLOR, width=2.6)
    _dot(ax, (11.2, rail), STATE_COLOR)
    _label(ax, (0.45, rail + 0.4), r"$h_{t-1}$", ha="left")
    _label(ax, (12.0, rail - 0.4), r"$h_t$" + "\n(next step)", ha="right", va="top", fontsize=9.5)
    _label(ax, (11.35, 7.45), r"$h_t$ (output)", ha="left", fontsize=9.5)
    _op(ax, (7.4, rail), r"$\times$")
    _op(ax, (10.0, rail), r"$+$")
    # The bus with the step's inputs.
    _wire(ax, [(0.9, rail), (0.9, bus), (8.3, bus)], arrow=False)
    _wire(ax, [(1.6, -0.2), (1.6, bus)], arrow=False)
    _label(ax, (1.75, -0.1), r"$x_t$", ha="left", va="bottom", fontsize=11)
    for junction in [(0.9, rail), (2.8, rail), (1.6, bus), (2.8, bus), (5.6, bus)]:
        _dot(ax, junction, STATE_COLOR if junction[1] == rail else WIRE_COLOR)
    _label(ax, (4.2, bus - 0.35), r"bus: $[h_{t-1},\ x_t]$", fontsize=9.5, color="#333333")
    # Reset gate r scales what the candidate sees of h_{t-1}.
    _wire(ax, [(2.8, bus), (2.8, 2.25)])
    _box(ax, (2.8, 2.6), r"$\sigma$", GATE_COLOR, "reset gate $r$")
    _wire(ax, [(2.8, 2.95), (2.8, 4.0)])
    _wire(ax, [(2.8, rail), (2.8, 4.6)])
    _op(ax, (2.8, 4.3), r"$\times$")
    _wire(ax, [(3.1, 4.3), (8.2, 4.3), (8.2, 2.95)])
    if reset_after:  # the recurrent product comes first, then the reset gate scales it
        _box(ax, (2.8, 5.15), r"$\cdot U_h + b'_h$", OP_COLOR, width=1.25, height=0.5)
        _label(ax, (4.75, 4.62), r"$r \odot (h_{t-1} U_h + b'_h)$", fontsize=10)
    else:  # the reset gate scales h_{t-1}; the candidate multiplies the result by U_h
        _label(ax, (4.3, 4.62), r"$r \odot h_{t-1}$", fontsize=10)
    # Update gate z: keeps z of the old state, lets 1 - z of the candidate in.
    _wire(ax, [(5.6, bus), (5.6, 2.25)])
    _box(ax, (5.6, 2.6), r"$\sigma$", GATE_COLOR, "update gate $z$")
    _wire(ax, [(5.6, 2.95), (5.6, 5.2), (9.1, 5.2), (9.1, 4.95)], arrow=False, bridge=True)
    _dot(ax, (7.4, 5.2))
    _wire(ax, [(7.4, 5.2), (7.4, 5.7)])
    _label(ax, (7.2, 5.45), r"$z$", ha="right", fontsize=11)
    _box(ax, (9.1, 4.65), r"$1-$", OP_COLOR, width=0.6, height=0.5)
    _wire(ax, [(9.4, 4.65), (9.7, 4.65)])
    _label(ax, (9.55, 4.2), r"$1-z$", fontsize=10)
    # Candidate h~ = tanh(x_t W_h + r-gated recurrent part).
    _wire(ax, [(8.2, bus), (8.2, 2.25)])
    _box(ax, (8.2, 2.6), r"$\tanh$", TANH_COLOR, r"candidate $\tilde h_t$")
    _label(ax, (8.2, 3.55), r"$x_t W_h + b_h + \ldots$" if reset_after
           else r"$x_t W_h + b_h + (\ldots) U_h$", fontsize=8.5, color="#333333",
           bbox=dict(fc="white", ec="none", pad=0.5))
    _wire(ax, [(8.75, 2.6), (10.0, 2.6), (10.0, 4.35)])
    _op(ax, (10.0, 4.65), r"$\times$")
    _wire(ax, [(10.0, 4.95), (10.0, 5.7)])
    _label(ax, (10.25, 3.3), r"$\tilde h_t$", ha="left")
    ax.set_title(r"GRU step (Keras):  $h_t = z \odot h_{t-1} + (1-z) \odot \tilde h_t$"
                 + f"\nreset_after={reset_after}", fontsize=12)
    return fig


def draw_lstm_cell(ax=None):
    """One LSTM step as a wiring diagram, with the cell state drawn as a conveyor belt.

    The belt (top) carries ``c`` from step to step; only a multiplication by the
    forget gate and an addition of ``i * c~`` touch it.  The output ``h_t``
    leaves twice: to the next step and to the next layer.  Returns the Figure.
    """
    fig, ax = _new_axes(ax, (9.5, 6.2))
    belt, bus = 6.0, 1.0
    # The conveyor belt: a wide band with rollers under the c line.
    ax.add_patch(FancyBboxPatch((0.3, belt - 0.35), 11.8, 0.7, boxstyle="round,pad=0.02,rounding_size=0.35",
                                fc=BELT_COLOR, ec="none", alpha=0.55, zorder=1))
    for x in np.arange(0.75, 12.0, 0.9):
        ax.add_patch(Circle((x, belt - 0.5), 0.12, fc="#bbbbbb", ec="#777777", lw=0.8, zorder=1))
    _wire(ax, [(0.4, belt), (2.9, belt)], color=STATE_COLOR, width=2.6, arrow=False)
    _wire(ax, [(3.5, belt), (6.1, belt)], color=STATE_COLOR, width=2.6, arrow=False)
    _wire(ax, [(6.7, belt), (12.0, belt)], color=STATE_COLOR, width=2.6)
    _op(ax, (3.2, belt), r"$\times$")
    _op(ax, (6.4, belt), r"$+$")
    _label(ax, (0.45, belt + 0.55), r"$c_{t-1}$", ha="left")
    _label(ax, (12.0, belt + 0.55), r"$c_t$ (next step)", ha="right", fontsize=9.5)
    _label(ax, (6.2, 7.45), "cell state: a conveyor belt that only "
           r"$\times f_t$ and $+\ i_t \odot \tilde c_t$ touch", fontsize=10, color="#6b4f00")
    # The bus with h_{t-1} and x_t.
    _wire(ax, [(0.4, bus), (8.6, bus)], arrow=False)
    _label(ax, (0.45, bus + 0.4), r"$h_{t-1}$", ha="left")
    _wire(ax, [(1.5, -0.2), (1.5, bus)], arrow=False)
    _label(ax, (1.65, -0.1), r"$x_t$", ha="left", va="bottom")
    _label(ax, (4.8, bus - 0.35), r"bus: $[h_{t-1},\ x_t]$", fontsize=9.5, color="#333333")
    # Forget gate.
    _wire(ax, [(3.2, bus), (3.2, 2.25)])
    _box(ax, (3.2, 2.6), r"$\sigma$", GATE_COLOR, "forget $f_t$")
    _wire(ax, [(3.2, 2.95), (3.2, 5.7)])
    # Input gate and candidate meet at a product, which is added to the belt.
    _wire(ax, [(4.8, bus), (4.8, 2.25)])
    _box(ax, (4.8, 2.6), r"$\sigma$", GATE_COLOR, "input $i_t$")
    _wire(ax, [(4.8, 2.95), (4.8, 4.3), (6.1, 4.3)])
    _wire(ax, [(6.4, bus), (6.4, 2.25)])
    _box(ax, (6.4, 2.6), r"$\tanh$", TANH_COLOR, r"candidate $\tilde c_t$")
    _wire(ax, [(6.4, 2.95), (6.4, 4.0)])
    _op(ax, (6.4, 4.3), r"$\times$")
    _wire(ax, [(6.4, 4.6), (6.4, 5.7)])
    # Output gate reads a squashed copy of the new cell state.
    _wire(ax, [(8.6, bus), (8.6, 2.25)])
    _box(ax, (8.6, 2.6), r"$\sigma$", GATE_COLOR, "output $o_t$")
    _wire(ax, [(9.15, 2.6), (9.7, 2.6)])
    _wire(ax, [(10.0, belt), (10.0, 4.65)])
    _box(ax, (10.0, 4.3), r"$\tanh$", TANH_COLOR, width=0.9, height=0.55)
    _wire(ax, [(10.0, 4.0), (10.0, 2.9)])
    _op(ax, (10.0, 2.6), r"$\times$")
    _wire(ax, [(10.3, 2.6), (12.2, 2.6)])
    _wire(ax, [(10.9, 2.6), (10.9, bus), (12.2, bus)])
    _label(ax, (12.2, 2.95), r"$h_t$ (output)", ha="right", fontsize=9.5)
    _label(ax, (12.2, bus - 0.4), r"$h_t$ (next step)", ha="right", fontsize=9.5)
    for junction in [(1.5, bus), (3.2, bus), (4.8, bus), (6.4, bus), (10.9, 2.6)]:
        _dot(ax, junction)
    _dot(ax, (10.0, belt), STATE_COLOR)
    ax.set_title(r"LSTM step (Keras):  $c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t$,   "
                 r"$h_t = o_t \odot \tanh(c_t)$", fontsize=12)
    return fig


# ----------------------------------------------------------- moving average
def plot_update_gate_smoothing(clean, noisy, zs=(0.3, 0.8, 0.97), labels=None, *, h0=0.0):
    """One panel per update-gate value: the noisy input, the truth, and the GRU-style average.

    ``clean, noisy``: ``(T,)`` arrays (see ``course_utils.data.signals``).
    ``zs``: gate values; each a number or a ``(T,)`` array (a gate that varies
    with time).  ``labels``: optional panel titles (default: ``z`` and its
    half-life).  Each panel also reports the RMS error against ``clean``.
    """
    clean, noisy = np.asarray(clean, dtype=float), np.asarray(noisy, dtype=float)
    zs = list(zs)
    fig, axes = plt.subplots(len(zs), 1, figsize=(9, 2.1 * len(zs) + 0.4), sharex=True,
                             squeeze=False)
    steps = np.arange(len(noisy))
    for k, (ax, z) in enumerate(zip(axes[:, 0], zs)):
        smooth = exponential_moving_average(noisy, z, h0=h0)
        rms = float(np.sqrt(np.mean((smooth - clean) ** 2)))
        ax.plot(steps, noisy, ".", color="#999999", ms=3.5, label=r"input $\tilde h_t$ (noisy)")
        ax.plot(steps, clean, "--", color="black", lw=1.2, label="clean signal")
        ax.plot(steps, smooth, color="#d62828", lw=2, label=r"state $h_t$")
        if labels is not None:
            title = labels[k]
        elif np.ndim(z) == 0:
            title = f"z = {float(z):.2f}  (half-life {float(half_life(z)):.1f} steps)"
        else:
            title = "z changes with time"
        ax.set_title(f"{title}:  RMS error to the clean signal {rms:.3f}", fontsize=10,
                     loc="left")
        ax.set_ylabel("value")
        ax.set_ylim(-2, 2)
        ax.grid(alpha=0.3)
    axes[0, 0].legend(loc="upper right", fontsize=8.5, ncol=3)
    axes[-1, 0].set_xlabel("time step t")
    fig.suptitle(r"The update gate as a moving average: $h_t = z\,h_{t-1} + (1-z)\,\tilde h_t$",
                 fontsize=12)
    fig.tight_layout()
    return fig


def interactive_update_gate(clean, noisy, z=0.8):
    """A slider for ``z`` that redraws ``plot_update_gate_smoothing`` (needs ipywidgets)."""
    import ipywidgets as widgets

    def show(z):
        plot_update_gate_smoothing(clean, noisy, zs=(z,))
        plt.show()

    slider = widgets.FloatSlider(value=z, min=0.0, max=0.99, step=0.01, description="z",
                                 continuous_update=False, readout_format=".2f")
    return widgets.interactive(show, z=slider)


# ------------------------------------------------------------- gate traces
def trace_gru_gates(x, h0, kernel, recurrent_kernel, bias, reset_after=True):
    """Every gate of a GRU at every step, for plotting.

    Shapes: ``x (batch, T, input_dim)``, ``h0 (batch, units)``, weights as
    ``keras.layers.GRU.get_weights()``.  Returns a dict of ``(batch, T, units)``
    arrays: ``z`` (update), ``r`` (reset), ``h_tilde`` (candidate), ``h`` (state;
    equal to ``course_utils.gru.gru_forward``).
    """
    x, h = np.asarray(x, dtype=np.float64), np.asarray(h0, dtype=np.float64)
    kernel, recurrent_kernel, bias = (np.asarray(w, dtype=np.float64)
                                      for w in (kernel, recurrent_kernel, bias))
    units = h.shape[1]
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, 0 * bias)
    blocks = {"z": slice(0, units), "r": slice(units, 2 * units), "h": slice(2 * units, None)}
    trace = {name: [] for name in ("z", "r", "h_tilde", "h")}
    for t in range(x.shape[1]):
        from_x = x[:, t] @ kernel + input_bias
        from_h = h @ recurrent_kernel + recurrent_bias
        z = sigmoid(from_x[:, blocks["z"]] + from_h[:, blocks["z"]])
        r = sigmoid(from_x[:, blocks["r"]] + from_h[:, blocks["r"]])
        if reset_after:
            recurrent_part = r * from_h[:, blocks["h"]]
        else:
            recurrent_part = (r * h) @ recurrent_kernel[:, blocks["h"]]
        h_tilde = np.tanh(from_x[:, blocks["h"]] + recurrent_part)
        h = z * h + (1 - z) * h_tilde
        for name, value in zip(trace, (z, r, h_tilde, h)):
            trace[name].append(value)
    return {name: np.stack(values, axis=1) for name, values in trace.items()}


def trace_lstm_gates(x, h0, c0, kernel, recurrent_kernel, bias):
    """Every gate of an LSTM at every step, for plotting.

    Shapes: ``x (batch, T, input_dim)``, ``h0, c0 (batch, units)``, weights as
    ``keras.layers.LSTM.get_weights()``.  Returns a dict of ``(batch, T, units)``
    arrays: ``i``, ``f``, ``c_tilde``, ``o``, ``c``, ``h`` (``c`` and ``h`` equal
    ``course_utils.lstm.lstm_forward``'s outputs).
    """
    x = np.asarray(x, dtype=np.float64)
    h, c = np.asarray(h0, dtype=np.float64), np.asarray(c0, dtype=np.float64)
    kernel, recurrent_kernel, bias = (np.asarray(w, dtype=np.float64)
                                      for w in (kernel, recurrent_kernel, bias))
    trace = {name: [] for name in ("i", "f", "c_tilde", "o", "c", "h")}
    for t in range(x.shape[1]):
        a_i, a_f, a_c, a_o = np.split(x[:, t] @ kernel + h @ recurrent_kernel + bias, 4, axis=1)
        i, f, c_tilde, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_c), sigmoid(a_o)
        c = f * c + i * c_tilde
        h = o * np.tanh(c)
        for name, value in zip(trace, (i, f, c_tilde, o, c, h)):
            trace[name].append(value)
    return {name: np.stack(values, axis=1) for name, values in trace.items()}


_TITLES = {
    "z": r"update gate $z$", "r": r"reset gate $r$", "h_tilde": r"candidate $\tilde h$",
    "h": r"hidden state $h$", "i": r"input gate $i$", "f": r"forget gate $f$",
    "c_tilde": r"candidate $\tilde c$", "o": r"output gate $o$", "c": r"cell state $c$",
}
_GATES = {"z", "r", "i", "f", "o"}


def plot_gate_heatmaps(trace, names=None, *, sample=0, inputs=None, input_labels=None,
                       unit_labels=None, highlight_steps=(), title=None):
    """Heatmaps (units x time) of the traced quantities of one sequence.

    ``trace``: a dict from ``trace_gru_gates`` / ``trace_lstm_gates`` (or any
    ``{name: (batch, T, units)}``).  ``names``: which to show, in order (default:
    all).  Gates use a 0..1 colour scale; tanh outputs and states a symmetric
    one.  ``inputs`` ``(T, features)`` of the same sequence, if given, are drawn
    as lines on top.  ``highlight_steps``: time steps marked by a dotted line
    in every panel (e.g. where a marker input is on).  Returns the Figure.
    """
    names = list(trace) if names is None else list(names)
    rows = len(names) + (inputs is not None)
    steps, units = np.asarray(trace[names[0]]).shape[1:]
    fig, axes = plt.subplots(rows, 1, figsize=(9, 0.5 + 0.45 * units * len(names)
                                                + 1.4 * (inputs is not None) + 0.5 * rows),
                             sharex=True, squeeze=False)
    axes = axes[:, 0]
    edges = np.arange(steps + 1) - 0.5  # cell edges so that cell t is centred on step t
    if inputs is not None:
        inputs = np.asarray(inputs, dtype=float).reshape(steps, -1)
        ax = axes[0]
        for k in range(inputs.shape[1]):
            label = input_labels[k] if input_labels else f"x[{k}]"
            ax.step(np.arange(steps), inputs[:, k], where="mid", lw=1.6, label=label)
        ax.set_ylabel("input")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.05), fontsize=8.5, frameon=False)
        ax.grid(alpha=0.3)
        ax.set_title("input sequence", fontsize=10, loc="left")
        axes = axes[1:]
    for ax, name in zip(axes, names):
        values = np.asarray(trace[name])[sample].T  # (units, T)
        if name in _GATES:
            cmap, vmin, vmax = "viridis", 0.0, 1.0
        else:
            limit = max(1.0, float(np.nanmax(np.abs(values))))
            cmap, vmin, vmax = "RdBu_r", -limit, limit
        mesh = ax.pcolormesh(edges, np.arange(units + 1) - 0.5, values, cmap=cmap,
                             vmin=vmin, vmax=vmax, shading="flat")
        ax.set_yticks(range(units))
        ax.set_yticklabels(unit_labels if unit_labels else [f"unit {u}" for u in range(units)],
                           fontsize=8.5)
        ax.invert_yaxis()
        ax.set_title(_TITLES.get(name, name), fontsize=10, loc="left")
        fig.colorbar(mesh, ax=ax, pad=0.01, aspect=8)
    if inputs is not None:  # keep the input panel as wide as the heatmaps above their colorbars
        fig.colorbar(mesh, ax=fig.axes[0], pad=0.01, aspect=8).ax.set_visible(False)
    for ax in fig.axes[:rows]:
        for step in highlight_steps:
            ax.axvline(step, color="#d62828", lw=1.0, ls=":", zorder=3)
    axes[-1].set_xlabel("time step t")
    if title:
        fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig


def plot_memory_decay(gate_values, n_steps=30, *, labels=None, ax=None):
    """Fraction of a state that survives ``k`` steps when a gate keeps ``g`` of it each step: ``g**k``.

    ``gate_values``: the gate values to compare (e.g. a forget gate of
    ``sigmoid(0)`` against ``sigmoid(1)``).  ``labels``: optional legend text.
    A dot marks each curve's half-life.  Returns the Figure.
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 3.6))
    else:
        fig = ax.figure
    k = np.arange(n_steps + 1)
    for n, g in enumerate(gate_values):
        label = labels[n] if labels else f"gate = {g:.2f}"
        (line,) = ax.plot(k, float(g) ** k, lw=2, label=label)
        life = float(half_life(g))
        if 0 < life <= n_steps:
            ax.plot([life], [0.5], "o", color=line.get_color(), ms=6)
    ax.axhline(0.5, color="grey", lw=0.8, ls=":")
    ax.text(n_steps, 0.52, "half kept", ha="right", va="bottom", fontsize=8.5, color="grey")
    ax.set_xlabel("steps k")
    ax.set_ylabel(r"fraction kept  $g^k$")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(0, n_steps)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig
