"""course_utils.plots.rnn_diagram: one cell, drawn folded and unrolled, with the same weights at every step.

The checks read the drawn artists (by gid) and their positions on the canvas,
so they test the picture itself rather than the code that made it.
"""
import matplotlib

matplotlib.use("Agg")  # noqa: E402 - before pyplot

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from course_utils.plots.rnn_diagram import CELL_COLOR, DENSE_COLOR, WEIGHTS_LABEL, draw_rnn_diagram  # noqa: E402

PIXEL_TOLERANCE = 3.0


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _artists(fig):
    """{gid: artist} for every patch that has a gid, and every text of the figure."""
    patches, texts = {}, []
    for ax in fig.axes:
        patches.update({p.get_gid(): p for p in ax.patches if p.get_gid()})
        texts.extend(ax.texts)
    return patches, texts


def _extent(artist, fig):
    return artist.get_window_extent(fig.canvas.get_renderer())


def _label_inside(box):
    """The texts anchored at the centre of ``box``, in the box's own axes."""
    center = (box.get_x() + box.get_width() / 2, box.get_y() + box.get_height() / 2)
    return [t.get_text() for t in box.axes.texts if np.allclose(t.get_position(), center)]


@pytest.mark.parametrize("steps", [1, 3, 6])
def test_one_cell_drawn_identically_at_every_step(steps):
    fig = draw_rnn_diagram(steps)
    patches, _ = _artists(fig)
    cells = [patches[f"cell-{t}"] for t in range(1, steps + 1)]
    assert f"cell-{steps + 1}" not in patches
    folded = patches["folded-cell"]
    for cell in cells:
        assert cell.get_width() == folded.get_width() and cell.get_height() == folded.get_height()
        assert cell.get_facecolor() == to_rgba(CELL_COLOR) == folded.get_facecolor()
        assert _label_inside(cell) == [WEIGHTS_LABEL]  # the same weights W, U, b in every box
    assert _label_inside(folded) == [WEIGHTS_LABEL]
    lefts = [cell.get_x() for cell in cells]
    assert all(b > a for a, b in zip(lefts, lefts[1:]))    # time runs left to right


@pytest.mark.parametrize("steps", [2, 4])
def test_state_arrows_join_each_cell_to_the_next(steps):
    fig = draw_rnn_diagram(steps)
    fig.canvas.draw()
    patches, _ = _artists(fig)
    for t in range(2, steps + 1):
        arrow = _extent(patches[f"state-arrow-{t}"], fig)
        before, after = _extent(patches[f"cell-{t - 1}"], fig), _extent(patches[f"cell-{t}"], fig)
        assert abs(arrow.x0 - before.x1) < PIXEL_TOLERANCE
        assert abs(arrow.x1 - after.x0) < PIXEL_TOLERANCE
    first = _extent(patches["state-arrow-1"], fig)       # h_0 enters the first cell
    assert abs(first.x1 - _extent(patches["cell-1"], fig).x0) < PIXEL_TOLERANCE
    for t in range(1, steps + 1):                         # x_t enters from below
        arrow, cell = _extent(patches[f"input-arrow-{t}"], fig), _extent(patches[f"cell-{t}"], fig)
        assert abs(arrow.y1 - cell.y0) < PIXEL_TOLERANCE
        assert cell.x0 < (arrow.x0 + arrow.x1) / 2 < cell.x1


def test_labels_name_every_input_and_state():
    _, texts = _artists(draw_rnn_diagram(3))
    labels = {t.get_text() for t in texts}
    assert {"$x_{1}$", "$x_{2}$", "$x_{3}$", "$h_0$", "$h_{1}$", "$h_{2}$", "$h_{3}$"} <= labels
    assert {r"$x_t$", r"$h_t$"} <= labels
    assert any("same weights" in label for label in labels)


def test_self_loop_leaves_and_reenters_the_folded_cell_on_its_right():
    fig = draw_rnn_diagram(3)
    fig.canvas.draw()
    patches, _ = _artists(fig)
    loop, cell = _extent(patches["self-loop"], fig), _extent(patches["folded-cell"], fig)
    assert abs(loop.x0 - cell.x1) < PIXEL_TOLERANCE + 2  # the arrow head may reach a bit inside
    assert loop.x1 > cell.x1 + 10                       # a visible loop, not a dot
    assert cell.y0 < loop.y0 < loop.y1 < cell.y1         # it stays at the cell's height


def test_folded_and_unrolled_cells_have_the_same_size_on_screen():
    fig = draw_rnn_diagram(4)
    fig.canvas.draw()
    patches, _ = _artists(fig)
    folded, unrolled = _extent(patches["folded-cell"], fig), _extent(patches["cell-1"], fig)
    assert abs(folded.width - unrolled.width) < 1.0
    assert abs(folded.height - unrolled.height) < 1.0


def test_many_to_one_reads_only_the_last_state():
    steps = 4
    fig = draw_rnn_diagram(steps, many_to_one=True)
    fig.canvas.draw()
    patches, texts = _artists(fig)
    dense = patches["dense"]
    assert dense.get_facecolor() == to_rgba(DENSE_COLOR)
    dense_box, last = _extent(dense, fig), _extent(patches[f"cell-{steps}"], fig)
    assert dense_box.y0 > last.y1
    assert abs((dense_box.x0 + dense_box.x1) / 2 - (last.x0 + last.x1) / 2) < PIXEL_TOLERANCE
    prediction = _extent(patches["prediction-arrow"], fig)
    assert abs(prediction.y1 - dense_box.y0) < PIXEL_TOLERANCE
    read = to_rgba("black")
    assert patches[f"output-arrow-{steps}"].get_edgecolor() == read
    for t in range(1, steps):
        assert patches[f"output-arrow-{t}"].get_edgecolor() != read   # greyed out
    assert any(r"\hat{y}" in t.get_text() for t in texts)


def test_plain_diagram_has_no_read_out():
    patches, texts = _artists(draw_rnn_diagram(3))
    assert "dense" not in patches and "prediction-arrow" not in patches
    assert not any(r"\hat{y}" in t.get_text() for t in texts)


@pytest.mark.parametrize("steps", [0, -2, 2.5, "3"])
def test_bad_steps_raise(steps):
    with pytest.raises((ValueError, TypeError)):
        draw_rnn_diagram(steps)


def test_saves_as_png(tmp_path):
    path = tmp_path / "diagram.png"
    draw_rnn_diagram(5, many_to_one=True).savefig(path, dpi=60)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
