"""course_utils.step_norms and plots.clipping_run: the norm of every applied gradient, and its figure."""
import matplotlib

matplotlib.use("Agg")  # noqa: E402 - before pyplot

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.plots.clipping_run import plot_clipping_run  # noqa: E402
from course_utils.step_norms import StepNormRecorder  # noqa: E402


def _fit(options):
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = 10 * x.sum(axis=1, keepdims=True)                 # large targets: large gradients
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01, **options), loss="mse")
    recorder = StepNormRecorder(0.01)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[recorder])
    return recorder.norms


def test_one_norm_per_batch_and_clipping_caps_it():
    raw = _fit({})
    clipped = _fit({"global_clipnorm": 1.0})
    assert len(raw) == len(clipped) == 4
    assert raw[0] > 1.0                                  # the first gradient is large ...
    assert clipped[0] == pytest.approx(1.0, rel=1e-3)    # ... and clipping shortens it to 1
    assert max(clipped) <= 1.0 + 1e-3


def test_plot_marks_a_run_that_diverged():
    runs = {"no clipping": ([5.0, float("nan")], [1.0, 1e6, float("nan")]),
            "clipped": ([0.5, 0.2], [1.0, 1.0, 0.8])}
    fig = plot_clipping_run(runs, 1.0, baseline=1.0)
    try:
        texts = [t.get_text() for ax in fig.axes for t in ax.texts]
        assert any("NaN from epoch 2" in t for t in texts)
        assert len(fig.axes) == 2
    finally:
        plt.close(fig)
