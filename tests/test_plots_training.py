"""Learning curves and the model comparison figure: what is drawn, read back from matplotlib."""
import types

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.plots.training import CELL_COLORS, plot_learning_curves, plot_model_comparison  # noqa: E402

HISTORIES = {
    "SimpleRNN": {"loss": [0.20, 0.18, 0.17], "val_loss": [0.19, 0.17, 0.17]},
    "GRU": {"loss": [0.18, 0.05, 0.01], "val_loss": [0.16, 0.02, 0.004]},
    # what model.fit returns: an object whose .history is the dict
    "LSTM": types.SimpleNamespace(history={"loss": [0.19, 0.15, 0.02],
                                           "val_loss": [0.17, 0.12, 0.01]}),
}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _line(ax, label):
    return next(line for line in ax.get_lines() if line.get_label() == label)


def test_learning_curves_draw_validation_solid_and_training_dashed_in_one_colour(tmp_path):
    ax = plot_learning_curves(HISTORIES, baseline=1 / 6, baseline_label="predict 1")
    for name, history in HISTORIES.items():
        logs = getattr(history, "history", history)
        validation = _line(ax, name)
        np.testing.assert_array_equal(validation.get_xdata(), [1, 2, 3])
        np.testing.assert_allclose(validation.get_ydata(), logs["val_loss"])
        assert validation.get_linestyle() == "-"
        assert mcolors.same_color(validation.get_color(), CELL_COLORS[name])
        training = [line for line in ax.get_lines() if line.get_linestyle() == "--"
                    and np.allclose(line.get_ydata(), logs["loss"])]
        assert len(training) == 1 and mcolors.same_color(training[0].get_color(),
                                                         CELL_COLORS[name])
    np.testing.assert_allclose(_line(ax, "predict 1").get_ydata(), [1 / 6, 1 / 6])
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == ["SimpleRNN", "GRU", "LSTM", "predict 1", "validation", "training"]
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    ax.figure.savefig(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 10_000


def test_learning_curves_on_a_log_scale_into_a_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    returned = plot_learning_curves(HISTORIES, ax=right, logy=True, title="log", ylabel="MSE")
    assert returned is right and not left.get_lines()
    assert right.get_yscale() == "log" and right.get_title() == "log"
    assert right.get_ylabel() == "MSE"


def test_a_history_without_validation_gets_its_training_curve_solid():
    ax = plot_learning_curves({"model": {"accuracy": [0.5, 0.7]}}, metric="accuracy")
    (line,) = ax.get_lines()
    assert line.get_label() == "model" and line.get_linestyle() == "-"
    np.testing.assert_allclose(line.get_ydata(), [0.5, 0.7])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["model"]


def test_cell_ids_are_labelled_with_the_cell_names_in_the_cell_colours():
    """Lesson 05 keys its histories by cell id ("simple_rnn", "gru", "lstm")."""
    ax = plot_learning_curves({"simple_rnn": {"val_loss": [0.2, 0.1]},
                               "lstm": {"val_loss": [0.2, 0.05]}}, show_training=False)
    assert [line.get_label() for line in ax.get_lines()] == ["SimpleRNN", "LSTM"]
    assert mcolors.same_color(_line(ax, "LSTM").get_color(), CELL_COLORS["lstm"])
    assert mcolors.same_color(CELL_COLORS["LSTM"], CELL_COLORS["lstm"])


def test_other_names_take_the_colour_cycle_or_the_given_colours():
    ax = plot_learning_curves({"a": {"loss": [1, 2]}, "b": {"loss": [2, 1]}},
                              colors={"b": "black"})
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    assert mcolors.same_color(_line(ax, "a").get_color(), cycle[0])
    assert mcolors.same_color(_line(ax, "b").get_color(), "black")


@pytest.mark.parametrize("histories, error, match", [
    ({}, ValueError, "empty"),
    ({"GRU": {"accuracy": [1.0]}}, KeyError, "no 'loss'"),
    ({"GRU": [0.1, 0.2]}, TypeError, "expected a keras History"),
])
def test_learning_curves_reject_what_they_cannot_draw(histories, error, match):
    with pytest.raises(error, match=match):
        plot_learning_curves(histories)


def test_model_comparison_has_one_panel_per_quantity_and_labelled_bars(tmp_path):
    stats = {"GRU": {"parameters": 977, "seconds per epoch": 0.31, "final loss": 0.0004},
             "LSTM": {"parameters": 1233, "seconds per epoch": 0.28, "final loss": 0.0021}}
    fig = plot_model_comparison(stats, formats={"parameters": "d", "final loss": ".4f"},
                                title="GRU against LSTM")
    assert [ax.get_title() for ax in fig.axes] == ["parameters", "seconds per epoch",
                                                    "final loss"]
    for ax, quantity in zip(fig.axes, ["parameters", "seconds per epoch", "final loss"]):
        bars = ax.patches
        np.testing.assert_allclose([bar.get_height() for bar in bars],
                                   [stats["GRU"][quantity], stats["LSTM"][quantity]])
        assert [tick.get_text() for tick in ax.get_xticklabels()] == ["GRU", "LSTM"]
        assert mcolors.same_color(bars[0].get_facecolor(), CELL_COLORS["GRU"])
    labels = [text.get_text() for text in fig.axes[0].texts + fig.axes[2].texts]
    assert labels == ["977", "1233", "0.0004", "0.0021"]
    assert [t.get_text() for t in fig.axes[1].texts] == ["0.31", "0.28"]   # default ".3g"
    assert fig._suptitle.get_text() == "GRU against LSTM"
    fig.savefig(tmp_path / "comparison.png")
    assert (tmp_path / "comparison.png").stat().st_size > 10_000


def test_model_comparison_picks_and_orders_quantities():
    stats = {"a": {"x": 1, "y": 2}, "b": {"x": 3, "y": 4}}
    fig = plot_model_comparison(stats, quantities=["y"])
    assert [ax.get_title() for ax in fig.axes] == ["y"]
    with pytest.raises(ValueError, match="empty"):
        plot_model_comparison({})
