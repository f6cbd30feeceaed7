"""course_utils.plots.rnn_kinds: the four kinds of RNN, each with the inputs and outputs it has."""
import matplotlib

matplotlib.use("Agg")  # noqa: E402 - before pyplot

import matplotlib.pyplot as plt  # noqa: E402

from course_utils.plots.rnn_kinds import KINDS, draw_rnn_kinds  # noqa: E402


def test_each_panel_has_its_inputs_and_outputs():
    fig = draw_rnn_kinds()
    try:
        gids = {patch.get_gid() for ax in fig.axes for patch in ax.patches}
        assert {ax.get_gid() for ax in fig.axes} == set(KINDS)
        for kind, (_, _, inputs, outputs, steps) in KINDS.items():
            assert {g for g in gids if g and g.startswith(f"{kind}-cell-")} == \
                {f"{kind}-cell-{t}" for t in range(1, steps + 1)}
            assert {g for g in gids if g and g.startswith(f"{kind}-input-") and "arrow" not in g} == \
                {f"{kind}-input-{t}" for t in inputs}
            assert {g for g in gids if g and g.startswith(f"{kind}-output-") and "arrow" not in g} == \
                {f"{kind}-output-{t}" for t in outputs}
        titles = " ".join(ax.get_title() for ax in fig.axes)
        assert "many-to-one" in titles and "A before B" in titles and "tagger" in titles
    finally:
        plt.close(fig)
