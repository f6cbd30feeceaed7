"""Padding and masking, the course's own versions (08_text_classification).

A batch of texts of different lengths becomes one rectangular array by
**padding**: every id sequence is filled up with ``PAD = 0`` to the same
length. The **mask** says which places hold a real id (True) and which hold
padding (False). A masked recurrent layer skips the padding: at a masked step
it keeps the previous state unchanged, so padding cannot change what it
remembers. Shapes follow Keras: batch first.
"""
import numpy as np

from .tokenizer import PAD

__all__ = ["pad_batch", "masked_rnn_forward"]


def pad_batch(sequences, maxlen=None, padding="post"):
    """Pad variable-length id sequences into ``(ids, mask)``, both (batch, maxlen).

    ``maxlen=None`` means the length of the longest sequence. A longer sequence
    is cut to its FIRST ``maxlen`` ids. ``padding="post"`` puts the ``PAD`` ids
    after the real ones, ``"pre"`` before them. ``ids`` is int32, ``mask`` is
    bool, True where ``ids`` holds a real id.
    """
    if padding not in ("post", "pre"):
        raise ValueError(f'padding must be "post" or "pre", got {padding!r}')
    sequences = [list(s) for s in sequences]
    if maxlen is None:
        maxlen = max((len(s) for s in sequences), default=0)
    ids = np.full((len(sequences), maxlen), PAD, dtype=np.int32)
    mask = np.zeros((len(sequences), maxlen), dtype=bool)
    for row, sequence in enumerate(sequences):
        kept = sequence[:maxlen]
        start = 0 if padding == "post" else maxlen - len(kept)
        ids[row, start:start + len(kept)] = kept
        mask[row, start:start + len(kept)] = True
    return ids, mask


def masked_rnn_forward(x, mask, h0, kernel, recurrent_kernel, bias):
    """SimpleRNN over a masked sequence: h_seq (batch, T, units).

    ``x`` (batch, T, input_dim), ``mask`` (batch, T) bool, ``h0`` (batch, units),
    weights in Keras's layout. Where ``mask[b, t]`` is True the step is the usual
    ``h_t = tanh(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)``; where it is
    False the state is carried unchanged, ``h_t = h_{t-1}``.
    """
    x = np.asarray(x, dtype=np.float64)
    mask = np.asarray(mask, dtype=bool)
    h = np.asarray(h0, dtype=np.float64)
    states = []
    for t in range(x.shape[1]):
        h_new = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        h = np.where(mask[:, t, None], h_new, h)
        states.append(h)
    return np.stack(states, axis=1).reshape(x.shape[0], x.shape[1], h.shape[-1])
