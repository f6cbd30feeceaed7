"""The figures of 02_vanishing_gradients draw what they claim: log axes, one line per curve with
the right data, clipped arrows inside the circle and along the original direction."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils.plots.gradients import (  # noqa: E402
    plot_clipping_by_lag,
    plot_clipping_directions,
    plot_gradient_norms_by_lag,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _by_gid(ax, prefix):
    return {line.get_gid(): line for line in ax.get_lines() if (line.get_gid() or "").startswith(prefix)}


def test_norms_by_lag_on_a_log_axis_with_the_predicted_rates(tmp_path):
    lags = np.arange(21)
    curves = {"radius 0.5": 0.5**lags * 0.9, "radius 1.5": 1.1**lags}
    ax = plot_gradient_norms_by_lag(curves, predicted_rates={"radius 1.5": 1.5},
                                    colors={"radius 0.5": "C3"})
    assert ax.get_yscale() == "log"
    measured = _by_gid(ax, "measured:")
    assert set(measured) == {"measured:radius 0.5", "measured:radius 1.5"}
    np.testing.assert_allclose(measured["measured:radius 0.5"].get_ydata(), curves["radius 0.5"])
    assert matplotlib.colors.same_color(measured["measured:radius 0.5"].get_color(), "C3")
    predicted = _by_gid(ax, "predicted:")
    assert set(predicted) == {"predicted:radius 1.5"}  # none asked for radius 0.5
    np.testing.assert_allclose(predicted["predicted:radius 1.5"].get_ydata(), 1.5**lags)
    assert predicted["predicted:radius 1.5"].get_linestyle() == "--"
    assert "lag" in ax.get_xlabel()
    path = tmp_path / "norms.png"
    ax.figure.savefig(path)
    assert path.stat().st_size > 10_000


def test_clipping_directions_keeps_direction_and_stays_in_the_circle(tmp_path):
    gradients = np.array([[3.0, 0.5], [1.0, 2.5], [-0.4, 0.3]])
    ax = plot_clipping_directions(gradients, 1.0)
    patches = {p.get_gid(): p for p in ax.patches}
    assert patches["clip-circle"].get_radius() == 1.0
    for i, g in enumerate(gradients):
        # FancyArrow vertices: the tip is the point farthest from the origin
        tip = max(patches[f"global-{i}"].get_xy(), key=lambda p: np.hypot(*p))
        assert np.hypot(*tip) <= 1.0 + 1e-9
        assert tip[0] * g[1] - tip[1] * g[0] == pytest.approx(0.0, abs=1e-9)  # parallel to g
        assert tip @ g > 0                                                    # same way
        each = _by_gid(ax, f"each-{i}")[f"each-{i}"]
        end = np.array([each.get_xdata()[1], each.get_ydata()[1]])
        assert np.abs(end).max() <= 1.0 + 1e-12          # each coordinate clipped on its own
    # the gradient inside the circle is unchanged by global clipping
    inside_tip = max(patches["global-2"].get_xy(), key=lambda p: np.hypot(*p))
    np.testing.assert_allclose(inside_tip, gradients[2], atol=1e-9)
    assert ax.get_aspect() == 1.0
    ax.figure.savefig(tmp_path / "directions.png")


def test_clipping_by_lag_moves_each_curve_down_by_one_factor(tmp_path):
    before = {"radius 0.5": 0.5 ** np.arange(10), "radius 1.5": 1.2 ** np.arange(10)}
    after = {"radius 0.5": 0.2 * before["radius 0.5"], "radius 1.5": 0.01 * before["radius 1.5"]}
    ax = plot_clipping_by_lag(before, after)
    assert ax.get_yscale() == "log"
    for label in before:
        b = _by_gid(ax, f"before:{label}")[f"before:{label}"]
        a = _by_gid(ax, f"after:{label}")[f"after:{label}"]
        assert b.get_color() == a.get_color() and a.get_linestyle() == "--"
        ratio = a.get_ydata() / b.get_ydata()
        np.testing.assert_allclose(ratio, ratio[0])
    ax.figure.savefig(tmp_path / "by_lag.png")


def test_plots_draw_into_a_given_axes():
    fig, axes = plt.subplots(1, 2)
    assert plot_gradient_norms_by_lag({"a": np.ones(3)}, ax=axes[0]) is axes[0]
    assert plot_clipping_by_lag({"a": np.ones(3)}, {"a": np.ones(3)}, ax=axes[1]) is axes[1]
    assert len(fig.axes) == 2
