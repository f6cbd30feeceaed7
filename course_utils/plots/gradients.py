"""Figures of 02_vanishing_gradients: gradient norm against time lag, and what clipping does.

Every function draws into ``ax`` (a new figure if None) and returns the Axes,
so a notebook can combine panels and a test can inspect the lines.  Gradient
norms are drawn on a log axis: a gradient that shrinks or grows by the same
factor at every step back is a straight line there, and its slope is the factor.
"""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, Rectangle

__all__ = ["plot_gradient_norms_by_lag", "plot_clipping_directions", "plot_clipping_by_lag"]

COLORS = ["#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#8c564b"]
LAG_LABEL = r"time lag $k$ (steps back from the last state $h_T$)"


def _color(label, labels, colors):
    """The colour given for ``label``, else the next colour of the cycle by position."""
    if colors and label in colors:
        return colors[label]
    return COLORS[labels.index(label) % len(COLORS)]


def _axes(ax, figsize=(7, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_gradient_norms_by_lag(norms, *, predicted_rates=None, colors=None, ax=None, title=None):
    """Gradient norm against time lag on a log axis, one solid line per curve.

    ``norms`` maps a label (e.g. ``"spectral radius 1.5"``) to a 1-D array of
    length ``T+1``: entry ``k`` is the norm of ``dL/dh_(T-k)`` (e.g. averaged over
    a batch).  ``predicted_rates`` optionally maps the same labels to a factor
    ``r``; a dashed line ``norms[0] * r**k`` of the same colour shows what a
    constant factor per step would give.  ``colors`` optionally maps labels to colours.
    """
    ax = _axes(ax)
    predicted_rates = predicted_rates or {}
    for label, curve in norms.items():
        color = _color(label, list(norms), colors)
        curve = np.asarray(curve, dtype=np.float64)
        lags = np.arange(curve.size)
        ax.semilogy(lags, curve, "-", color=color, lw=2, label=label, gid=f"measured:{label}")
        if label in predicted_rates:
            rate = float(predicted_rates[label])
            ax.semilogy(lags, curve[0] * rate ** lags.astype(float), "--", color=color, lw=1.2,
                        label=f"{rate:g}$^k$", gid=f"predicted:{label}")
    ax.set_xlabel(LAG_LABEL)
    ax.set_ylabel(r"$\|\partial L / \partial h_{T-k}\|$ (log scale)")
    ax.set_title(title or "Gradient norm against time lag")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=9)
    return ax


def plot_clipping_directions(gradients, clip_norm, *, ax=None):
    """Two-parameter gradients before and after clipping, as arrows from the origin.

    ``gradients`` is (n, 2): each row is a gradient made of two one-number
    arrays.  Grey arrows: the gradients; solid blue: clipped by global norm
    (same direction, length at most ``clip_norm``, on or inside the circle);
    dashed orange: each array clipped on its own (each coordinate stays within
    ``clip_norm``, the faint square, and the direction turns).
    """
    from ..clipping import clip_by_global_norm, clip_by_norm_each

    ax = _axes(ax, figsize=(6, 6))
    gradients = np.asarray(gradients, dtype=np.float64)
    ax.add_patch(Circle((0, 0), clip_norm, fill=False, ls=":", color="black", lw=1.2,
                        gid="clip-circle"))
    ax.add_patch(Rectangle((-clip_norm, -clip_norm), 2 * clip_norm, 2 * clip_norm, fill=False,
                           ls="--", color=COLORS[4], alpha=0.35, lw=1, gid="clip-square"))
    arrow = dict(length_includes_head=True, head_width=0.08 * clip_norm, lw=0)
    for i, g in enumerate(gradients):
        parts = [g[:1], g[1:]]
        global_clipped = np.concatenate(clip_by_global_norm(parts, clip_norm)[0])
        each_clipped = np.concatenate(clip_by_norm_each(parts, clip_norm))
        ax.arrow(0, 0, *g, color="0.6", width=0.012 * clip_norm, gid=f"original-{i}",
                 label="gradient" if i == 0 else None, **arrow)
        ax.arrow(0, 0, *global_clipped, color=COLORS[0], width=0.03 * clip_norm,
                 gid=f"global-{i}", label="clipped by global norm" if i == 0 else None, **arrow)
        ax.plot([0, each_clipped[0]], [0, each_clipped[1]], "--", color=COLORS[4], lw=2,
                gid=f"each-{i}", label="each array clipped on its own" if i == 0 else None)
        ax.plot(*each_clipped, "o", color=COLORS[4], ms=5)
    reach = max(np.abs(gradients).max(), clip_norm) * 1.1
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)
    ax.set_aspect("equal")
    ax.axhline(0, color="0.85", lw=0.8, zorder=0)
    ax.axvline(0, color="0.85", lw=0.8, zorder=0)
    ax.set_xlabel("gradient of parameter 1")
    ax.set_ylabel("gradient of parameter 2")
    ax.set_title(f"Clipping to norm {clip_norm:g} (dotted circle)")
    ax.legend(loc="upper left", fontsize=9)
    return ax


def plot_clipping_by_lag(before, after, *, colors=None, ax=None, title=None):
    """What each time lag contributes to a weight gradient, before and after clipping.

    ``before`` and ``after`` map labels to 1-D arrays (length ``T``) of norms of
    the contribution of lag ``k`` (solid: before, dashed: after, same colour).
    On the log axis clipping moves a whole curve down by one constant: the
    shape, and so the relative weight of distant steps, is unchanged.  ``colors``
    optionally maps labels to colours.
    """
    ax = _axes(ax)
    for label in before:
        color = _color(label, list(before), colors)
        b = np.asarray(before[label], dtype=np.float64)
        a = np.asarray(after[label], dtype=np.float64)
        ax.semilogy(np.arange(b.size), b, "-", color=color, lw=2, label=f"{label}: before",
                    gid=f"before:{label}")
        ax.semilogy(np.arange(a.size), a, "--", color=color, lw=2, label=f"{label}: clipped",
                    gid=f"after:{label}")
    ax.set_xlabel(LAG_LABEL)
    ax.set_ylabel("norm of the lag's term in the\nweight gradient (log scale)")
    ax.set_title(title or "Clipping rescales every lag by the same factor")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=9)
    return ax
