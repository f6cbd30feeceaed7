"""Reference Keras models for the model-building exercises of 06_keras_rnns, and a timer.

The exercises ask for these exact architectures; the checkers in
``course_utils.checks.keras_models`` compare a student's model with them
through Keras's public API (layer types, ``get_config()``, output shapes,
``count_params()``).  Both models take sequences of any length: the input is
``(batch, T, input_dim)`` with ``T`` left as ``None``.

``EpochTimer`` is a Keras callback that measures wall-clock seconds per epoch,
so that a notebook can compare cells by time on the student's own machine.
Lessons 06 and 07 time GRU against LSTM the same way, with
``median_seconds_per_epoch`` (the median over the epochs, the first one left
out) and state the result with ``time_ratio_sentence``.
"""
import time

import keras
import numpy as np

__all__ = [
    "RECURRENT_LAYERS",
    "build_stacked_model",
    "build_bidirectional_tagger",
    "EpochTimer",
    "median_seconds_per_epoch",
    "time_ratio_sentence",
]

NOISE = 0.10   # a 10 % difference in one run on a shared machine is within run-to-run noise

# Cell name as in course_utils.weights -> the Keras layer class.
RECURRENT_LAYERS = {
    "simple_rnn": keras.layers.SimpleRNN,
    "gru": keras.layers.GRU,
    "lstm": keras.layers.LSTM,
}


def build_stacked_model(input_dim, units):
    """Input (batch, T, input_dim) -> LSTM(units, return_sequences=True) -> GRU(units) -> Dense(1).

    The LSTM hands its whole output sequence, (batch, T, units), to the GRU;
    the GRU returns only its last state, (batch, units); the Dense layer maps
    it to one number per sequence.  Output: (batch, 1).
    """
    inputs = keras.Input(shape=(None, input_dim))
    sequence = keras.layers.LSTM(units, return_sequences=True)(inputs)  # (batch, T, units)
    last_state = keras.layers.GRU(units)(sequence)                      # (batch, units)
    outputs = keras.layers.Dense(1)(last_state)                         # (batch, 1)
    return keras.Model(inputs, outputs)


def build_bidirectional_tagger(input_dim, units, num_classes):
    """Input -> Bidirectional(GRU(units, return_sequences=True)) -> Dense(num_classes, softmax).

    A sequence tagger: one probability distribution over ``num_classes`` per
    time step.  The forward and backward GRU outputs are concatenated
    (``merge_mode="concat"``, the default), (batch, T, 2*units); the Dense
    layer acts on every step.  Output: (batch, T, num_classes).
    """
    inputs = keras.Input(shape=(None, input_dim))
    both_ways = keras.layers.Bidirectional(
        keras.layers.GRU(units, return_sequences=True))(inputs)        # (batch, T, 2*units)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(both_ways)
    return keras.Model(inputs, outputs)


class EpochTimer(keras.callbacks.Callback):
    """Records the wall-clock seconds of every epoch of ``model.fit`` in ``epoch_seconds``.

    An epoch's time includes the validation pass, if any.  The first epoch
    also pays for tracing the training step into a TensorFlow graph, so
    ``seconds_per_epoch`` leaves it out.
    """

    def __init__(self):
        super().__init__()
        self.epoch_seconds = []
        self._start = None

    def on_train_begin(self, logs=None):
        self.epoch_seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self._start)

    @property
    def seconds_per_epoch(self):
        """Median seconds per epoch, without the first epoch when there are others.

        The median, not the mean, because on a shared machine one epoch can be
        slowed down by another program.
        """
        if not self.epoch_seconds:
            raise ValueError("no epoch has been timed yet: pass the timer to "
                             "model.fit(callbacks=[...])")
        return median_seconds_per_epoch(self.epoch_seconds)


def median_seconds_per_epoch(epoch_seconds):
    """The course's one measure of training speed: the median seconds per epoch, first epoch out.

    The first epoch also traces the training step into a TensorFlow graph (a
    compilation that costs seconds and does not depend on the cell in the same
    way), so it is left out when there are other epochs. The median, not the
    mean, because on a shared machine another program can slow one epoch down.
    """
    seconds = [float(s) for s in epoch_seconds]
    if not seconds:
        raise ValueError("no epoch has been timed")
    return float(np.median(seconds[1:] or seconds))


def time_ratio_sentence(name, seconds, other_name, other_seconds):
    """One sentence saying what a timing shows, e.g. GRU against LSTM, in seconds per epoch.

    The ratio is printed as measured; a difference below ``NOISE`` is called
    what it is, too small to tell apart from run-to-run noise.
    """
    ratio = seconds / other_seconds
    measured = (f"{name} {seconds:.3g} s, {other_name} {other_seconds:.3g} s per epoch "
                f"(median, first epoch left out): the {name} took {ratio:.2f} times as long as "
                f"the {other_name}")
    if abs(ratio - 1) < NOISE:
        return (measured + f", a difference of less than {NOISE:.0%}, too small to call "
                "either faster from one run on a shared machine.")
    faster, slower = (name, other_name) if ratio < 1 else (other_name, name)
    return measured + f"; in this run, on this machine, the {faster} was faster than the {slower}."
