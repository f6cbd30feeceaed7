"""Figures of the gated cells (course_utils.plots.gates): what they draw, checked from the data."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import gru, lstm  # noqa: E402
from course_utils.data.signals import exponential_moving_average, noisy_sine  # noqa: E402
from course_utils.plots import gates  # noqa: E402
from course_utils.weights import random_weights  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _texts(fig):
    return " ".join(t.get_text() for ax in fig.axes for t in ax.texts + [ax.title])


def _saves_as_png(fig, path):
    fig.savefig(path, dpi=50)
    assert path.stat().st_size > 5000


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_diagram_names_both_gates_and_where_the_reset_acts(tmp_path, reset_after):
    fig = gates.draw_gru_cell(reset_after=reset_after)
    text = _texts(fig)
    for word in ("reset gate", "update gate", "candidate", "1-z", "h_{t-1}", "(output)",
                 f"reset_after={reset_after}"):
        assert word in text, word
    assert ("U_h + b'_h" in text) == reset_after  # the product drawn before r only when True
    _saves_as_png(fig, tmp_path / "gru.png")


def test_gru_diagram_draws_into_a_given_axes():
    fig, axes = plt.subplots(1, 2)
    assert gates.draw_gru_cell(axes[0], reset_after=False) is fig
    assert gates.draw_gru_cell(axes[1]) is fig
    assert len(fig.axes) == 2


def test_lstm_diagram_shows_the_conveyor_and_two_outputs(tmp_path):
    fig = gates.draw_lstm_cell()
    text = _texts(fig)
    for word in ("forget", "input", "output", "candidate", "conveyor belt", "c_{t-1}",
                 "(next step)", "(output)"):
        assert word in text, word
    assert text.count("h_t$ (") == 2  # h_t leaves to the next step and to the next layer
    _saves_as_png(fig, tmp_path / "lstm.png")


def test_smoothing_figure_plots_the_moving_average_and_its_error(tmp_path):
    clean, noisy = noisy_sine(120, seed=2)
    zs = (0.2, 0.9, np.linspace(0, 0.99, 120))
    fig = gates.plot_update_gate_smoothing(clean, noisy, zs=zs)
    assert len(fig.axes) == 3
    for ax, z in zip(fig.axes, zs):
        state = [line for line in ax.lines if line.get_label() == r"state $h_t$"][0]
        expected = exponential_moving_average(noisy, z)
        np.testing.assert_allclose(state.get_ydata(), expected)
        rms = np.sqrt(np.mean((expected - clean) ** 2))
        assert f"RMS error to the clean signal {rms:.3f}" in ax.get_title(loc="left")
    assert "half-life 6.6 steps" in fig.axes[1].get_title(loc="left")
    assert "changes with time" in fig.axes[2].get_title(loc="left")
    _saves_as_png(fig, tmp_path / "smoothing.png")


def test_smoothing_figure_uses_given_labels():
    clean, noisy = noisy_sine(50)
    fig = gates.plot_update_gate_smoothing(clean, noisy, zs=(0.5,), labels=["my gate"])
    assert fig.axes[0].get_title(loc="left").startswith("my gate:")


def test_interactive_update_gate_is_a_slider_over_z():
    widget = gates.interactive_update_gate(*noisy_sine(50), z=0.6)
    slider = widget.children[0]
    assert slider.description == "z" and slider.value == 0.6
    assert (slider.min, slider.max) == (0.0, 0.99)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_trace_reproduces_the_reference_states(rng, reset_after):
    weights = random_weights("gru", 3, 4, reset_after=reset_after, seed=1)
    x = rng.normal(size=(2, 7, 3))
    h0 = rng.uniform(-1, 1, size=(2, 4))
    trace = gates.trace_gru_gates(x, h0, *weights, reset_after=reset_after)
    assert set(trace) == {"z", "r", "h_tilde", "h"}
    assert all(v.shape == (2, 7, 4) for v in trace.values())
    np.testing.assert_allclose(trace["h"], gru.gru_forward(x, h0, *weights, reset_after=reset_after),
                               atol=1e-6)
    for gate in ("z", "r"):
        assert ((trace[gate] > 0) & (trace[gate] < 1)).all()
    # The update really mixes the traced pieces: h_t = z h_{t-1} + (1 - z) h~_t.
    h_before = np.concatenate([h0[:, None], trace["h"][:, :-1]], axis=1)
    np.testing.assert_allclose(trace["h"], trace["z"] * h_before
                               + (1 - trace["z"]) * trace["h_tilde"], atol=1e-12)


def test_lstm_trace_reproduces_the_reference_states(rng):
    weights = random_weights("lstm", 2, 3, seed=2)
    x = rng.normal(size=(2, 6, 2))
    h0, c0 = rng.uniform(-1, 1, size=(2, 2, 3))
    trace = gates.trace_lstm_gates(x, h0, c0, *weights)
    h_seq, c_seq = lstm.lstm_forward(x, h0, c0, *weights)
    np.testing.assert_allclose(trace["h"], h_seq, atol=1e-6)
    np.testing.assert_allclose(trace["c"], c_seq, atol=1e-6)
    np.testing.assert_allclose(trace["h"], trace["o"] * np.tanh(trace["c"]), atol=1e-12)


def test_gate_heatmaps_show_the_traced_values(rng, tmp_path):
    weights = random_weights("lstm", 2, 3, seed=3)
    x = rng.normal(size=(1, 9, 2))
    trace = gates.trace_lstm_gates(x, np.zeros((1, 3)), np.zeros((1, 3)), *weights)
    fig = gates.plot_gate_heatmaps(trace, ["f", "c"], inputs=x[0], input_labels=["a", "b"],
                                   highlight_steps=[4], title="t")
    panels = fig.axes[1:3]        # input panel, two heatmaps, then the colorbars
    assert [ax.get_title(loc="left") for ax in panels] == [r"forget gate $f$", r"cell state $c$"]
    forget, cell = (ax.collections[0] for ax in panels)
    np.testing.assert_allclose(forget.get_array().reshape(3, 9), trace["f"][0].T)
    assert forget.get_clim() == (0.0, 1.0)                   # gates on a fixed 0..1 scale
    low, high = cell.get_clim()
    assert low == -high and high >= np.abs(trace["c"]).max()  # states on a symmetric scale
    input_panel = fig.axes[0]
    assert [line.get_label() for line in input_panel.lines[:2]] == ["a", "b"]
    assert any(list(line.get_xdata()) == [4, 4] for line in panels[0].lines)
    _saves_as_png(fig, tmp_path / "heatmaps.png")


def test_memory_decay_plots_powers_of_the_gate():
    fig = gates.plot_memory_decay([0.5, 0.9], n_steps=10, labels=["a", "b"])
    ax = fig.axes[0]
    curves = [line for line in ax.lines if line.get_label() in ("a", "b")]
    np.testing.assert_allclose(curves[1].get_ydata(), 0.9 ** np.arange(11))
    dots = [line for line in ax.lines if line.get_marker() == "o"]
    np.testing.assert_allclose([d.get_xdata()[0] for d in dots], [1.0, np.log(0.5) / np.log(0.9)])
