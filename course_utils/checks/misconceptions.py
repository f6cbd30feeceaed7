"""The known mistakes that checkers recognise, by stable id (COURSE.md section 4).

Every mistake any checker names has an id here, with one general sentence and
the section to reread; a checker may replace both with words for its own
exercise (``_core.Mistake``). A failure message carries ``[ID]`` tokens
(``ID_PATTERN``), which the grader reads and the class report counts, so never
rename an id; add new ones instead.
"""
import re
from dataclasses import dataclass

# An id: upper-case words (letters, digits) joined by '-', at least two words,
# written in brackets in a message: [STATE-NOT-CARRIED].
ID_PATTERN = re.compile(r"\[([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\]")


def reread_text(section: str) -> str:
    """The "(Reread: ...)" sentence that ends a mistake's line."""
    return f"(Reread: {section}.)"


@dataclass(frozen=True)
class Misconception:
    id: str
    explanation: str   # one sentence: what went wrong and how to fix it
    reread: str        # the lesson section to reread

    def describe(self) -> str:
        return f"[{self.id}] {self.explanation} {reread_text(self.reread)}"


MISCONCEPTIONS = {m.id: m for m in [
    # ----------------------------------------------------------------- any exercise
    Misconception(
        "MODIFIES-INPUTS",
        "The function writes into one of its arguments (e.g. h_prev[...] = ... or +=); the "
        "caller still needs that array, so compute new arrays instead of changing the inputs.",
        "01_simple_rnn, 'Exercise 1: one step of the cell'"),
    # ----------------------------------------------------------------- cells: 01, 03, 04
    Misconception(
        "STATE-NOT-CARRIED",
        "Every step was fed the initial state h0 instead of the previous step's state; "
        "inside the loop, pass the state you just computed to the next step.",
        "01_simple_rnn, 'Unrolling the loop'"),
    Misconception(
        "RETURNS-LAST-ONLY",
        "Only the final state came back; a sequence function must return the state of every "
        "step, stacked along axis 1 into shape (batch, T, units).",
        "01_simple_rnn, 'Unrolling the loop'"),
    Misconception(
        "MISSING-BIAS",
        "The bias was left out (for a GRU with reset_after=True, maybe one of its two bias rows); "
        "add the bias to every pre-activation.",
        "the cell's equations in the lesson of this exercise"),
    Misconception(
        "TRANSPOSED-WEIGHTS",
        "A weight matrix was used transposed; with Keras's layout a step computes x_t @ kernel "
        "and h_prev @ recurrent_kernel, rows = inputs, columns = units.",
        "01_simple_rnn, 'Shapes and the Keras weight layout'"),
    Misconception(
        "WRONG-ACTIVATION",
        "An activation is swapped: gates use the sigmoid (values in 0..1), the candidate and the "
        "state use tanh (values in -1..1).",
        "the cell's equations in the lesson of this exercise"),
    Misconception(
        "GRU-UPDATE-INVERTED",
        "The update gate is used the other way round; Keras computes h = z * h_prev + (1 - z) * h~.",
        "03_gru, 'Two conventions for the update'"),
    Misconception(
        "GRU-RESET-PLACEMENT",
        "The reset gate is applied at the wrong place: with reset_after=True it multiplies "
        "(h_prev @ U_h + b_rec_h), with reset_after=False it multiplies h_prev before the product.",
        "03_gru, 'reset_after: where the reset gate acts'"),
    Misconception(
        "LSTM-GATE-ORDER",
        "The gates are sliced in the wrong order; Keras stores them as i, f, c~, o "
        "(input, forget, candidate, output) along the last axis.",
        "04_lstm, 'Keras's weight layout'"),
    Misconception(
        "LSTM-OUTPUT-NO-TANH",
        "The output was computed as h = o * c; it must be h = o * tanh(c).",
        "04_lstm, 'The output gate'"),
    Misconception(
        "LSTM-CELL-NOT-CARRIED",
        "The cell state was not carried from step to step; pass each step's c to the next step "
        "just as you pass h.",
        "04_lstm, 'The cell state as a conveyor belt'"),
    # ----------------------------------------------------------------- 01 many-to-one, 03 conventions, 06 parameter counts
    # ----------------------------------------------------------------- 02_vanishing_gradients
    # ----------------------------------------------------------------- 05_gradient_flow
    # ----------------------------------------------------------------- 06_keras_rnns
    # ----------------------------------------------------------------- 07_practice
    # ----------------------------------------------------------------- 08_text_classification
    Misconception(
        "PADDING-WRONG-SIDE",
        "The padding is on the wrong side: padding=\"post\" puts the PAD ids after the real ones, "
        "padding=\"pre\" before them.",
        "08_text_classification, 'Padding a batch'"),
    Misconception(
        "MASK-INVERTED",
        "The mask is the wrong way round: it is True where a real id (a real step) is and False "
        "at the padding.",
        "08_text_classification, 'Padding a batch'"),
    Misconception(
        "TRUNCATED-WRONG-END",
        "A sequence longer than maxlen was cut at the wrong end; keep its first maxlen ids, "
        "sequence[:maxlen].",
        "08_text_classification, 'Padding a batch'"),
    Misconception(
        "MASK-IGNORED",
        "The mask has no effect: padded steps are computed like real ones; at a masked step "
        "keep the previous state, e.g. h = np.where(mask[:, t, None], h_new, h).",
        "08_text_classification, 'Masking: skipping the padding'"),
    Misconception(
        "MASK-STATE-RESET",
        "At a masked step the state is reset (to zeros or h0) instead of carried unchanged, so "
        "the padding wipes out what was read; keep h_t = h_{t-1} there.",
        "08_text_classification, 'Masking: skipping the padding'"),
    Misconception(
        "EMBEDDING-NO-MASK",
        "The Embedding layer has no mask_zero=True, so the recurrent layer reads the padding "
        "as if it were words.",
        "08_text_classification, 'The classifier: embedding, GRU, dropout'"),
    Misconception(
        "DROPOUT-NOT-RECURRENT",
        "The dropout is not the recurrent layer's own: pass dropout= and recurrent_dropout= to "
        "the GRU itself instead of adding Dropout layers.",
        "08_text_classification, 'The classifier: embedding, GRU, dropout'"),
]}
