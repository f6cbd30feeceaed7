"""Input validation shared by the SimpleRNN, GRU and LSTM reference cells.

Every public function of ``simple_rnn``, ``gru`` and ``lstm`` passes its
arguments through here first, so a wrong shape fails early with a message that
names the argument, the expected shape and the received shape, e.g.

    recurrent_kernel must have shape (4, 12) for a GRU with 4 units, got (12, 4)

The sizes are read from the data: ``input_dim`` from the last axis of ``x``
and ``units`` from the first state (``h_prev`` / ``h0``), so the weights are
blamed when they disagree with the data.  One exception: when the weights
agree among themselves on ``units`` and the state does not, the state is
blamed.  Values are not inspected, so NaN and inf pass through untouched.
"""
import numpy as np

__all__ = [
    "GATES",
    "normalize_cell",
    "CELL_LABELS",
    "CELL_WITH_ARTICLE",
    "weight_shapes",
    "to_common_float",
    "check_step_inputs",
    "check_sequence_inputs",
    "check_upstream",
    "check_weight_shapes",
]

# Number of stacked blocks in kernel / recurrent_kernel / bias (Keras order).
GATES = {"simple_rnn": 1, "gru": 3, "lstm": 4}
# Display names (Keras class names), and the same with the article for messages.
CELL_LABELS = {"simple_rnn": "SimpleRNN", "gru": "GRU", "lstm": "LSTM"}
CELL_WITH_ARTICLE = {"simple_rnn": "a SimpleRNN", "gru": "a GRU", "lstm": "an LSTM"}


def normalize_cell(cell):
    """``"GRU"`` -> ``"gru"``; unknown names raise a ValueError listing the valid ones."""
    key = str(cell).lower()
    if key not in GATES:
        raise ValueError(f"cell must be one of {sorted(GATES)}, got {cell!r}")
    return key


def weight_shapes(cell, input_dim, units, reset_after=True):
    """Shapes of ``(kernel, recurrent_kernel, bias)`` as Keras's ``get_weights()`` returns them."""
    cell = normalize_cell(cell)
    width = GATES[cell] * units
    if cell == "gru" and reset_after:
        bias_shape = (2, width)  # input bias row, recurrent bias row
    else:
        bias_shape = (width,)
    return (input_dim, width), (units, width), bias_shape


def to_common_float(**arrays):
    """Convert named arrays to numpy arrays that share one floating dtype.

    The dtype is the one numpy promotion gives the inputs (float32 stays
    float32; float32 with float64 gives float64; integers give float64).
    ``None`` values pass through.  Returns the arrays in argument order.
    """
    converted = {}
    for name, value in arrays.items():
        if value is None:
            converted[name] = None
            continue
        array = np.asarray(value)
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise TypeError(f"{name} must be an array of numbers, got dtype {array.dtype}")
        if np.issubdtype(array.dtype, np.complexfloating):
            raise TypeError(f"{name} must be real, got dtype {array.dtype}")
        converted[name] = array
    present = [a for a in converted.values() if a is not None]
    dtype = np.result_type(*present) if present else np.float64
    if not np.issubdtype(dtype, np.floating):
        dtype = np.float64
    return tuple(None if a is None else a.astype(dtype, copy=False) for a in converted.values())


def _check_ndim(name, array, layout):
    """``layout`` names the axes, e.g. ``("batch", "time", "input_dim")``."""
    if array.ndim != len(layout):
        raise ValueError(
            f"{name} must be a {len(layout)}-D array of shape ({', '.join(layout)}), "
            f"got shape {array.shape}"
        )


def _check_shape(name, array, expected, context, hint=""):
    """Raise ``"<name> must have shape <expected> <context>, got <shape>[; <hint>]"``."""
    expected = tuple(int(n) for n in expected)
    if array.shape == expected:
        return
    if not hint and array.ndim == 2 and len(expected) == 2 and array.shape == expected[::-1]:
        hint = "that is the transpose: Keras stores weights as (inputs, outputs), so x_t @ kernel works"
    message = f"{name} must have shape {expected} {context}, got {array.shape}"
    raise ValueError(f"{message}; {hint}" if hint else message)


def _check_state_fits_weights(cell, state_name, state, batch, recurrent_kernel):
    """If the weights agree among themselves on ``units`` but the state does not, blame the state."""
    blocks = GATES[cell]
    if recurrent_kernel.ndim != 2:
        return
    weight_units = recurrent_kernel.shape[0]
    if recurrent_kernel.shape[1] == blocks * weight_units and weight_units != state.shape[1]:
        raise ValueError(
            f"{state_name} must have shape {(batch, weight_units)} to match recurrent_kernel "
            f"{recurrent_kernel.shape} ({CELL_WITH_ARTICLE[cell]} with {weight_units} units), "
            f"got {state.shape}")


def _check_weights(cell, kernel, recurrent_kernel, bias, input_dim, units, reset_after, x_name=None):
    label = CELL_WITH_ARTICLE[cell]
    kernel_shape, recurrent_shape, bias_shape = weight_shapes(cell, input_dim, units, reset_after)
    hint = ""
    if (x_name and kernel.ndim == 2 and kernel.shape[1] == kernel_shape[1]
            and kernel.shape[0] != input_dim):
        hint = f"input_dim is the last axis of {x_name}"
    _check_shape("kernel", kernel, kernel_shape,
                 f"for {label} with input_dim {input_dim} and {units} units", hint)
    _check_shape("recurrent_kernel", recurrent_kernel, recurrent_shape,
                 f"for {label} with {units} units")
    hint = ""
    if cell != "gru":
        context = f"for {label} with {units} units"
    elif reset_after:
        context = (f"for a GRU with {units} units and reset_after=True "
                   "(input bias row, recurrent bias row)")
        if bias.shape == bias_shape[1:]:
            hint = "a 1-D bias belongs to reset_after=False"
    else:
        context = f"for a GRU with {units} units and reset_after=False"
        if bias.shape == (2,) + bias_shape:
            hint = "a bias with two rows belongs to reset_after=True"
    _check_shape("bias", bias, bias_shape, context, hint)


def _check_data_and_weights(cell, x_name, x_last, states, kernel, recurrent_kernel, bias,
                            reset_after):
    """Shared by both entry points once ``x_last`` (x or x_t at one step) is known to be 2-D.

    ``states`` is ``{name: array}``; the first one fixes ``units``.  Returns units.
    """
    batch, input_dim = x_last.shape
    names = list(states)
    for name in names:
        _check_ndim(name, states[name], ("batch", "units"))
    first = names[0]
    units = states[first].shape[1]
    if units == 0:
        raise ValueError(f"{first} must have at least one unit, got shape {states[first].shape}")
    _check_state_fits_weights(cell, first, states[first], batch, recurrent_kernel)
    _check_shape(first, states[first], (batch, units), f"(batch {batch} from {x_name})")
    for name in names[1:]:
        _check_shape(name, states[name], (batch, units),
                     f"(batch {batch} from {x_name}, {units} units from {first})")
    _check_weights(cell, kernel, recurrent_kernel, bias, input_dim, units, reset_after, x_name)
    return units


def check_step_inputs(cell, x_t, states, kernel, recurrent_kernel, bias, *, reset_after=True):
    """Validate one step's arguments; ``states`` is ``{"h_prev": ..., ("c_prev": ...)}``.

    Returns ``(batch, input_dim, units)``.
    """
    cell = normalize_cell(cell)
    _check_ndim("x_t", x_t, ("batch", "input_dim"))
    units = _check_data_and_weights(cell, "x_t", x_t, states, kernel, recurrent_kernel, bias,
                                    reset_after)
    return x_t.shape[0], x_t.shape[1], units


def check_sequence_inputs(cell, x, states, kernel, recurrent_kernel, bias, *, reset_after=True):
    """Validate a whole sequence's arguments; ``states`` is ``{"h0": ..., ("c0": ...)}``.

    Returns ``(batch, steps, input_dim, units)``.
    """
    cell = normalize_cell(cell)
    _check_ndim("x", x, ("batch", "time", "input_dim"))
    batch, steps, input_dim = x.shape
    if steps == 0:
        raise ValueError(f"x must have at least one time step, got shape {x.shape}")
    units = _check_data_and_weights(cell, "x", x[:, 0], states, kernel, recurrent_kernel, bias,
                                    reset_after)
    return batch, steps, input_dim, units


def check_upstream(name, array, expected, meaning):
    """Validate an upstream gradient; ``meaning`` says what it is the gradient of."""
    _check_shape(name, array, expected, f"({meaning})")


def check_weight_shapes(cell, kernel, recurrent_kernel, bias, *, reset_after=True):
    """Validate a weight triple on its own (no data): ``input_dim`` and ``units`` are read
    from ``kernel`` and ``recurrent_kernel``.  Returns ``(input_dim, units)``."""
    cell = normalize_cell(cell)
    _check_ndim("kernel", kernel, ("input_dim", f"{GATES[cell]}*units"))
    _check_ndim("recurrent_kernel", recurrent_kernel, ("units", f"{GATES[cell]}*units"))
    input_dim, units = kernel.shape[0], recurrent_kernel.shape[0]
    _check_weights(cell, kernel, recurrent_kernel, bias, input_dim, units, reset_after)
    return input_dim, units
