"""Reference Keras models for the model-building exercises of 06_keras_rnns, and a timer.

The exercises ask for these exact architectures; the checkers in
``course_utils.checks.keras_models`` compare a student's model with them
through Keras's public API (layer types, ``get_config()``, output shapes,
``count_params()``).  Both models take sequences of any length: the input is
``(batch, T, input_dim)`` with ``T`` left as ``None``.

``EpochTimer`` is a Keras callback that measures wall-clock seconds per epoch,
so that a notebook can compare cells by time on the student's own machine.
"""
import time

import keras
import numpy as np

__all__ = [
    "RECURRENT_LAYERS",
    "build_stacked_model",
    "build_bidirectional_tagger",
    "EpochTimer",
]

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
        steady = self.epoch_seconds[1:] or self.epoch_seconds
        return float(np.median(steady))
