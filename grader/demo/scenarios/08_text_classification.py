"""Round-trip grading scenarios for 08_text_classification: the solution with some answers replaced.

Each scenario replaces the source of the named solution cells (by grade_id) in
an otherwise correct submission; the generic round-trip test autogrades it with
nbgrader, checks the score class and that each id of ``expect_ids`` is in the
feedback. A scenario makes one mistake per exercise, so that a few students
cover every kind of mistake. The training data always comes from the course's
padding (``encoded_split``), so a wrong pad_batch or masked_rnn_forward costs
only its own points; a classifier without mask_zero loses the builder's points,
and it trains too slowly to reach the bar in 6 epochs, so it loses the
trained-model points too.
"""

SCENARIOS = {
    "wrong_side_state_reset_no_mask_zero": {
        "cells": {"pad_batch": '''
def pad_batch(sequences, maxlen=None, padding="post"):
    if maxlen is None:
        maxlen = max(len(s) for s in sequences)
    ids = np.zeros((len(sequences), maxlen), dtype=np.int32)
    mask = np.zeros((len(sequences), maxlen), dtype=bool)
    for row, sequence in enumerate(sequences):
        kept = list(sequence)[:maxlen]
        start = maxlen - len(kept) if padding == "post" else 0     # the wrong way round
        ids[row, start:start + len(kept)] = kept
        mask[row, start:start + len(kept)] = True
    return ids, mask
''', "masked_rnn_forward": '''
def masked_rnn_forward(x, mask, h0, kernel, recurrent_kernel, bias):
    h = h0
    states = []
    for t in range(x.shape[1]):
        h_new = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        h = h_new * mask[:, t, None]                 # zeros at padding: the state is lost
        states.append(h)
    return np.stack(states, axis=1)
''', "build_text_classifier": '''
def build_text_classifier(vocab_size, num_classes, maxlen, units=32, embedding_dim=32,
                          dropout=0.2, recurrent_dropout=0.2, mask_zero=True):
    return keras.Sequential([
        keras.Input(shape=(maxlen,), dtype="int32"),
        keras.layers.Embedding(vocab_size, embedding_dim),           # no mask_zero
        keras.layers.GRU(units, dropout=dropout, recurrent_dropout=recurrent_dropout),
        keras.layers.Dense(num_classes, activation="softmax"),
    ])
'''},
        # Every exercise wrong, and the model without mask_zero misses the accuracy bar too.
        "expect_ids": ["PADDING-WRONG-SIDE", "MASK-STATE-RESET", "EMBEDDING-NO-MASK"],
        "expect": "zero",
    },
    "mask_inverted_mask_ignored_dropout_layer": {
        "cells": {"pad_batch": '''
def pad_batch(sequences, maxlen=None, padding="post"):
    if maxlen is None:
        maxlen = max(len(s) for s in sequences)
    ids = np.zeros((len(sequences), maxlen), dtype=np.int32)
    for row, sequence in enumerate(sequences):
        kept = list(sequence)[:maxlen]
        start = 0 if padding == "post" else maxlen - len(kept)
        ids[row, start:start + len(kept)] = kept
    return ids, ids == 0                                            # True at the padding
''', "masked_rnn_forward": '''
def masked_rnn_forward(x, mask, h0, kernel, recurrent_kernel, bias):
    h = h0
    states = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        states.append(h)
    return np.stack(states, axis=1)
''', "build_text_classifier": '''
def build_text_classifier(vocab_size, num_classes, maxlen, units=32, embedding_dim=32,
                          dropout=0.2, recurrent_dropout=0.2, mask_zero=True):
    return keras.Sequential([
        keras.Input(shape=(maxlen,), dtype="int32"),
        keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=mask_zero),
        keras.layers.Dropout(dropout),
        keras.layers.GRU(units),
        keras.layers.Dense(num_classes, activation="softmax"),
    ])
'''},
        "expect_ids": ["MASK-INVERTED", "MASK-IGNORED", "DROPOUT-NOT-RECURRENT"],
        "expect": "partial",
    },
    "float_ids_zeros_at_padding_dropouts_swapped": {
        "cells": {"pad_batch": '''
def pad_batch(sequences, maxlen=None, padding="post"):
    if maxlen is None:
        maxlen = max(len(s) for s in sequences)
    ids = np.zeros((len(sequences), maxlen))                        # float ids
    mask = np.zeros((len(sequences), maxlen), dtype=bool)
    for row, sequence in enumerate(sequences):
        kept = list(sequence)[:maxlen]
        start = 0 if padding == "post" else maxlen - len(kept)
        ids[row, start:start + len(kept)] = kept
        mask[row, start:start + len(kept)] = True
    return ids, mask
''', "masked_rnn_forward": '''
def masked_rnn_forward(x, mask, h0, kernel, recurrent_kernel, bias):
    h = h0
    states = []
    for t in range(x.shape[1]):
        h_new = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)
        h = np.where(mask[:, t, None], h_new, h)
        states.append(np.where(mask[:, t, None], h, 0.0))        # zeros returned at padding
    return np.stack(states, axis=1)
''', "build_text_classifier": '''
def build_text_classifier(vocab_size, num_classes, maxlen, units=32, embedding_dim=32,
                          dropout=0.2, recurrent_dropout=0.2, mask_zero=True):
    return keras.Sequential([
        keras.Input(shape=(maxlen,), dtype="int32"),
        keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=mask_zero),
        keras.layers.GRU(units, dropout=recurrent_dropout, recurrent_dropout=dropout),
        keras.layers.Dense(num_classes, activation="softmax"),
    ])
'''},
        "expect_ids": ["PAD-IDS-NOT-INTEGERS", "MASK-OUTPUT-ZEROS", "DROPOUT-SWAPPED"],
        "expect": "partial",
    },
    "other_correct_answers": {
        # Any correct implementation gets full marks: a vectorised pad_batch with a 0/1 mask,
        # float arithmetic instead of np.where, the functional API with reset_after=False.
        "cells": {
            "pad_batch": '''
def pad_batch(sequences, maxlen=None, padding="post"):
    lengths = np.array([len(s) for s in sequences])
    maxlen = int(lengths.max()) if maxlen is None else maxlen
    kept = np.minimum(lengths, maxlen)
    positions = np.arange(maxlen)[None, :]
    if padding == "post":
        mask = positions < kept[:, None]
    else:
        mask = positions >= maxlen - kept[:, None]
    ids = np.zeros(mask.shape, dtype=np.int64)
    ids[mask] = [i for s, n in zip(sequences, kept) for i in list(s)[:n]]
    return ids, mask.astype(np.int8)
''',
            "masked_rnn_forward": '''
def masked_rnn_forward(x, mask, h0, kernel, recurrent_kernel, bias):
    h = np.asarray(h0, dtype=np.float64)
    out = np.empty(x.shape[:2] + (h.shape[1],))
    for t in range(x.shape[1]):
        m = np.asarray(mask[:, t], dtype=np.float64)[:, None]
        h = m * np.tanh(np.einsum("bi,iu->bu", x[:, t], kernel) + h @ recurrent_kernel + bias) \\
            + (1.0 - m) * h
        out[:, t] = h
    return out
''',
            "build_text_classifier": '''
def build_text_classifier(vocab_size, num_classes, maxlen, units=32, embedding_dim=32,
                          dropout=0.2, recurrent_dropout=0.2, mask_zero=True):
    inputs = keras.Input(shape=(maxlen,), dtype="int32")
    vectors = keras.layers.Embedding(vocab_size, embedding_dim, mask_zero=mask_zero)(inputs)
    state = keras.layers.GRU(units, dropout=dropout, recurrent_dropout=recurrent_dropout,
                             reset_after=False)(vectors)
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(state))
''',
        },
        "expect_ids": [],
        "expect": "full",
    },
}
