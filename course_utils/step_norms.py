"""How big was each training step? A Keras callback that records the length of every update.

With plain SGD (no momentum) an update is ``-learning_rate * g``, where ``g`` is
the gradient the optimizer applied (after clipping, if any). So the global norm
of the change of all trainable weights, divided by the learning rate, is the
global norm of that gradient: the raw gradient's norm without clipping, and at
most ``global_clipnorm`` with it. Lesson 02 uses it to show clipping at work in
a real training run.
"""
import keras
import numpy as np

__all__ = ["StepNormRecorder"]


class StepNormRecorder(keras.callbacks.Callback):
    """Records ``norms``: one number per batch, |change of all trainable weights| / learning_rate."""

    def __init__(self, learning_rate: float):
        super().__init__()
        self.learning_rate = float(learning_rate)
        self.norms: list[float] = []
        self._before = None

    def _weights(self):
        return [np.array(keras.ops.convert_to_numpy(w), dtype=np.float64)
                for w in self.model.trainable_weights]

    def on_train_batch_begin(self, batch, logs=None):
        self._before = self._weights()

    def on_train_batch_end(self, batch, logs=None):
        after = self._weights()
        change = np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(after, self._before)))
        self.norms.append(float(change / self.learning_rate))
