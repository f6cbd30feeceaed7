"""Round-trip grading scenarios for 07_practice: the solution with some answers replaced.

Each scenario replaces the source of the named solution cells (by grade_id) in
an otherwise correct submission; the generic round-trip test autogrades it with
nbgrader and checks the score class and that the ids of the mistakes appear in
the feedback (ids: course_utils/checks/misconceptions.py, CONTRIBUTING.md
"Misconception ids"). The training data comes from the student's make_windows only when it
equals the course's, so a wrong make_windows costs only its own points; a model
that returns only its last state is not trained (the lesson trains the course's
model instead, which is not graded), so it also loses the points of the
trained-model test.
"""

SCENARIOS = {
    "one_mistake_per_exercise": {
        # Targets not shifted, the cross-entropy returned as the perplexity, the probabilities
        # divided by T, and a model that returns only its last state: that model is not
        # trained (the lesson trains the course's model instead, which is not graded), so the
        # trained-model tests fail too and say why. Every graded test fails: zero points,
        # without a crash, and each mistake named by its id.
        "cells": {
            "make_windows": '''
def make_windows(ids, window, stride=1):
    starts = range(0, len(ids) - window, stride)
    x = np.array([ids[s:s + window] for s in starts])
    y = np.array([ids[s:s + window] for s in starts])   # the window itself, not shifted
    return x, y
''',
            "perplexity": '''
def perplexity(probs, targets):
    return np.mean(-np.log(probs[np.arange(len(targets)), targets]))   # the cross-entropy
''',
            "sample_with_temperature": '''
def sample_with_temperature(probs, temperature, rng):
    q = probs / temperature          # renormalising cancels the temperature
    return rng.choice(len(q), p=q / q.sum())
''',
            "build_char_model": '''
def build_char_model(vocab_size, window, cell="gru", units=64, embedding_dim=16):
    layer = keras.layers.GRU if cell == "gru" else keras.layers.LSTM
    return keras.Sequential([
        keras.Input(shape=(window,), dtype="int32"),
        keras.layers.Embedding(vocab_size, embedding_dim),
        layer(units),                                   # the last state only: many-to-one
        keras.layers.Dense(vocab_size, activation="softmax"),
    ])
''',
        },
        "expect_ids": ["WINDOW-TARGET-OFF-BY-ONE", "PERPLEXITY-NO-EXP", "TEMPERATURE-ON-PROBS",
                       "PER-STEP-NO-RETURN-SEQUENCES", "TRAINED-MODEL-MISSING"],
        "expect": "zero",
    },
    "other_correct_answers": {
        # Any correct implementation gets full marks: a loop, log2 with 2 **, the
        # functional API with reset_after=False, inverse-CDF sampling.
        "cells": {
            "make_windows": '''
def make_windows(ids, window, stride=1):
    x, y = [], []
    s = 0
    while s + window < len(ids):
        x.append(ids[s:s + window])
        y.append(ids[s + 1:s + window + 1])
        s += stride
    return np.array(x), np.array(y)
''',
            "perplexity": '''
def perplexity(probs, targets):
    p = np.array([row[t] for row, t in zip(probs, targets)])
    return 2.0 ** np.mean(-np.log2(p))
''',
            "build_char_model": '''
def build_char_model(vocab_size, window, cell="gru", units=64, embedding_dim=16):
    inputs = keras.Input(shape=(window,), dtype="int32")
    h = keras.layers.Embedding(vocab_size, embedding_dim)(inputs)
    if cell == "gru":
        h = keras.layers.GRU(units, reset_after=False, return_sequences=True)(h)
    else:
        h = keras.layers.LSTM(units, return_sequences=True)(h)
    return keras.Model(inputs, keras.layers.Dense(vocab_size, activation="softmax")(h))
''',
            "sample_with_temperature": '''
def sample_with_temperature(probs, temperature, rng):
    weights = np.asarray(probs, dtype=np.float64) ** (1.0 / temperature)
    cdf = np.cumsum(weights) / weights.sum()
    return int(np.searchsorted(cdf, rng.random(), side="right"))
''',
        },
        "expect_ids": [],
        "expect": "full",
    },
}
