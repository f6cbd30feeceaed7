"""Contract tests of grader/nbgrader_seam.py: one per nbgrader/jupyter behaviour it relies on.

Each fails on an upgrade that changes the behaviour, naming what to re-check.
Only the tests marked slow start a kernel (the others run in `make test-fast`).
"""
from __future__ import annotations

import asyncio
import inspect
import json
import subprocess
import sys

import pytest

from grader import nbgrader_seam as seam

RECHECK = "an nbgrader/jupyter upgrade changed this: re-check grader/nbgrader_seam.py"


def _source(obj) -> str:
    return inspect.getsource(obj)


# ------------------------------------------------------------------ 1. alembic head

def test_inprocess_alembic_head_replaces_nbgraders_lookup(monkeypatch):
    import nbgrader.api

    assert "get_alembic_version()" in _source(nbgrader.api), \
        f"nbgrader.api no longer calls get_alembic_version(): {RECHECK} (use_inprocess_alembic_head)"
    monkeypatch.setattr(nbgrader.api, "get_alembic_version", nbgrader.api.get_alembic_version)
    seam.use_inprocess_alembic_head()
    head = nbgrader.api.get_alembic_version()
    assert getattr(nbgrader.api.get_alembic_version, "_grader", False)
    assert head == seam._alembic_head() and head, \
        f"nbgrader's alembic scripts moved or have no head: {RECHECK} (_alembic_head)"


# ------------------------------------------------------------------ 2. preprocessor lists

def test_autograde_preprocessors_derive_from_nbgraders_default():
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute, IgnorePattern, LimitOutput, SaveAutoGrades

    from grader.judge.judge import JudgedExecute
    from grader.run.quiet_stderr import QuietStderr

    default = Autograde.class_traits()["autograde_preprocessors"].default()
    assert Execute in default, f"nbgrader's autograde no longer runs Execute: {RECHECK} " \
        "(autograde_preprocessors replaces it with JudgedExecute)"
    ours = seam.autograde_preprocessors([JudgedExecute, QuietStderr])
    assert Execute not in ours and ours[:2] == [JudgedExecute, QuietStderr]
    assert ours[2:] == default[1:]
    assert IgnorePattern in ours and LimitOutput in ours
    assert ours.index(QuietStderr) < ours.index(SaveAutoGrades)


def test_the_course_config_uses_the_derived_lists(tmp_path):
    from nbgrader.preprocessors import GetGrades, IgnorePattern

    from grader.autograde import autograde_config
    from grader.config import Course
    from grader.judge.hidden_tests import HideHiddenTests
    from grader.judge.judge import JudgedExecute
    from grader.results.feedback import feedback_config

    config = autograde_config(Course(tmp_path))
    assert JudgedExecute in config.Autograde.autograde_preprocessors
    assert IgnorePattern in config.Autograde.autograde_preprocessors
    feedback = feedback_config(Course(tmp_path)).GenerateFeedback.preprocessors
    assert feedback.index(HideHiddenTests) == feedback.index(GetGrades) + 1


def test_feedback_preprocessors_derive_from_nbgraders_default():
    from nbgrader.converters import GenerateFeedback
    from nbgrader.preprocessors import GetGrades

    default = GenerateFeedback.class_traits()["preprocessors"].default()
    assert GetGrades in default, f"nbgrader's feedback no longer runs GetGrades: {RECHECK} " \
        "(feedback_preprocessors puts HideHiddenTests after it)"
    marker = type("Marker", (), {})
    ours = seam.feedback_preprocessors([marker])
    assert ours.index(marker) == ours.index(GetGrades) + 1 and len(ours) == len(default) + 1


def test_generate_preprocessors_keep_nbgraders_default_and_mark_last(tmp_path):
    from nbgrader.converters import GenerateAssignment

    from grader.config import Course
    from grader.course.build import MarkGenerated, generate_config

    default = GenerateAssignment.class_traits()["preprocessors"].default()
    assert default and all(isinstance(c, type) for c in default), f"{RECHECK} (generate_preprocessors)"
    marker = type("Marker", (), {})
    assert seam.generate_preprocessors([marker]) == [*default, marker]
    config = generate_config(Course(tmp_path)).GenerateAssignment.preprocessors
    assert config[-1] is MarkGenerated and config[:-1] == list(default)


def test_a_class_nbgrader_dropped_is_refused():
    class Gone:
        pass

    with pytest.raises(seam.SeamError, match="Gone"):
        seam.derive_preprocessors([int, str], replace={Gone: [float]})


# ------------------------------------------------------------------ 3. kernel manager

def test_pre_start_kernel_hooks_choose_transport_and_provisioner(tmp_path):
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning import LocalProvisioner

    pre_start = getattr(AsyncKernelManager, "_async_pre_start_kernel", None)
    assert pre_start is not None, f"AsyncKernelManager._async_pre_start_kernel is gone: {RECHECK} " \
        "(HookedKernelManager)"
    assert "_async_pre_start_kernel(" in _source(AsyncKernelManager._async_start_kernel), \
        f"start_kernel no longer calls _async_pre_start_kernel: {RECHECK} (HookedKernelManager)"

    class Ours(LocalProvisioner):
        pass

    class Manager(seam.HookedKernelManager):
        def configure_transport(self):
            self.transport, self.cache_ports = "ipc", False
            self.ip = str(tmp_path / "kernel")

        def new_provisioner(self):
            return Ours(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)

    km = Manager(kernel_name="python3")
    km.connection_file = str(tmp_path / "connection.json")
    try:
        cmd, _ = asyncio.run(km._async_pre_start_kernel())
        assert isinstance(km.provisioner, Ours), \
            f"jupyter_client replaced the provisioner we set: {RECHECK} (new_provisioner)"
        info = json.loads((tmp_path / "connection.json").read_text())
        assert info["transport"] == "ipc" and info["ip"] == str(tmp_path / "kernel"), \
            f"the transport chosen before start was not written: {RECHECK} (configure_transport)"
        assert km.connection_file in cmd
    finally:
        km.cleanup_connection_file()


def test_a_kernel_shutting_down_is_polled_every_few_milliseconds(monkeypatch):
    import jupyter_client.manager as manager
    from jupyter_client.manager import AsyncKernelManager

    for method in (AsyncKernelManager._async_finish_shutdown, AsyncKernelManager._async_kill_kernel):
        assert "self._async_wait(" in _source(method), \
            f"{method.__name__} no longer waits with _async_wait: {RECHECK} (HookedKernelManager)"
    assert "pollinterval" in inspect.signature(AsyncKernelManager._async_wait).parameters, \
        f"_async_wait lost its pollinterval: {RECHECK} (HookedKernelManager._async_wait)"

    sleeps: list[float] = []

    async def sleep(seconds):
        sleeps.append(seconds)

    alive = iter([True, True, True, False])

    async def is_alive(self):
        return next(alive)

    monkeypatch.setattr(manager.asyncio, "sleep", sleep)
    monkeypatch.setattr(seam.HookedKernelManager, "_async_is_alive", is_alive)
    asyncio.run(seam.HookedKernelManager(kernel_name="python3")._async_wait())
    assert sleeps == [seam.HookedKernelManager.EXIT_POLL] * 3, \
        f"a kernel's exit is polled every {sleeps} s, not every few ms: {RECHECK}"


def test_the_kernel_command_is_ipykernel_launcher():
    from ipykernel.kernelspec import make_ipkernel_cmd

    cmd = make_ipkernel_cmd()
    assert cmd[1:3] == ["-m", "ipykernel_launcher"] and "-f" in cmd, \
        f"ipykernel's kernel command changed ({cmd}): re-check grader/run/kernels.py _ipykernel_argv"


# ------------------------------------------------------------------ 4. provisioner

def test_an_adopted_process_is_polled_killed_and_waited_for():
    from jupyter_client.provisioning import LocalProvisioner

    launch = _source(LocalProvisioner.launch_kernel)
    for name in ("self.process =", "self.pid =", "self.pgid =", "self.cwd ="):
        assert name in launch, f"LocalProvisioner.launch_kernel no longer sets {name[:-2]}: " \
            f"{RECHECK} (AdoptingProvisioner.adopt)"
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                            start_new_session=True)
    provisioner = seam.AdoptingProvisioner(kernel_id="k", kernel_spec=None, parent=None)
    provisioner.connection_info = {"transport": "tcp"}
    try:
        assert provisioner.adopt(proc, proc.pid, "/") == {"transport": "tcp"}
        assert asyncio.run(provisioner.poll()) is None, f"poll ignores the adopted process: {RECHECK}"
        asyncio.run(provisioner.kill())
        asyncio.run(provisioner.wait())
        assert proc.poll() is not None, f"kill/wait ignore the adopted process: {RECHECK}"
    finally:
        proc.kill()
        proc.wait()


# ------------------------------------------------------------------ 5. executing a notebook

def test_execution_failures_are_classified_by_type():
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    assert seam.failure_kind(CellTimeoutError("x")) == seam.TIMEOUT
    assert seam.failure_kind(DeadKernelError("x")) == seam.KERNEL_DIED
    assert seam.failure_kind(CellExecutionError("t", "e", "v")) is None
    assert seam.failure_kind(None) is None
    import nbclient.client

    source = _source(nbclient.client)
    assert "raise DeadKernelError" in source and "CellTimeoutError.error_from_timeout_and_cell" \
        in source, f"nbclient raises other exceptions for a dead or stuck kernel: {RECHECK} " \
        "(failure_kind)"


def test_the_exception_that_stopped_a_notebook_is_kept(monkeypatch):
    from nbclient.exceptions import DeadKernelError
    from nbconvert.preprocessors import ExecutePreprocessor

    def dies(self, nb, resources=None, km=None):
        raise DeadKernelError("Kernel died")

    monkeypatch.setattr(ExecutePreprocessor, "preprocess", dies)
    assert "def preprocess" not in _source(seam.Execute), \
        f"nbgrader's Execute now has a preprocess of its own: {RECHECK} (SeamExecute.preprocess)"
    with pytest.raises(DeadKernelError):
        seam.SeamExecute().preprocess(None, {})
    assert seam.failure_kind(seam.take_execution_failure()) == seam.KERNEL_DIED
    assert seam.take_execution_failure() is None


def _client(cls):
    """An Execute preprocessor set up as its preprocess sets it up, without a kernel."""
    import nbformat
    from nbclient import NotebookClient

    client = cls()
    NotebookClient.__init__(client, nbformat.v4.new_notebook())
    client.reset_execution_trackers()
    client.clear_before_next_output = False  # set per cell by async_execute_cell
    return client


def test_keep_output_sees_every_output_nbclient_stores():
    import nbclient.client

    assert list(inspect.signature(nbclient.client.NotebookClient.output).parameters) == \
        ["self", "outs", "msg", "display_id", "cell_index"], f"NotebookClient.output changed: {RECHECK}"
    assert "self.output(cell.outputs, msg, display_id, cell_index)" in \
        _source(nbclient.client.NotebookClient.process_message), \
        f"nbclient no longer stores outputs through self.output: {RECHECK} (keep_output)"

    class Dropping(seam.SeamExecute):
        def keep_output(self, outs, out, cell_index):
            outs.remove(out)
            return None

    msg = {"msg_type": "stream", "header": {"msg_type": "stream"}, "parent_header": {"msg_id": "m"},
           "content": {"name": "stdout", "text": "hi\n"}}
    kept = _client(seam.SeamExecute)
    outs: list = []
    assert kept.output(outs, msg, None, 0) is outs[0] and outs[0].text == "hi\n"
    dropping = _client(Dropping)
    outs = []
    assert dropping.output(outs, msg, None, 0) is None and outs == []


def test_nbclient_stores_the_executed_cell_at_its_index_and_counts_it():
    import nbclient.client

    source = _source(nbclient.client.NotebookClient.async_execute_cell)
    assert 'self.nb["cells"][cell_index] = cell' in source, \
        f"nbclient no longer writes the executed cell back at its index: {RECHECK} (run_scratch_cell)"
    assert "self.code_cells_executed += 1" in source, \
        f"nbclient counts executed cells differently: {RECHECK} (count_code_cell)"
    client = _client(seam.SeamExecute)
    cell = type("Cell", (), {})()
    client.count_code_cell(cell)
    assert client.code_cells_executed == 1 and cell.execution_count == 1


# ------------------------------------------------------------------ kernel_zygote (no nbgrader there)

def test_ipykernel_starts_from_launch_new_instance_and_watches_jpy_parent_pid():
    import ipykernel.kernelapp
    import ipykernel.parentpoller

    assert callable(getattr(ipykernel.kernelapp, "launch_new_instance", None)), \
        "ipykernel.kernelapp.launch_new_instance is gone: re-check grader/run/kernel_zygote.py (_child)"
    assert "JPY_PARENT_PID" in _source(ipykernel.kernelapp), \
        "ipykernel no longer reads JPY_PARENT_PID: re-check grader/run/kernel_zygote.py (a forked " \
        "kernel must exit with its zygote)"


# ------------------------------------------------------------------ 6. metadata schema checked once

def _nbgrader_cell(**meta):
    import nbformat

    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade": False, "solution": True,
                                 "locked": False, "task": False, "grade_id": "a", **meta}
    return cell


def test_metadata_validation_checks_its_schema_once_with_the_same_verdicts(monkeypatch):
    import jsonschema
    from nbgrader.nbgraderformat import MetadataValidator, common

    assert "jsonschema.validate(cell.metadata['nbgrader'], self.schema)" in \
        _source(common.BaseMetadataValidator.validate_cell), \
        f"nbgrader validates cell metadata another way: {RECHECK} (use_schema_checked_once)"
    monkeypatch.setattr(common, "jsonschema", jsonschema)
    cells = [_nbgrader_cell(), _nbgrader_cell(points=2), _nbgrader_cell(grade_id=3),
             _nbgrader_cell(grade=True), _nbgrader_cell(points="two", grade=True)]

    def verdicts():
        found = []
        for cell in cells:
            try:
                MetadataValidator().validate_cell(cell)
                found.append(None)
            except jsonschema.ValidationError as err:
                found.append((err.message, list(err.path)))
        return found

    theirs = verdicts()
    assert theirs[0] is None and theirs[2] is not None, "the cases no longer test anything"
    checks = []
    real_check = jsonschema.validators.validator_for(MetadataValidator().schema).check_schema
    seam.use_schema_checked_once()
    monkeypatch.setattr(jsonschema.validators.validator_for(MetadataValidator().schema),
                        "check_schema", classmethod(lambda cls, s: checks.append(1) or real_check(s)))
    assert verdicts() == theirs
    assert len(checks) <= 1, "the schema was checked per cell"
    seam.use_schema_checked_once()   # idempotent
    assert isinstance(common.jsonschema, seam._SchemaCheckedOnce)
    assert common.jsonschema.ValidationError is jsonschema.ValidationError


# ------------------------------------------------------------------ 7. quick kernel readiness

def test_nbclient_awaits_wait_for_ready_and_our_client_replaces_it():
    from jupyter_client.asynchronous import AsyncKernelClient
    from nbclient import NotebookClient

    assert "self.kc.wait_for_ready(" in _source(NotebookClient.async_start_new_kernel_client), \
        f"nbclient no longer awaits kc.wait_for_ready: {RECHECK} (QuickReadyKernelClient)"
    for name in ("kernel_info", "_async_is_alive", "_handle_kernel_info_reply"):
        assert callable(getattr(AsyncKernelClient, name, None)), \
            f"AsyncKernelClient.{name} is gone: {RECHECK} (QuickReadyKernelClient)"
    assert seam.HookedKernelManager(kernel_name="python3").client_factory \
        is seam.QuickReadyKernelClient


@pytest.mark.slow
def test_a_quick_ready_kernel_loses_no_output_of_its_first_cell():
    """Ready means IOPub is subscribed (ipykernel said so with iopub_welcome): the first
    cell's output arrives, kernel after kernel."""
    import nbformat
    from nbclient import NotebookClient

    for attempt in range(4):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"print('first {attempt}')")])
        client = NotebookClient(nb, kernel_name="python3", timeout=30,
                                kernel_manager_class=seam.HookedKernelManager)
        with client.setup_kernel():
            assert isinstance(client.kc, seam.QuickReadyKernelClient)
            assert client.kc.welcomed, f"ipykernel sent no iopub_welcome: {RECHECK} " \
                "(QuickReadyKernelClient now waits for idle statuses, 0.1 s per miss)"
            client.execute_cell(nb.cells[0], 0)
        assert [o.get("text") for o in nb.cells[0].outputs] == [f"first {attempt}\n"], attempt


# ------------------------------------------------------------------ 8. deferred IRI grammar

_IRI_CASES = ["http://example.com/ä", "http://example.com/a b", "urn:isbn:0451450523",
              "not an iri", "//relative/path"]
_IRI_VERDICTS = """
import json, sys
import jsonschema
checker = jsonschema.FormatChecker()
cases = json.loads(sys.argv[1])
print(json.dumps({"lark_before": "lark" in sys.modules,
                  "iri": [checker.conforms(c, "iri") for c in cases],
                  "iri-reference": [checker.conforms(c, "iri-reference") for c in cases],
                  "lark_after": "lark" in sys.modules}))
"""


def _iri_verdicts(prelude: str) -> dict:
    done = subprocess.run([sys.executable, "-c", prelude + _IRI_VERDICTS, json.dumps(_IRI_CASES)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_the_iri_grammar_loads_only_when_a_schema_checks_an_iri():
    """grader.deferred_imports: importing the grader (and nbformat, nbgrader) compiles no
    IRI grammar, and jsonschema's iri formats give the verdicts they give without it."""
    import jsonschema._format

    assert "from rfc3987_syntax import is_valid_syntax" in _source(jsonschema._format), \
        "jsonschema imports rfc3987_syntax another way: re-check grader/deferred_imports.py"
    theirs = _iri_verdicts("")
    ours = _iri_verdicts("import grader.autograde, nbgrader.converters\n")
    assert theirs["lark_before"] and not ours["lark_before"], \
        "the grader's imports compile the IRI grammar (grader/deferred_imports.py not in effect)"
    assert ours["iri"] == theirs["iri"] and ours["iri-reference"] == theirs["iri-reference"]
    assert ours["lark_after"], "the real rfc3987_syntax was not loaded for an IRI check"
    assert True in theirs["iri"] and False in theirs["iri"], "the cases no longer test anything"


# ------------------------------------------------------------------ 9. one engine per gradebook file

def test_gradebooks_of_one_file_share_an_engine_that_outlives_close(tmp_path, monkeypatch):
    import nbgrader.api

    assert "create_engine(" in _source(nbgrader.api.Gradebook.__init__), \
        f"Gradebook no longer calls nbgrader.api.create_engine: {RECHECK} (use_shared_engines)"
    assert "self.engine.dispose()" in _source(nbgrader.api.Gradebook.close), \
        f"Gradebook.close no longer only disposes its engine: {RECHECK} (use_shared_engines)"
    monkeypatch.setattr(nbgrader.api, "create_engine", nbgrader.api.create_engine)
    monkeypatch.setattr(seam, "_engines", type(seam._engines)())
    seam.use_inprocess_alembic_head()
    seam.use_shared_engines()
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with nbgrader.api.Gradebook(url) as first:
        first.add_student("ada")
        engine = first.engine
    with nbgrader.api.Gradebook(url) as second:   # after close: the same engine, still usable
        assert second.engine is engine
        assert [s.id for s in second.students] == ["ada"]
        second.add_student("grace")
    others = []
    for i in range(seam.ENGINES_KEPT):
        with nbgrader.api.Gradebook(f"sqlite:///{tmp_path / f'other-{i}.db'}") as gb:
            others.append(gb.engine)
    with nbgrader.api.Gradebook(url) as third:   # pushed out by the others: a fresh engine
        assert third.engine is not engine
        assert sorted(s.id for s in third.students) == ["ada", "grace"]
    assert len(seam._engines) == seam.ENGINES_KEPT


# ------------------------------------------------------------------ 10. no Output widget stand-in

_SLIDER = """
import ipywidgets as widgets
def show(z):
    print(f"z is {z}")
widgets.interactive(show, z=widgets.FloatSlider(value=0.5))
"""


def test_nbclient_stands_in_for_the_output_widget_on_the_shell_channel():
    from nbclient import NotebookClient
    from nbclient.output_widget import OutputWidget

    assert "self.on_comm_open_jupyter_widget" in _source(NotebookClient.__init__), \
        f"nbclient no longer opens widgets through on_comm_open_jupyter_widget: {RECHECK}"
    assert "shell_channel.send(" in _source(OutputWidget._publish_msg), \
        f"nbclient's OutputWidget no longer sends on the shell channel: {RECHECK} " \
        "(SeamExecute.on_comm_open_jupyter_widget may be unnecessary)"


@pytest.mark.slow
def test_a_widget_cell_sends_nothing_to_the_kernel_and_keeps_its_output(tmp_path, monkeypatch):
    """nbclient's own client builds an OutputWidget for the slider (which then answers the
    kernel on the shell channel during the cell: jupyter/nbclient#312); ours builds none,
    and the text the widget would have captured is the cell's output."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.output_widget import OutputWidget

    built = []
    original = OutputWidget.__init__
    monkeypatch.setattr(OutputWidget, "__init__",
                        lambda self, *a, **kw: (built.append(1), original(self, *a, **kw))[1])

    def notebook():
        return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(_SLIDER)])

    plain = notebook()
    NotebookClient(plain, kernel_name="python3", timeout=60).execute()
    assert built, "nbclient built no OutputWidget: the control of this test no longer holds"
    built.clear()
    ours = notebook()
    ours, _ = seam.SeamExecute(kernel_name="python3", timeout=60).preprocess(
        ours, {"metadata": {"path": str(tmp_path)}})
    assert built == []
    assert any("z is 0.5" in o.get("text", "") for o in ours.cells[0].outputs), ours.cells[0].outputs
