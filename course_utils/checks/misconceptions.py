"""The known mistakes that checkers recognise, by stable id (CONTRIBUTING.md, "Misconception ids").

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


# The section of each exercise, for mistakes that any exercise can make (MODIFIES-INPUTS):
# the message then sends the student back to the exercise at hand.
EXERCISE_SECTIONS = {
    "rnn_cell_forward": "01_simple_rnn, 'Exercise 1: one step of the cell'",
    "rnn_forward": "01_simple_rnn, 'Exercise 2: the whole sequence'",
    "predict_last_step": "01_simple_rnn, 'Exercise 3: predict from the last step'",
    "rnn_step_jacobian": "02_vanishing_gradients, 'Exercise 1: the step Jacobian'",
    "gradient_norms_by_lag": "02_vanishing_gradients, 'Exercise 2: gradient norm against time lag'",
    "rnn_backward": "02_vanishing_gradients, 'Exercise 3: BPTT for the SimpleRNN'",
    "clip_by_global_norm": "02_vanishing_gradients, 'Exercise 4: clip by global norm'",
    "gru_cell_forward": "03_gru, 'Exercise 1: one GRU step'",
    "gru_forward": "03_gru, 'Exercise 2: the whole sequence'",
    "flip_update_convention": "03_gru, 'Exercise 3: converting between the two conventions'",
    "lstm_cell_forward": "04_lstm, 'Exercise 1: one LSTM step'",
    "lstm_forward": "04_lstm, 'Exercise 2: the whole sequence'",
    "lstm_cell_backward": "05_gradient_flow, 'Exercise: `lstm_cell_backward`'",
    "build_stacked_model": "06_keras_rnns, 'Exercise 1: a stacked model'",
    "build_bidirectional_tagger": "06_keras_rnns, 'Exercise 2: a bidirectional tagger'",
    "rnn_param_count": "06_keras_rnns, 'Exercise 3: counting parameters'",
    "make_windows": "07_practice, 'Exercise 1: make_windows'",
    "perplexity": "07_practice, 'Exercise 2: perplexity'",
    "build_char_model": "07_practice, 'Exercise 3: build_char_model'",
    "sample_with_temperature": "07_practice, 'Exercise 4: sample_with_temperature'",
    "pad_batch": "08_text_classification, 'Exercise 1: pad_batch'",
    "masked_rnn_forward": "08_text_classification, 'Exercise 2: masked_rnn_forward'",
    "build_text_classifier": "08_text_classification, 'Exercise 3: build_text_classifier'",
}


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
        "01_simple_rnn, 'The state update'"),
    Misconception(
        "TRANSPOSED-WEIGHTS",
        "A weight matrix was used transposed; with Keras's layout a step computes x_t @ kernel "
        "and h_prev @ recurrent_kernel, rows = inputs, columns = units.",
        "01_simple_rnn, 'Shapes and the Keras weight layout'"),
    Misconception(
        "WRONG-ACTIVATION",
        "An activation is swapped: gates use the sigmoid (values in 0..1), the candidate and the "
        "state use tanh (values in -1..1).",
        "01_simple_rnn, 'The state update'"),
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
    Misconception(
        "LSTM-FORGET-IGNORED",
        "The forget gate was left out (c = c_prev + i * c~); the old cell state is multiplied "
        "by f first: c = f * c_prev + i * c~.",
        "04_lstm, 'The forget gate'"),
    Misconception(
        "LSTM-OUTPUTS-SWAPPED",
        "The two outputs came back swapped; return them in the order (h, c): the state h "
        "first, the cell state c second.",
        "04_lstm, 'Two outputs per step'"),
    Misconception(
        "GRU-GATE-ORDER",
        "The z and r blocks were read in the wrong order; Keras stores the GRU's blocks as z, r, "
        "h~ along the last axis, so z is columns [:, :units] and r columns [:, units:2*units].",
        "03_gru, 'Exercise 1: one GRU step'"),
    Misconception(
        "SEQUENCE-IGNORES-H0",
        "The first step started from zeros instead of the initial state h0 it was given; start "
        "the loop from h = h0.",
        "01_simple_rnn, 'Unrolling the loop'"),
    Misconception(
        "SEQUENCE-STATE-BEFORE-STEP",
        "Each step stored the state it started from (h0 first) instead of the state it "
        "computed; append the new state after the step: h = cell(...); states.append(h).",
        "01_simple_rnn, 'Unrolling the loop'"),
    Misconception(
        "STATES-TIME-FIRST",
        "The states were stacked with time first, shape (T, batch, units); stack them along "
        "axis 1, e.g. np.stack(states, axis=1), to get (batch, T, units).",
        "01_simple_rnn, 'Shapes and the Keras weight layout'"),
    Misconception(
        "STATES-INCLUDE-H0",
        "One step too many came back: h0 does not belong in the output; h_seq[:, t] is the "
        "state after reading x[:, t], for t = 0 .. T-1.",
        "01_simple_rnn, 'Unrolling the loop'"),
    Misconception(
        "OUTPUT-TRANSPOSED",
        "The output is transposed; rows are the examples of the batch and columns the units: "
        "shape (batch, units).",
        "01_simple_rnn, 'Shapes and the Keras weight layout'"),
    # ----------------------------------------------------------------- 01 many-to-one, 03 conventions, 06 parameter counts
    Misconception(
        "MANY-TO-ONE-MEAN-STATE",
        "The states of all steps were averaged (h_seq.mean(axis=1)); a many-to-one model reads "
        "only the final state h_seq[:, -1], the one that has read the whole sequence.",
        "01_simple_rnn, 'Many-to-one: read the last step'"),
    Misconception(
        "MANY-TO-ONE-FIRST-STATE",
        "The state after the first step (h_seq[:, 0]) was read; index -1 gives the state after "
        "the last step, h_seq[:, -1].",
        "01_simple_rnn, 'Many-to-one: read the last step'"),
    Misconception(
        "MANY-TO-ONE-READS-H0",
        "The initial state h0 went to the output layer; run the RNN over the sequence first and "
        "read the state after the last step, h_seq[:, -1].",
        "01_simple_rnn, 'Many-to-one: read the last step'"),
    Misconception(
        "MANY-TO-ONE-EVERY-STEP",
        "A prediction was made at every step (shape (batch, T, 1)); many-to-one returns one "
        "prediction per sequence, read from the last step only: shape (batch, 1).",
        "01_simple_rnn, 'Many-to-one: read the last step'"),
    Misconception(
        "PROBABILITY-NO-SIGMOID",
        "These are logits, not probabilities: apply the sigmoid to h_T @ dense_kernel + "
        "dense_bias so that every value lies between 0 and 1.",
        "01_simple_rnn, 'Many-to-one: read the last step'"),
    Misconception(
        "PROBABILITY-TANH",
        "The output was squashed with tanh (values in -1..1); a probability needs the sigmoid "
        "(values in 0..1).",
        "01_simple_rnn, 'Many-to-one: read the last step'"),
    Misconception(
        "PROBABILITY-SOFTMAX-ONE-UNIT",
        "Every probability is 1.0, which is what a softmax over a single output gives; for one "
        "yes/no output use the sigmoid.",
        "01_simple_rnn, 'Many-to-one: read the last step'"),
    Misconception(
        "OUTPUT-SQUEEZED",
        "The values are right but the last axis was dropped (shape (batch,)); keep it and return "
        "shape (batch, 1), as keras.layers.Dense(1) does (do not squeeze or flatten).",
        "01_simple_rnn, 'Exercise 3: predict from the last step'"),
    Misconception(
        "GRU-FLIP-UNCHANGED",
        "A weight came back unchanged; z's pre-activation adds x_t @ W_z, h_prev @ U_z and the z "
        "bias, so the update-gate columns of kernel, recurrent_kernel and bias all change sign.",
        "03_gru, 'Two conventions for the update'"),
    Misconception(
        "GRU-FLIP-ALL-BLOCKS",
        "Every column was negated; only the update gate's columns [:, :units] (the first of the "
        "three blocks z, r, h~) change sign, negating r and h~ changes the other gates.",
        "03_gru, 'Two conventions for the update'"),
    Misconception(
        "GRU-FLIP-WRONG-BLOCK",
        "The reset gate's or the candidate's block was negated instead of the update gate's; "
        "Keras's block order is z, r, h~, so z is columns [:, :units].",
        "03_gru, 'Two conventions for the update'"),
    Misconception(
        "GRU-FLIP-ONE-MINUS",
        "The z block holds 1 - w instead of -w; 1 - sigmoid(a) = sigmoid(-a) changes the sign of "
        "the pre-activation a, so each z weight changes sign and nothing is subtracted from 1.",
        "03_gru, 'Two conventions for the update'"),
    Misconception(
        "GRU-FLIP-ONE-BIAS-ROW",
        "Only one row of the two-row bias (reset_after=True) was changed; the input bias and the "
        "recurrent bias both add to z's pre-activation, so negate bias[:, :units].",
        "03_gru, 'reset_after: where the reset gate acts'"),
    Misconception(
        "PARAM-COUNT-EXTRA-BIAS-ROW",
        "A second bias row was counted where there is none; only a GRU with reset_after=True has "
        "two bias rows (input and recurrent), every other layer has one.",
        "06_keras_rnns, 'Counting parameters by hand'"),
    Misconception(
        "PARAM-COUNT-ONE-BLOCK",
        "Only one block was counted; the kernel, recurrent kernel and bias hold one block per "
        "gate: SimpleRNN 1, GRU 3, LSTM 4.",
        "06_keras_rnns, 'Counting parameters by hand'"),
    Misconception(
        "PARAM-COUNT-NO-RECURRENT",
        "The recurrent kernel (units x units per block) was left out of the count.",
        "06_keras_rnns, 'Counting parameters by hand'"),
    Misconception(
        "PARAM-COUNT-KERNEL-SIZE",
        "The kernel was counted as units x units; it maps the inputs to the units, so it holds "
        "input_dim x units per block.",
        "06_keras_rnns, 'Counting parameters by hand'"),
    # ----------------------------------------------------------------- 02_vanishing_gradients
    Misconception(
        "TANH-SLOPE-MISSING",
        "The tanh derivative is missing: going back through h = tanh(a) multiplies the gradient "
        "by the slope 1 - h**2 first.",
        "02_vanishing_gradients, 'The step Jacobian'"),
    Misconception(
        "TANH-SLOPE-WRONG-STATE",
        "The tanh slope was taken at the state the step received (h_prev) instead of the state "
        "it produced: the derivative of h_t = tanh(a_t) is 1 - h_t**2.",
        "02_vanishing_gradients, 'The step Jacobian'"),
    Misconception(
        "TANH-SLOPE-OF-PREACTIVATION",
        "The slope was computed from the pre-activation a instead of from h = tanh(a): "
        "tanh'(a) = 1 - tanh(a)**2 = 1 - h**2, not 1 - a**2.",
        "02_vanishing_gradients, 'The step Jacobian'"),
    Misconception(
        "JACOBIAN-TRANSPOSED",
        "The matrix is the transpose of the Jacobian: rows follow h_next, J[b, i, j] = "
        "d h_next[b, i] / d h_prev[b, j] = (1 - h_next[b, i]**2) * recurrent_kernel[j, i].",
        "02_vanishing_gradients, 'The step Jacobian'"),
    Misconception(
        "JACOBIAN-SLOPE-ON-COLUMNS",
        "The slope scales the columns instead of the rows: row i of J belongs to h_next[i], so "
        "J = diag(1 - h_next**2) @ recurrent_kernel.T, not recurrent_kernel.T @ diag(...).",
        "02_vanishing_gradients, 'The step Jacobian'"),
    Misconception(
        "RECURRENT-KERNEL-NOT-TRANSPOSED",
        "The gradient went back through recurrent_kernel instead of its transpose: a step "
        "computes h_prev @ recurrent_kernel, so going back multiplies by recurrent_kernel.T.",
        "02_vanishing_gradients, 'The step Jacobian'"),
    Misconception(
        "NORMS-SLOPE-AFTER-PRODUCT",
        "The tanh slope was applied after the product with recurrent_kernel.T instead of before "
        "it: dL/dh_(t-1) = (dL/dh_t * (1 - h_t**2)) @ recurrent_kernel.T.",
        "02_vanishing_gradients, 'Products of Jacobians'"),
    Misconception(
        "NORMS-TIME-ORDER",
        "The norms are in time order instead of lag order: column k is the norm of dL/dh_(T-k), "
        "so column 0 is |dh_last| and column T belongs to h0.",
        "02_vanishing_gradients, 'Products of Jacobians'"),
    Misconception(
        "NORMS-SQUARED",
        "These are squared norms: take the square root of the sum of squares over the units, "
        "np.linalg.norm(g, axis=-1).",
        "02_vanishing_gradients, 'Products of Jacobians'"),
    Misconception(
        "BPTT-NO-CARRY",
        "The gradient coming back from the next step is missing: h_t feeds both the output at "
        "step t and step t+1, so the gradient at h_t is dh_seq[:, t] plus what step t+1 sends back.",
        "02_vanishing_gradients, 'Backpropagation through time by hand'"),
    Misconception(
        "BPTT-GRADS-OVERWRITTEN",
        "The weight gradients hold only one step's term: the same weights serve every step, so "
        "add each step's contribution (+=) instead of overwriting it (=).",
        "02_vanishing_gradients, 'One weight set, one term per step'"),
    Misconception(
        "BPTT-LAST-OUTPUT-ONLY",
        "Only dh_seq[:, -1] was used: the loss reads every step's output, so add dh_seq[:, t] at "
        "each step on the way back.",
        "02_vanishing_gradients, 'Backpropagation through time by hand'"),
    Misconception(
        "BPTT-DH0-ONE-STEP-SHORT",
        "The returned dh0 is the gradient at h_1, not at h0: take it one more step back through "
        "the first step, (dh * (1 - h_1**2)) @ recurrent_kernel.T.",
        "02_vanishing_gradients, 'Backpropagation through time by hand'"),
    Misconception(
        "GRADIENTS-BATCH-MEAN",
        "The weight gradients were averaged over the batch; the loss is a sum over the examples, "
        "so sum their contributions (x_t.T @ da already sums over the batch).",
        "02_vanishing_gradients, 'One weight set, one term per step'"),
    Misconception(
        "CLIP-EACH-SEPARATELY",
        "Each array was clipped on its own; clipping by global norm scales ALL arrays by one "
        "factor, clip_norm / max(global_norm, clip_norm), which keeps the gradient's direction.",
        "02_vanishing_gradients, 'Gradient clipping by global norm'"),
    Misconception(
        "CLIP-ALWAYS-RESCALES",
        "The gradient was rescaled although it was already shorter than clip_norm; clipping only "
        "ever shrinks: the factor is min(1, clip_norm / global_norm).",
        "02_vanishing_gradients, 'Gradient clipping by global norm'"),
    Misconception(
        "CLIP-SUM-OF-NORMS",
        "The global norm was computed as the sum of the arrays' norms; it is the norm of all "
        "entries together: sqrt(sum of every squared entry).",
        "02_vanishing_gradients, 'Gradient clipping by global norm'"),
    Misconception(
        "CLIP-NORM-NO-SQRT",
        "The global norm is missing its square root: sqrt(sum of every squared entry).",
        "02_vanishing_gradients, 'Gradient clipping by global norm'"),
    Misconception(
        "CLIP-TO-UNIT-LENGTH",
        "The gradient was divided by its norm but not multiplied by clip_norm: the clipped "
        "gradient's length must be clip_norm.",
        "02_vanishing_gradients, 'Gradient clipping by global norm'"),
    Misconception(
        "CLIP-NOTHING-CLIPPED",
        "The arrays came back unchanged although their global norm exceeds clip_norm; multiply "
        "every array by clip_norm / global_norm.",
        "02_vanishing_gradients, 'Gradient clipping by global norm'"),
    Misconception(
        "CLIP-NORM-AFTER-CLIPPING",
        "The returned norm is the norm after clipping; return the global norm of the gradient "
        "you were given (before clipping), as tf.clip_by_global_norm does.",
        "02_vanishing_gradients, 'Gradient clipping by global norm'"),
    # ----------------------------------------------------------------- 05_gradient_flow
    Misconception(
        "LSTM-BACKWARD-NO-DC-NEXT",
        "dc_next was left out: c_next reaches the loss directly (dc_next, sent back by the next "
        "step) and through h_next = o * tanh(c_next); add both: "
        "dc = dc_next + dh_next * o * (1 - tanh(c_next)**2).",
        "05_gradient_flow, 'Backward through one LSTM step'"),
    Misconception(
        "LSTM-BACKWARD-NO-ROUTE-THROUGH-H",
        "The gradient through tanh(c_next) is missing: h_next = o * tanh(c_next) depends on "
        "c_next, so dc = dc_next + dh_next * o * (1 - tanh(c_next)**2), not dc_next alone.",
        "05_gradient_flow, 'Backward through one LSTM step'"),
    Misconception(
        "GATE-VALUE-AS-DERIVATIVE",
        "A gate's value was used where its derivative belongs: for a gate g = sigmoid(a), "
        "dg/da = g * (1 - g), not g.",
        "05_gradient_flow, 'Backward through one LSTM step'"),
    Misconception(
        "ACTIVATION-SLOPE-SWAPPED",
        "The derivative of the other activation was used: a sigmoid gate g has slope g * (1 - g), "
        "the tanh candidate c~ has slope 1 - c~**2.",
        "05_gradient_flow, 'Backward through one LSTM step'"),
    Misconception(
        "LSTM-FORGET-GRAD-READS-C-NEXT",
        "The forget gate's gradient used c_next; in c_next = f * c_prev + i * c~ the forget gate "
        "multiplies c_prev, so df = dc * c_prev.",
        "05_gradient_flow, 'Backward through one LSTM step'"),
    Misconception(
        "LSTM-DC-PREV-MISSES-H-ROUTE",
        "dc_prev carries only dc_next * f: the gradient that reaches c_next through h_next belongs "
        "in it too, dc_prev = dc * f with dc = dc_next + dh_next * o * (1 - tanh(c_next)**2).",
        "05_gradient_flow, 'Backward through one LSTM step'"),
    Misconception(
        "LSTM-DC-PREV-NO-F",
        "dc_prev is missing the factor f: c_prev enters c_next as f * c_prev, so dc_prev = dc * f.",
        "05_gradient_flow, 'Backward through one LSTM step'"),
    Misconception(
        "BACKWARD-KERNELS-SWAPPED",
        "kernel and recurrent_kernel are swapped on the way back: x_t met kernel in the forward "
        "pass, so dx_t = da @ kernel.T, and dh_prev = da @ recurrent_kernel.T.",
        "05_gradient_flow, 'Backward through one LSTM step'"),
    Misconception(
        "WEIGHT-GRADS-SWAPPED",
        "dkernel and drecurrent_kernel are swapped: dkernel = x_t.T @ da (x_t multiplies kernel) "
        "and drecurrent_kernel = h_prev.T @ da.",
        "05_gradient_flow, 'Backward through one LSTM step'"),
    # ----------------------------------------------------------------- 06_keras_rnns
    Misconception(
        "STACK-NO-RETURN-SEQUENCES",
        "A recurrent layer that feeds another one returns only its last state (batch, units); "
        "give it return_sequences=True so the next layer gets a sequence (batch, T, units).",
        "06_keras_rnns, 'Stacking recurrent layers'"),
    Misconception(
        "STACK-LAST-RETURNS-SEQUENCES",
        "The last recurrent layer returns its whole sequence, so the Dense layer predicts at "
        "every step; a model with one prediction per sequence reads only the last state: leave "
        "return_sequences=False (the default) on the last recurrent layer.",
        "06_keras_rnns, 'Stacking recurrent layers'"),
    Misconception(
        "PER-STEP-NO-RETURN-SEQUENCES",
        "The model predicts once per sequence, but it must predict at every step: give its "
        "recurrent layer return_sequences=True so the Dense layer acts on every step.",
        "06_keras_rnns, 'return_sequences: a state for every step'"),
    Misconception(
        "INPUT-NO-TIME-AXIS",
        "The Input has no time axis, so the recurrent layer gets (batch, features); a sequence "
        "input is keras.Input(shape=(None, input_dim)), where None lets T be any length.",
        "06_keras_rnns, 'Units and shapes'"),
    Misconception(
        "INPUT-FIXED-LENGTH",
        "The Input fixes the sequence length T; write keras.Input(shape=(None, input_dim)) so "
        "the model reads sequences of any length.",
        "06_keras_rnns, 'Units and shapes'"),
    Misconception(
        "MODEL-NO-INPUT",
        "The model has no Input, so Keras has not built it (no weights yet); start it with "
        "keras.Input(shape=(None, input_dim)).",
        "06_keras_rnns, 'Units and shapes'"),
    Misconception(
        "STACK-LAYER-ORDER",
        "The recurrent layers are in the wrong order; build them in the order asked for: "
        "the LSTM first (returning sequences), then the GRU.",
        "06_keras_rnns, 'Exercise 1: a stacked model'"),
    Misconception(
        "WRONG-RECURRENT-LAYER",
        "A different recurrent layer was used than the one asked for (SimpleRNN, GRU and LSTM "
        "are not interchangeable: their weights and counts differ); use the layer named.",
        "06_keras_rnns, 'Units and shapes'"),
    Misconception(
        "TAGGER-NOT-BIDIRECTIONAL",
        "The GRU is not wrapped in Bidirectional; keras.layers.Bidirectional(keras.layers.GRU"
        "(...)) runs a second GRU backwards over the sequence and puts both outputs side by side.",
        "06_keras_rnns, 'Bidirectional layers'"),
    Misconception(
        "BIDIRECTIONAL-MERGE-MODE",
        "Bidirectional's merge_mode was changed; the default merge_mode=\"concat\" puts the "
        "forward and backward outputs side by side (2 * units features per step).",
        "06_keras_rnns, 'Bidirectional layers'"),
    Misconception(
        "TIME-DISTRIBUTED-DENSE",
        "The Dense layer is wrapped in TimeDistributed; in Keras 3 a Dense layer already acts on "
        "every step of a (batch, T, features) input, so use Dense directly.",
        "06_keras_rnns, 'Bidirectional layers'"),
    Misconception(
        "MODEL-EXTRA-LAYERS",
        "The model has layers that were not asked for (Dropout, Activation, Flatten, another "
        "recurrent layer...); build exactly the layers asked for, and put an activation into "
        "the Dense layer's `activation` argument.",
        "06_keras_rnns, 'Stacking recurrent layers'"),
    Misconception(
        "KERAS-UNITS-ARGUMENT",
        "A recurrent layer does not have the number of units it was given; pass the function's "
        "`units` argument to it (no fixed number).",
        "06_keras_rnns, 'Units and shapes'"),
    Misconception(
        "OUTPUT-UNITS-WRONG",
        "The output Dense layer has the wrong number of units; it needs one unit per number "
        "predicted (one per class for a classifier).",
        "06_keras_rnns, 'Exercise 2: a bidirectional tagger'"),
    Misconception(
        "REGRESSION-OUTPUT-ACTIVATION",
        "The output layer of a model that predicts a real number has an activation; leave "
        "Dense's activation at its default, None (linear).",
        "06_keras_rnns, 'Exercise 1: a stacked model'"),
    Misconception(
        "OUTPUT-NO-SOFTMAX",
        "The outputs are not probabilities (each row should be >= 0 and sum to 1); give the "
        "last Dense layer activation=\"softmax\".",
        "06_keras_rnns, 'Exercise 2: a bidirectional tagger'"),
    Misconception(
        "GRU-RESET-AFTER-CHANGED",
        "The GRU's reset_after was changed; keep Keras's default reset_after=True.",
        "06_keras_rnns, 'Counting parameters by hand'"),
    Misconception(
        "RETURN-STATE-SET",
        "A layer has return_state=True, so it returns a list [output, states...]; this model "
        "only needs the outputs: leave return_state=False.",
        "06_keras_rnns, 'return_state: the final states as extra outputs'"),
    # ----------------------------------------------------------------- 07_practice
    Misconception(
        "WINDOW-TARGET-OFF-BY-ONE",
        "The targets are the windows themselves, ids[s : s + window]; shift them by one "
        "character, y[i] = ids[s + 1 : s + window + 1], so that y[i, t] is the character AFTER "
        "x[i, t].",
        "07_practice, 'Windows: from text to training examples'"),
    Misconception(
        "WINDOW-TARGET-NEXT-ONLY",
        "Each target is only the character after the window, ids[s + window]; here every "
        "position is a target: y[i] = ids[s + 1 : s + window + 1], shaped like x.",
        "07_practice, 'Windows: from text to training examples'"),
    Misconception(
        "WINDOW-TOO-WIDE",
        "Each window holds window + 1 characters; x[i] is ids[s : s + window] (the slice end is "
        "excluded).",
        "07_practice, 'Windows: from text to training examples'"),
    Misconception(
        "WINDOW-STRIDE-IGNORED",
        "The stride was ignored (a window at every position); windows start at 0, stride, "
        "2 * stride, ...: range(0, len(ids) - window, stride).",
        "07_practice, 'Exercise 1: make_windows'"),
    Misconception(
        "WINDOW-LAST-MISSING",
        "The last window is missing; the last start s is the largest one with s + window < "
        "len(ids), and range(0, len(ids) - window, stride) includes it.",
        "07_practice, 'Exercise 1: make_windows'"),
    Misconception(
        "WINDOW-ONE-TOO-MANY",
        "There is one window too many; the last window must still have its target inside ids: "
        "starts s with s + window < len(ids).",
        "07_practice, 'Exercise 1: make_windows'"),
    Misconception(
        "WINDOW-PAIR-SWAPPED",
        "The pair came back as (y, x); return the windows first and the targets second: "
        "`return x, y`.",
        "07_practice, 'Exercise 1: make_windows'"),
    Misconception(
        "PERPLEXITY-NO-EXP",
        "This is the cross-entropy (the mean of -log p), not the perplexity; the last step is "
        "np.exp of that mean.",
        "07_practice, 'Perplexity'"),
    Misconception(
        "PERPLEXITY-MIXED-BASES",
        "The logarithm and the exponential have different bases; use np.log with np.exp (or "
        "np.log2 with 2 **).",
        "07_practice, 'Perplexity'"),
    Misconception(
        "PERPLEXITY-SIGN",
        "The minus sign is missing: exp(mean(log p)) is 1 / perplexity, a number below 1; "
        "perplexity is exp(-mean(log p)).",
        "07_practice, 'Perplexity'"),
    Misconception(
        "PERPLEXITY-MEAN-OF-INVERSES",
        "The per-character perplexities 1 / p were averaged; average the log probabilities "
        "first, then take exp once: exp(-mean(log p)).",
        "07_practice, 'Perplexity'"),
    Misconception(
        "PERPLEXITY-SUM-NOT-MEAN",
        "The log probabilities were summed instead of averaged, so the result grows with the "
        "number of characters; use the mean.",
        "07_practice, 'Perplexity'"),
    Misconception(
        "PERPLEXITY-ALL-PROBABILITIES",
        "-log p was averaged over every probability of every row, not only over each row's "
        "target; pick probs[np.arange(batch), targets] first.",
        "07_practice, 'Exercise 2: perplexity'"),
    Misconception(
        "PERPLEXITY-COLUMN-INDEXING",
        "probs[:, targets] picks whole columns (a (batch, batch) array), not one entry per row; "
        "use probs[np.arange(batch), targets].",
        "07_practice, 'Exercise 2: perplexity'"),
    Misconception(
        "PERPLEXITY-NOT-ONE-NUMBER",
        "One value per example (or per character) came back; average -log probs[i, targets[i]] "
        "over the examples, then take exp once, to get a single number.",
        "07_practice, 'Exercise 2: perplexity'"),
    Misconception(
        "CHAR-MODEL-NO-EMBEDDING",
        "The model has no Embedding layer; the first layer turns each character id into a "
        "vector: keras.layers.Embedding(vocab_size, embedding_dim).",
        "07_practice, 'The model: embedding, GRU, softmax at every step'"),
    Misconception(
        "CHAR-MODEL-EMBEDDING-SIZE",
        "The Embedding layer has the wrong sizes; it is Embedding(vocab_size, embedding_dim): "
        "one row per character, embedding_dim numbers each.",
        "07_practice, 'The model: embedding, GRU, softmax at every step'"),
    Misconception(
        "CHAR-MODEL-NO-OUTPUT-LAYER",
        "The model returns the recurrent layer's state; add the output layer "
        "keras.layers.Dense(vocab_size, activation=\"softmax\").",
        "07_practice, 'The model: embedding, GRU, softmax at every step'"),
    Misconception(
        "CELL-ARGUMENT-IGNORED",
        "The recurrent layer does not follow the `cell` argument; choose keras.layers.GRU for "
        "cell=\"gru\" and keras.layers.LSTM for cell=\"lstm\".",
        "07_practice, 'Exercise 3: build_char_model'"),
    Misconception(
        "TEMPERATURE-ON-PROBS",
        "The probabilities were divided by T, which renormalising cancels, so the temperature "
        "has no effect; divide the log-probabilities: softmax(log(p) / T), i.e. p ** (1 / T) "
        "renormalised.",
        "07_practice, 'Sampling with temperature'"),
    Misconception(
        "TEMPERATURE-INVERTED",
        "The temperature acts the wrong way round (T < 1 flattens, T > 1 sharpens): the "
        "log-probabilities were multiplied by T (p ** T); divide them: log(p) / T.",
        "07_practice, 'Sampling with temperature'"),
    Misconception(
        "TEMPERATURE-SOFTMAX-OF-PROBS",
        "The softmax was applied to p / T, the probabilities themselves; apply it to the "
        "log-probabilities: softmax(np.log(p) / T).",
        "07_practice, 'Sampling with temperature'"),
    Misconception(
        "SAMPLING-GREEDY",
        "The most likely character came back every time (greedy decoding, the limit T -> 0); "
        "draw at random from the rescaled probabilities, e.g. rng.choice(len(q), p=q).",
        "07_practice, 'Exercise 4: sample_with_temperature'"),
    Misconception(
        "SAMPLING-IGNORES-PROBS",
        "Every character came out about equally often: the probabilities were not used; pass "
        "them to the draw: rng.choice(len(q), p=q).",
        "07_practice, 'Exercise 4: sample_with_temperature'"),
    Misconception(
        "SAMPLING-OWN-GENERATOR",
        "The draws ignore the `rng` argument (np.random or a new generator); draw with rng "
        "(rng.choice, rng.random...) so that seeding rng makes the text reproducible.",
        "07_practice, 'Exercise 4: sample_with_temperature'"),
    Misconception(
        "SAMPLING-NOT-NORMALISED",
        "The rescaled probabilities do not sum to 1 (numpy's choice checks that); divide them "
        "by their sum before drawing.",
        "07_practice, 'Sampling with temperature'"),
    Misconception(
        "TRAINED-MODEL-MISSING",
        "There is no model of yours to grade: build_char_model did not build a model with "
        "output (batch, window, vocab_size), so the lesson trained the course's model instead; "
        "finish Exercise 3 and run the training cell again.",
        "07_practice, 'Training'"),
    Misconception(
        "TRAINED-MODEL-UNTRAINED",
        "The model is no better than guessing uniformly: it has not been trained; run the "
        "training cell and check that its learning curve goes down.",
        "07_practice, 'Training'"),
    Misconception(
        "TRAINED-MODEL-NO-CONTEXT",
        "The model predicts almost the same distribution whatever it reads: it learned how "
        "frequent each character is, not how the context changes the next one; check that the "
        "recurrent layer sees the embedded characters.",
        "07_practice, 'Training'"),
    Misconception(
        "TRAINED-MODEL-BELOW-BAR",
        "The model beats the baseline but not by enough; check that it is the model of "
        "Exercise 3 (units, embedding size, return_sequences=True) and that the training cell "
        "ran to the end.",
        "07_practice, 'Training'"),
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
    Misconception(
        "PAD-IDS-NOT-INTEGERS",
        "The padded ids are floats; word ids are integers: create the array with an integer "
        "dtype, np.zeros((batch, maxlen), dtype=np.int32).",
        "08_text_classification, 'Padding a batch'"),
    Misconception(
        "PAD-TRANSPOSED",
        "The padded batch is transposed; it has one row per sequence and one column per place: "
        "shape (batch, maxlen).",
        "08_text_classification, 'Padding a batch'"),
    Misconception(
        "MASK-OUTPUT-ZEROS",
        "The state is carried at masked steps but zeros are returned there; h_seq[:, t] is the "
        "state at every step, the carried one at a masked step.",
        "08_text_classification, 'Masking: skipping the padding'"),
    Misconception(
        "CLASSIFIER-RETURNS-SEQUENCES",
        "The GRU returns every step (return_sequences=True); a classifier reads only the last "
        "state: leave return_sequences at False.",
        "08_text_classification, 'The classifier: embedding, GRU, dropout'"),
    Misconception(
        "CLASSIFIER-NO-SOFTMAX",
        "The outputs are not probabilities (each row should be >= 0 and sum to 1): give the "
        "last Dense layer activation='softmax'.",
        "08_text_classification, 'The classifier: embedding, GRU, dropout'"),
    Misconception(
        "MASK-ZERO-ARGUMENT-IGNORED",
        "The Embedding layer has mask_zero=True although mask_zero=False was asked; pass the "
        "argument on: Embedding(..., mask_zero=mask_zero).",
        "08_text_classification, 'The classifier: embedding, GRU, dropout'"),
    Misconception(
        "DROPOUT-SWAPPED",
        "dropout and recurrent_dropout are swapped: dropout acts on the GRU's inputs, "
        "recurrent_dropout on its state.",
        "08_text_classification, 'The classifier: embedding, GRU, dropout'"),
    Misconception(
        "MASK-NOT-PROPAGATED",
        "Padding before or after the words changes the prediction, so the padding reaches the "
        "GRU: the mask of Embedding(mask_zero=True) must go straight into the GRU (no layer in "
        "between that drops it).",
        "08_text_classification, 'The classifier: embedding, GRU, dropout'"),
    Misconception(
        "CLASSIFIER-MAJORITY-ONLY",
        "The accuracy is no better than always answering the most common topic: train the model "
        "(run the training cell) and make sure it sees the words (Embedding(mask_zero=True) with "
        "the course's vocabulary).",
        "08_text_classification, 'Training'"),
]}
