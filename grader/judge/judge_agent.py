"""The kernel side of judged grading: run a student's function, hand back plain data.

This file is sent as source text into each grading kernel (``grader.judge.judge``)
and is also imported by the judge for the codec.  The first request arrives in a
cell that installs it; later ones arrive as comm messages (``open_channel``),
which skip IPython's cell machinery (4 ms a round trip instead of 16).  In the kernel it only
*computes*: it looks a name up in the student's namespace, calls it on the
arguments the judge sent, and publishes the result (or the exception) as data.
Nothing here decides a score, so a student who patches this code, numpy or
IPython can only change what their own function appears to return, which the
judge then compares with answers the kernel never sees.

Wire format: a JSON document whose arrays travel in one base64 ``.npz`` blob
(``np.load(allow_pickle=False)`` on the way in: no pickle, no code).  Values
are ``None``/bool/int/float/str, lists, ``{"__tuple__": [...]}``,
``{"__dict__": [[k, v], ...]}``, ``{"__nd__": i}`` (array i of the blob),
``{"__np__": i}`` (a numpy scalar), ``{"__rng__": state}`` (a numpy Generator),
``{"__keras__": {"json": ..., "weights": [...]}}`` (a Keras model: config and
weights, rebuilt by the judge) and ``{"__opaque__": "TypeName"}`` (anything
else, described but not transferred).
"""
from __future__ import annotations

import base64
import io
import json
import sys

import numpy as np

MIME = "application/x-rnn-course-judge+json"
AGENT_MODULE = "__rnn_course_judge_agent__"
COMM_TARGET = "rnn_course_judge"
MAX_DEPTH = 32
RNG_CLASSES = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


class Opaque:
    """A value the kernel returned that is not data (a generator, a class...)."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self):
        return f"<a {self.type_name}>"


# ------------------------------------------------------------------ codec

def _is_keras_model(value) -> bool:
    module = type(value).__module__ or ""
    return module.startswith("keras") and hasattr(value, "to_json") and hasattr(value, "get_weights")


def encode(value, arrays: list, depth: int = 0):
    """``value`` as JSON-able data; arrays are appended to ``arrays``."""
    if depth > MAX_DEPTH:
        return {"__opaque__": "deeply nested value"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if np.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, np.generic):
        if value.dtype == object:
            return {"__opaque__": "numpy object"}
        arrays.append(np.asarray(value))
        return {"__np__": len(arrays) - 1}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            return {"__opaque__": "numpy array of Python objects"}
        arrays.append(np.ascontiguousarray(value))
        return {"__nd__": len(arrays) - 1}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, arrays, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, arrays, depth + 1) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[encode(k, arrays, depth + 1), encode(v, arrays, depth + 1)]
                             for k, v in value.items()]}
    if isinstance(value, np.random.Generator):
        return {"__rng__": value.bit_generator.state}
    if _is_keras_model(value):
        weights = [encode(np.asarray(w), arrays, depth + 1) for w in value.get_weights()]
        return {"__keras__": {"json": value.to_json(), "weights": weights}}
    if hasattr(value, "__array__") or type(value).__module__.startswith("tensorflow"):
        try:
            array = np.asarray(value)
        except Exception:  # noqa: BLE001 - described instead
            return {"__opaque__": type(value).__name__}
        if array.dtype != object:
            arrays.append(array)
            return {"__nd__": len(arrays) - 1}
    return {"__opaque__": type(value).__name__}


def decode(data, arrays, keras_model=None, depth: int = 0):
    """The inverse of ``encode``; ``keras_model(json, weights)`` rebuilds models (judge side)."""
    if depth > MAX_DEPTH:
        raise ValueError("value nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, arrays, keras_model, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) != 1:
        raise ValueError("malformed value")
    (tag, body), = data.items()
    if tag == "__float__":
        return float(body)
    if tag == "__nd__":
        return arrays[int(body)]
    if tag == "__np__":
        return arrays[int(body)][()]
    if tag == "__tuple__":
        return tuple(decode(v, arrays, keras_model, depth + 1) for v in body)
    if tag == "__dict__":
        out = {}
        for key, value in body:
            key = decode(key, arrays, keras_model, depth + 1)
            out[tuple(key) if isinstance(key, list) else key] = decode(value, arrays, keras_model,
                                                                       depth + 1)
        return out
    if tag == "__rng__":
        name = body.get("bit_generator")
        if name not in RNG_CLASSES:
            raise ValueError(f"unknown bit generator {name!r}")
        bit_generator = getattr(np.random, name)()
        bit_generator.state = body
        return np.random.Generator(bit_generator)
    if tag == "__keras__":
        if keras_model is None:
            return Opaque("keras.Model")
        weights = [decode(w, arrays, None, depth + 1) for w in body["weights"]]
        return keras_model(body["json"], weights)
    if tag == "__opaque__":
        return Opaque(str(body))
    raise ValueError(f"unknown tag {tag!r}")


def pack(document: dict, arrays: list) -> str:
    """JSON text of ``document`` with ``arrays`` as a base64 npz blob."""
    buffer = io.BytesIO()
    np.savez(buffer, *arrays)
    return json.dumps({"doc": document, "blob": base64.b64encode(buffer.getvalue()).decode()})


def unpack(text: str) -> tuple[dict, list]:
    """``(document, arrays)`` of ``pack``'s output; refuses pickled arrays."""
    message = json.loads(text)
    with np.load(io.BytesIO(base64.b64decode(message["blob"])), allow_pickle=False) as blob:
        arrays = [blob[f"arr_{i}"] for i in range(len(blob.files))]
    return message["doc"], arrays


# ------------------------------------------------------------------ kernel side

def _exception_info(err: BaseException) -> dict:
    tb, innermost, line = err.__traceback__, None, ""
    while tb is not None:
        innermost = tb.tb_frame.f_code.co_name
        line = f" (line {tb.tb_lineno} of {innermost})"
        tb = tb.tb_next
    bases = [cls.__name__ for cls in type(err).__mro__]
    return {"type": type(err).__name__, "bases": bases, "message": str(err)[:4000],
            "innermost": innermost, "line": line}


class _ReferenceTrace:
    """Notes calls, during one student call, of the course's own functions named in ``names``
    (a function of course_utils outside course_utils/checks whose name is an exercise's)."""

    def __init__(self, names):
        import importlib.util
        import os

        self.names = set(names or ())
        self.hits: set[str] = set()
        spec = importlib.util.find_spec("course_utils") if self.names else None
        roots = list(spec.submodule_search_locations or []) if spec else []
        self.roots = tuple(os.path.join(os.path.realpath(r), "") for r in roots)
        self.skip = tuple(os.path.join(r, "checks", "") for r in self.roots)
        self._previous = None

    def _hook(self, frame, event, arg):
        if event == "call":
            code = frame.f_code
            if code.co_name in self.names:
                import os

                path = os.path.realpath(code.co_filename)
                if path.startswith(self.roots) and not path.startswith(self.skip):
                    self.hits.add(code.co_name)

    def __enter__(self):
        if self.roots:
            self._previous = sys.getprofile()
            sys.setprofile(self._hook)
        return self

    def __exit__(self, *exc):
        if self.roots:
            sys.setprofile(self._previous)
        return False


def _namespace():
    from IPython import get_ipython

    return get_ipython().user_ns


def handle(request_text: str) -> None:
    """Serve one judge request and publish the reply as a display output of type ``MIME``."""
    from IPython.display import display

    display({MIME: reply_to(request_text)}, raw=True)


def reply_to(request_text: str) -> str:
    """The packed reply to one judge request (``KeyboardInterrupt``, the judge's timeout,
    is raised, not replied)."""
    import warnings

    request, arrays = unpack(request_text)
    reply: dict = {}
    out_arrays: list = []
    name = request["name"]
    namespace = _namespace()
    if request["op"] == "resolve":
        if name not in namespace:
            reply = {"missing": True}
        else:
            value = namespace[name]
            if callable(value) and not _is_keras_model(value):
                reply = {"callable": getattr(value, "__name__", name)}
            else:
                reply = {"value": encode(value, out_arrays)}
    elif request["op"] == "call":
        fn = namespace.get(name)
        args = decode(request["args"], arrays)
        kwargs = decode(request["kwargs"], arrays)
        repeat = request.get("repeat")
        trace = _ReferenceTrace(request.get("trace"))
        # The function gets copies; an argument it changed in place is reported
        # (MODIFIES-INPUTS), since the copies hide the damage from the result.
        from course_utils.arguments import copies, modified_arguments
        modified: list = []
        try:
            if fn is None:
                raise NameError(f"name {name!r} is not defined")
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                result = []
                for _ in range(1 if repeat is None else int(repeat)):
                    a, k = copies(args, kwargs)
                    # Only the student's call is traced: traced too, the copies and
                    # comparisons around it made a profile event of every Python call they
                    # make, three times the time of a call like sample_with_temperature's.
                    with trace:
                        result.append(fn(*a, **k))
                    modified = modified or modified_arguments(fn, args, kwargs, a, k)
            reply = {"value": encode(result[0] if repeat is None else result, out_arrays)}
            if modified:
                reply["modified"] = modified
        except KeyboardInterrupt:
            raise  # the judge's timeout: let the kernel report the interrupt
        except BaseException as err:  # noqa: BLE001 - reported to the judge as data
            reply = {"error": _exception_info(err)}
        reply["reference_calls"] = sorted(trace.hits)
    return pack(reply, out_arrays)


def open_channel() -> None:
    """Answer judge requests sent as comm messages on ``COMM_TARGET`` (no cell per request).

    The judge opens one comm per kernel after installing this module; each message
    ``{"request": text}`` is answered on the same comm with ``{"reply": text}``, or
    ``{"interrupted": true}`` when the judge's timeout interrupted the call.
    """
    from IPython import get_ipython

    def opened(comm, _open_msg):
        def on_msg(msg):
            try:
                text = reply_to(msg["content"]["data"]["request"])
            except KeyboardInterrupt:
                comm.send({"interrupted": True})
                return
            except Exception as err:  # noqa: BLE001 - a malformed request: say so, as data
                comm.send({"failed": f"{type(err).__name__}: {err}"[:500]})
                return
            comm.send({"reply": text})

        comm.on_msg(on_msg)

    get_ipython().kernel.comm_manager.register_target(COMM_TARGET, opened)


def install() -> None:
    """Make this module importable in the kernel under ``AGENT_MODULE``."""
    sys.modules[AGENT_MODULE] = sys.modules[__name__]
