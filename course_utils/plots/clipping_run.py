"""A real training run with and without gradient clipping: loss per epoch, gradient norm per batch."""
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["plot_clipping_run"]


def plot_clipping_run(runs, clip_norm, baseline=None, colors=None):
    """Two panels for ``runs`` = {label: (losses per epoch, gradient norms per batch)}.

    Left: training loss per epoch on a log axis; a run whose loss became NaN or inf is
    drawn up to its last finite value and marked with a cross there. Right: the global norm
    of the gradient that each batch applied, with ``clip_norm`` as a dashed line. ``baseline``
    (a loss) is drawn as a dotted line on the left. Returns the figure."""
    colors = colors or {}
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8), layout="constrained")
    for label, (losses, norms) in runs.items():
        color = colors.get(label)
        losses, norms = np.asarray(losses, dtype=float), np.asarray(norms, dtype=float)
        epochs = np.arange(1, len(losses) + 1)
        finite = np.isfinite(losses)
        line, = left.plot(epochs[finite], losses[finite], marker="o", color=color, label=label)
        if not finite.all():
            first_bad = int(np.argmin(finite))
            left.plot(epochs[first_bad], np.nanmax(losses[finite]) if finite.any() else 1.0,
                      marker="x", markersize=12, mew=3, color=line.get_color(), linestyle="none")
            left.annotate(f"NaN from epoch {epochs[first_bad]} on", (epochs[first_bad], np.nanmax(
                losses[finite]) if finite.any() else 1.0), textcoords="offset points",
                xytext=(8, -4), color=line.get_color(), fontsize=9)
        batches = np.arange(1, len(norms) + 1)
        ok = np.isfinite(norms)
        right.plot(batches[ok], norms[ok], color=line.get_color(), lw=1, label=label)
        if not ok.all():
            right.axvline(batches[np.argmin(ok)], color=line.get_color(), linestyle=":", lw=1)
    if baseline is not None:
        left.axhline(baseline, color="grey", linestyle=":", label="predict 0 (no learning)")
    left.set(yscale="log", xlabel="epoch", ylabel="training loss (MSE)", title="Loss")
    left.legend(fontsize=9)
    right.axhline(clip_norm, color="black", linestyle="--", lw=1, label=f"clip norm {clip_norm:g}")
    right.set(yscale="log", xlabel="batch", ylabel="global norm of the applied gradient",
              title="Gradient norm per batch")
    right.legend(fontsize=9)
    return fig
