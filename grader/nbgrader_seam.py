"""The seam: every nbgrader, nbclient, jupyter_client and ipykernel internal the grader relies on.

The rest of the grader uses these libraries only through their public API
(converters, preprocessors, traitlets config, ``Gradebook``) and through the
names defined here.  Each behaviour below is something an upgrade may change
without notice: a private method we override, an attribute we set, a default
list we derive ours from, an exception we classify.  Each one has a contract
test in ``tests/test_nbgrader_seam.py`` that fails, naming what to re-check,
when an upgrade changes it.

1. ``use_inprocess_alembic_head``: replaces ``nbgrader.api.get_alembic_version``
   process-wide (it runs ``alembic heads`` in a subprocess per new gradebook).
2. ``autograde_preprocessors`` / ``feedback_preprocessors``: our preprocessor lists,
   derived from nbgrader's own defaults (``Autograde.autograde_preprocessors``,
   ``GenerateFeedback.preprocessors``) by position relative to nbgrader's classes.
3. ``HookedKernelManager``: overrides jupyter_client's private
   ``AsyncKernelManager._async_pre_start_kernel`` to choose the transport and
   the provisioner before the connection file is written, and its private
   ``_async_wait`` (how often a shutting-down kernel is polled: every 0.1 s there,
   every 5 ms here).
4. ``AdoptingProvisioner``: sets ``LocalProvisioner``'s ``process``/``pid``/``pgid``/``cwd``
   for a kernel some other process started (forked by the zygote).
5. ``SeamExecute``: nbgrader's ``Execute`` with
   - the exception that stopped a notebook recorded (``take_execution_failure``)
     before nbgrader turns it into log text, classified by nbclient's exception
     types (``failure_kind``);
   - nbclient's ``output`` hook exposed as ``keep_output``;
   - ``run_scratch_cell``: a throw-away cell at a notebook index (nbclient stores
     the executed cell back at that index; we restore the original);
   - ``count_code_cell``: nbclient's execution counter for a cell run elsewhere;
   - ``open_comm`` / ``comm_round_trip``: a request to code in the kernel as a comm
     message on nbclient's kernel client (no IPython cell: a judge's call takes about
     9 ms, not 16), interrupted past its time limit like a cell.
6. ``use_schema_checked_once``: nbgrader's cell metadata validator
   (``nbgrader.nbgraderformat.common``) calls ``jsonschema.validate`` per cell, which
   re-checks the schema itself every time (about 0.4 s per notebook, three times per
   graded notebook); ours checks each schema once and validates the same way.
7. ``QuickReadyKernelClient``: jupyter_client's ``AsyncKernelClient.wait_for_ready``
   (what nbclient awaits before the first cell) without its fixed waits, ready on
   ipykernel's ``iopub_welcome``; the ``HookedKernelManager``'s clients are of this class.
8. ``grader.deferred_imports`` (its own module: it must run before jsonschema is
   imported): jsonschema's optional ``rfc3987_syntax`` loads on first use, not at
   import (2 s of CPU per grader process).
9. ``use_shared_engines``: replaces ``nbgrader.api.create_engine`` process-wide with
   one engine per database URL (``Gradebook`` made one per instance, and SQLAlchemy's
   statement cache is per engine).
10. ``SeamExecute.on_comm_open_jupyter_widget``: no ``OutputWidget`` stand-in, which
    sends on the shell channel while nbclient awaits the cell's reply there.
"""
from __future__ import annotations

import copy
import functools
import json
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from nbgrader.preprocessors import Execute
from traitlets import Type


class SeamError(RuntimeError):
    """An nbgrader/jupyter upgrade broke an assumption of grader/nbgrader_seam.py."""


# ------------------------------------------------------------------ 1. gradebook schema version

@functools.lru_cache(maxsize=None)
def _alembic_head() -> str:
    """nbgrader's schema version, read in-process.

    ``nbgrader.api.get_alembic_version`` runs ``alembic heads`` in a subprocess
    (an extra Python start-up, 2-7 s on a busy machine) every time a new
    gradebook file is created; autograde creates one per run.
    """
    import nbgrader
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(nbgrader.__file__).parent / "alembic"))
    return ScriptDirectory.from_config(config).get_current_head()


def use_inprocess_alembic_head() -> None:
    """Make nbgrader read its schema version without a subprocess (falls back if it cannot)."""
    import nbgrader.api

    if getattr(nbgrader.api.get_alembic_version, "_grader", False):
        return
    original = nbgrader.api.get_alembic_version

    def get_alembic_version() -> str:
        try:
            return _alembic_head()
        except Exception:  # noqa: BLE001 - nbgrader's own way still works
            return original()

    get_alembic_version._grader = True
    nbgrader.api.get_alembic_version = get_alembic_version


# ------------------------------------------------------------------ 9. one engine per gradebook file

ENGINES_KEPT = 4   # gradebook files whose engine a process keeps (the course's, a worker's...)
_engines: OrderedDict = OrderedDict()


def use_shared_engines() -> None:
    """Make nbgrader's ``Gradebook`` reuse one SQLAlchemy engine per database URL.

    ``Gradebook.__init__`` calls ``nbgrader.api.create_engine`` each time (about 14
    gradebooks per graded notebook, and two per result merged into the course
    gradebook), so SQLAlchemy compiled every statement afresh: its statement cache
    belongs to the engine.  ``Gradebook.close`` disposes the engine's connection pool,
    which leaves the engine (and its cache) usable.  The last ``ENGINES_KEPT`` URLs keep
    theirs; an older one is disposed.
    """
    import nbgrader.api

    if getattr(nbgrader.api.create_engine, "_grader", False):
        return
    original = nbgrader.api.create_engine

    def create_engine(url, *args, **kwargs):
        key = (str(url), args, tuple(sorted(kwargs.items())))
        engine = _engines.pop(key, None) or original(url, *args, **kwargs)
        _engines[key] = engine
        while len(_engines) > ENGINES_KEPT:
            _engines.popitem(last=False)[1].dispose()
        return engine

    create_engine._grader = True
    nbgrader.api.create_engine = create_engine


# ------------------------------------------------------------------ 6. metadata schema, checked once

class _SchemaCheckedOnce:
    """Stands in for the ``jsonschema`` module inside ``nbgrader.nbgraderformat.common``:
    ``validate(instance, schema)`` as jsonschema's (the same validator class, the same
    best-matching error), with each schema's own check and validator made once."""

    def __init__(self, jsonschema):
        self._jsonschema = jsonschema
        self._validators: dict[str, object] = {}   # by the schema's canonical JSON

    def __getattr__(self, name):   # ValidationError and the rest: jsonschema's own
        return getattr(self._jsonschema, name)

    def validate(self, instance, schema, cls=None, *args, **kwargs):
        if cls is not None or args or kwargs:
            return self._jsonschema.validate(instance, schema, cls, *args, **kwargs)
        # nbgrader loads a fresh copy of its schema per validator, so copies are one key.
        key = json.dumps(schema, sort_keys=True)
        validator = self._validators.get(key)
        if validator is None:
            cls = self._jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            validator = self._validators[key] = cls(copy.deepcopy(schema))
        error = self._jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error


def use_schema_checked_once() -> None:
    """Make nbgrader's metadata validation check its schema once, not once per cell."""
    from nbgrader.nbgraderformat import common

    if not isinstance(common.jsonschema, _SchemaCheckedOnce):
        common.jsonschema = _SchemaCheckedOnce(common.jsonschema)


# ------------------------------------------------------------------ 2. preprocessor lists

def _trait_default(cls, name: str) -> list:
    return list(cls.class_traits()[name].default())


def derive_preprocessors(default: list, *, replace: dict | None = None,
                         insert_after: dict | None = None) -> list:
    """``default`` with each ``replace`` key swapped for its list of classes and each
    ``insert_after`` value list put right after its key.  Every key must be in
    ``default``: a class nbgrader dropped or renamed raises ``SeamError``."""
    replace, insert_after = dict(replace or {}), dict(insert_after or {})
    missing = [c.__name__ for c in [*replace, *insert_after] if c not in default]
    if missing:
        raise SeamError(f"nbgrader's default preprocessors no longer contain {missing} "
                        f"({[c.__name__ for c in default]}): re-check grader/nbgrader_seam.py")
    derived = []
    for cls in default:
        derived += replace.get(cls, [cls])
        derived += insert_after.get(cls, [])
    return derived


def autograde_preprocessors(execute: list) -> list:
    """nbgrader's autograde preprocessors with its ``Execute`` replaced by ``execute``
    (our executor and what must run right after it), everything else kept in order."""
    from nbgrader.converters import Autograde

    return derive_preprocessors(_trait_default(Autograde, "autograde_preprocessors"),
                                replace={Execute: list(execute)})


def generate_preprocessors(last: list) -> list:
    """nbgrader's GenerateAssignment preprocessors with ``last`` after them all (the build's
    DO NOT EDIT mark, put on the notebook nbgrader is about to write)."""
    from nbgrader.converters import GenerateAssignment

    return _trait_default(GenerateAssignment, "preprocessors") + list(last)


def feedback_preprocessors(after_grades: list) -> list:
    """nbgrader's feedback preprocessors with ``after_grades`` right after ``GetGrades``
    (which reads the grade ids they may need), before the HTML is rendered."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.preprocessors import GetGrades

    return derive_preprocessors(_trait_default(GenerateFeedback, "preprocessors"),
                                insert_after={GetGrades: list(after_grades)})


# ------------------------------------------------------------------ 3. kernel manager

class QuickReadyKernelClient(AsyncKernelClient):
    """``AsyncKernelClient`` whose ``wait_for_ready`` returns as soon as the kernel is ready.

    jupyter_client's version, after the ``kernel_info`` reply, waits up to 0.2 s for any
    IOPub message and then drains IOPub until it has been silent for 0.2 s: at least
    0.2 s per kernel, a fifth of a warm kernel's start.  Ready here means IOPub is
    subscribed (the first cell's outputs cannot be lost) and the kernel answers
    ``kernel_info``.  The proof of the subscription is ipykernel's ``iopub_welcome``
    (ipykernel >= 7 sends it on every new subscription), else the idle status of our
    own ``kernel_info`` request (asked again when it was published before we
    subscribed: 0.1 s lost each time).  Then only what has already arrived on IOPub
    is drained.  ``welcomed`` says which proof it was.
    """

    IOPUB_WAIT = 0.1     # seconds for our own idle status before asking again
    WELCOME_WAIT = 2.0   # seconds for an iopub_welcome before relying on idle statuses
    welcomed = False

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        self.welcomed = await self._welcome(min(deadline, time.monotonic() + self.WELCOME_WAIT))
        while True:
            msg_id = self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if (reply is not None and reply["msg_type"] == "kernel_info_reply"
                    and (self.welcomed or await self._saw_idle(msg_id))):
                self._handle_kernel_info_reply(reply)
                break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
        while True:  # what IOPub holds already (start-up statuses): not the next cell's
            try:
                await self.iopub_channel.get_msg(timeout=0)
            except Empty:
                break

    async def _welcome(self, until: float) -> bool:
        """True once IOPub delivers ipykernel's ``iopub_welcome`` (before ``until``)."""
        while (left := until - time.monotonic()) > 0:
            try:
                msg = await self.iopub_channel.get_msg(timeout=left)
            except Empty:
                return False
            if msg["msg_type"] == "iopub_welcome":
                return True
        return False

    async def _saw_idle(self, msg_id: str) -> bool:
        end = time.monotonic() + self.IOPUB_WAIT
        while (left := end - time.monotonic()) > 0:
            try:
                msg = await self.iopub_channel.get_msg(timeout=left)
            except Empty:
                return False
            if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                    and msg["content"].get("execution_state") == "idle"):
                return True
        return False


class HookedKernelManager(AsyncKernelManager):
    """AsyncKernelManager with two hooks run before the kernel's connection file is written.

    ``configure_transport()`` may set ``transport``/``ip``/``cache_ports``;
    ``new_provisioner()`` returns the provisioner (None: jupyter_client's choice).
    Both run in jupyter_client's private ``_async_pre_start_kernel``, which keeps a
    provisioner already set (``if self.provisioner is None``).  Its clients are
    ``QuickReadyKernelClient``s.
    """

    client_factory = Type(klass=QuickReadyKernelClient)
    # jupyter_client polls a kernel it asked to shut down every 0.1 s; a forked kernel
    # exits a few ms after its shutdown reply, so every notebook waited about 0.1 s
    # for nothing (shutdown 0.116 s -> about 0.03 s per lesson-03 notebook).
    EXIT_POLL = 0.005

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        await super()._async_wait(pollinterval=min(pollinterval, self.EXIT_POLL))

    def configure_transport(self) -> None:
        pass

    def new_provisioner(self):
        return None

    async def _async_pre_start_kernel(self, **kw):
        self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
        self.configure_transport()
        if self.provisioner is None:
            self.provisioner = self.new_provisioner()
        return await super()._async_pre_start_kernel(**kw)


# ------------------------------------------------------------------ 4. provisioner

class AdoptingProvisioner(LocalProvisioner):
    """LocalProvisioner that can take over a kernel process it did not start."""

    def adopt(self, process, pid: int, cwd: str):
        """Make ``process`` (a ``Popen``-like object) this provisioner's kernel; its
        ``poll``/``kill``/``send_signal``/``wait``/``cleanup`` then act on it."""
        self.process = process
        self.pid = self.pgid = pid  # the kernel called setsid(): its pid is its group
        self.cwd = cwd
        return self.connection_info


# ------------------------------------------------------------------ 5. executing a notebook

TIMEOUT = "timeout"
KERNEL_DIED = "kernel-died"

# The exception that stopped the last notebook of this process (None: none did).
_last_failure: BaseException | None = None


def failure_kind(exc: BaseException | None) -> str | None:
    """``TIMEOUT`` (a cell ran past its limit and the kernel ignored the interrupt),
    ``KERNEL_DIED``, or None (any other error, or no error)."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from nbgrader.preprocessors.execute import UnresponsiveKernelError

    if isinstance(exc, (CellTimeoutError, UnresponsiveKernelError, TimeoutError)):
        return TIMEOUT
    if isinstance(exc, DeadKernelError):
        return KERNEL_DIED
    return None


def take_execution_failure() -> BaseException | None:
    """The exception that stopped the last notebook executed here (cleared)."""
    global _last_failure
    failure, _last_failure = _last_failure, None
    return failure


class SeamExecute(Execute):
    """nbgrader's Execute preprocessor, with the nbclient internals we use made explicit."""

    def preprocess(self, nb, resources=None, km=None):
        global _last_failure
        _last_failure = None
        try:
            return super().preprocess(nb, resources, km)
        except BaseException as exc:  # nbgrader logs it as text; we keep the object
            _last_failure = exc
            raise

    def on_comm_open_jupyter_widget(self, msg):
        """No stand-in for a front end's widgets (nbclient's is for the ``Output`` widget).

        nbclient's ``OutputWidget`` answers the kernel on the shell channel while the cell
        runs, and nbclient awaits the cell's reply on that same socket: now and then the
        reply is never seen, and the notebook waits out the cell's whole time limit
        (jupyter/nbclient#312; 3 minutes for the slider of lesson 03 when grading ran
        every cell).  A grade never reads a widget: the output the widget would have
        captured stays in the cell's outputs.
        """
        return None

    def keep_output(self, outs: list, out, cell_index: int):
        """Called with each output nbclient has just appended to ``outs``; return it to
        keep it, or None after removing it from ``outs``."""
        return out

    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        return out if out is None else self.keep_output(outs, out, cell_index)

    def run_scratch_cell(self, cell, index: int) -> None:
        """Execute ``cell`` (not in the notebook) in the kernel at ``index``, leaving the
        notebook's own cell ``index`` as it was."""
        original = self.nb.cells[index]  # nbclient stores the executed cell at ``index``
        try:
            self.execute_cell(cell, index, store_history=False)
        finally:
            self.nb.cells[index] = original

    def count_code_cell(self, cell) -> None:
        """Number ``cell`` as nbclient numbers the code cells it executes."""
        self.code_cells_executed += 1
        cell.execution_count = self.code_cells_executed

    # -- comm messages: a request to code in the kernel without running a cell

    def open_comm(self, target_name: str) -> str:
        """Open a comm to ``target_name`` (registered by code already run in the kernel);
        return its id.  Messages on it are handled in order after this one."""
        comm_id = uuid.uuid4().hex
        self.kc.shell_channel.send(self.kc.session.msg(
            "comm_open", {"comm_id": comm_id, "target_name": target_name, "data": {}}))
        return comm_id

    def comm_round_trip(self, comm_id: str, data: dict, timeout: float | None,
                        grace: float = 5.0) -> dict | None:
        """Send ``data`` on the comm; return the data the kernel sends back on it while
        handling this message, or None if it went idle without (no such comm any more).

        Past ``timeout`` seconds (None: no limit) the kernel is interrupted and given
        ``grace`` seconds to finish; ``CommTimeout`` then.  A dead kernel raises nbclient's ``DeadKernelError``.
        Other outputs of the handler (a student's prints) are dropped.
        """
        from jupyter_core.utils import run_sync

        return run_sync(self._async_comm_round_trip)(comm_id, data, timeout, grace)

    async def _async_comm_round_trip(self, comm_id, data, timeout, grace):
        from nbclient.exceptions import DeadKernelError

        message = self.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        self.kc.shell_channel.send(message)
        msg_id = message["header"]["msg_id"]
        deadline = time.monotonic() + timeout if timeout else float("inf")
        interrupted, reply = False, None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                if interrupted:
                    raise CommTimeout()
                interrupted = True
                await self.km.interrupt_kernel()
                deadline = time.monotonic() + grace
                continue
            try:
                msg = await self.kc.get_iopub_msg(timeout=min(left, 1.0))
            except Empty:
                if not await self.km.is_alive():
                    raise DeadKernelError("Kernel died") from None
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue   # an earlier message's leftovers
            if msg["msg_type"] == "comm_msg" and reply is None:
                reply = msg["content"].get("data", {})
            elif msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle":
                if interrupted:
                    raise CommTimeout()
                return reply


class CommTimeout(Exception):
    """A comm request ran past its time limit (the kernel was interrupted)."""
