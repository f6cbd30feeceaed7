"""JupyterLab in a real browser, as a student (and an instructor in Formgrader) uses it.

Playwright drives Debian's ``chromium`` (``apt-get install chromium``; ``.ci/run``
installs it; Playwright's own browser download is not used) against JupyterLab
started by ``tools/lab``, the script ``make lab`` runs, with the same arguments and
``jupyter-config/``, on a temporary copy of ``lessons/`` (the repository's lessons
are never touched) and with Jupyter's per-user directories in that temporary
folder too, so nothing in the tester's home changes the result.

* the student's lab: nbgrader's student side only (Nbgrader > Assignment List and
  the Validate button; no Formgrader, no Create Assignment), no news pop-up;
* lesson 01 as a student works it: run the cells above the first exercise, type a
  wrong answer into the exercise cell through the editor, run its test cell and read
  the named mistake on the page, type the right answers, click Validate and read
  nbgrader's success dialog; no kernel, not even Validate's, warned about TCP
  without encryption;
* every lesson as released: it opens, its cells and markdown render, and no cell
  before its first exercise shows an error output;
* an instructor in Formgrader (``tools/lab --instructor --root`` on a graded toy
  course): the flagged submission is marked, its manual-grading page shows the
  grader's flags and misconception ids in the comment boxes, a score typed there
  is what ``export`` and the grading record say, and a forced regrade keeps it.

A failing step saves a screenshot (and the server log is kept) in
``build/browser-test/``; ``BROWSER_SCREENSHOTS=all`` saves one after every step.
Skipped only when chromium or Playwright is missing, unless ``BROWSER_TESTS_REQUIRED=1``
(``.ci/run`` sets it): then they fail. Slow (a JupyterLab server, kernels, TensorFlow,
nbgrader's Validate runs the whole lesson): about a minute.
"""
import contextlib
import os
import re
import shutil
import time

import nbformat
import pytest
from lab_server import REPO, serve

# One server and one browser for the module: under xdist (`make test`) every test here
# runs on the same worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

OUT = REPO / "build" / "browser-test"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LESSONS = sorted(p.name for p in (REPO / "lessons").iterdir() if (p / f"{p.name}.ipynb").is_file())

REQUIRED = os.environ.get("BROWSER_TESTS_REQUIRED") == "1"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the dev lock installs it; the fixture below says so
    sync_playwright = None
else:
    expect.set_options(timeout=30_000)
MISSING = ("Playwright is not installed (.venv/bin/python -m pip install -r requirements-dev.lock)"
           if sync_playwright is None else
           "chromium is not installed (apt-get install chromium; or set CHROMIUM=/path/to/chromium)"
           if CHROMIUM is None else None)

# Lesson 01, exercise 1: the bias left out, a mistake the checker names.
WRONG_CELL_FORWARD = '''def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel)'''
RIGHT_CELL_FORWARD = '''def rnn_cell_forward(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)'''
TCP_WARNING = "Kernel is running over TCP without encryption"


# ---------------------------------------------------------------- the server and the browser

class Lab:
    def __init__(self, url, token, lessons, log):
        self.url, self.token, self.lessons, self.log = url, token, lessons, log

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _needs_a_browser():
    if MISSING and REQUIRED:
        pytest.fail(f"BROWSER_TESTS_REQUIRED=1 but {MISSING}")
    if MISSING:
        pytest.skip(MISSING)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab from tools/lab (what `make lab` runs) on a copy of lessons/."""
    _needs_a_browser()
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    tmp = tmp_path_factory.mktemp("lab")
    lessons = tmp / "lessons"
    shutil.copytree(REPO / "lessons", lessons, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    log = OUT / "jupyterlab.log"
    with serve(tmp, log, [], lessons) as (url, token):
        yield Lab(url, token, lessons, log)


@pytest.fixture(scope="module")
def browser():
    """One chromium for the module (Playwright's sync API runs one instance per thread)."""
    _needs_a_browser()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def page(lab, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(30_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield page
    finally:
        if errors:
            (OUT / "page-errors.txt").write_text("\n\n".join(errors))
        page.close()


@contextlib.contextmanager
def step(page, name):
    """One step a student takes; when it fails, a screenshot of the page is kept."""
    slug = re.sub(r"\W+", "-", name).strip("-")
    start = time.monotonic()
    try:
        yield
    except BaseException:
        path = OUT / f"FAILED-{slug}.png"
        with contextlib.suppress(Exception):   # the step's own error is the one to report
            page.screenshot(path=str(path))
        print(f"step {name!r} failed; screenshot: {path}; server log: {OUT / 'jupyterlab.log'}")
        raise
    with open(OUT / "steps.txt", "a") as log:
        log.write(f"{time.monotonic() - start:6.1f} s  {name}\n")
    if os.environ.get("BROWSER_SCREENSHOTS") == "all":
        page.screenshot(path=str(OUT / f"{slug}.png"))


# ---------------------------------------------------------------- what a student does

NOTEBOOK = ".jp-NotebookPanel:visible"


def open_lab(page, lab):
    if not page.url.startswith(f"{lab.url}/lab"):
        page.goto(f"{lab.url}/lab?token={lab.token}")
    page.locator(".jp-DirListing-item").first.wait_for()


def open_lesson(page, lab, lesson):
    """Through the file browser, as a student: the lessons folder, the lesson's folder, its notebook."""
    open_lab(page, lab)
    # An item's title starts "Name: <name>\n".
    folder, notebook = (page.locator(f".jp-DirListing-item[title^='Name: {name}\\A ']")
                        for name in (lesson, f"{lesson}.ipynb"))
    # Under load the file browser may still be finishing a navigation of its own (back into
    # the previous lesson's folder, the page's /lab/tree/<folder>) after the click on home,
    # and the folder's item goes from under the double click: go home again, up to 3 times.
    for attempt in range(3):
        page.locator(".jp-FileBrowser .jp-BreadCrumbs-home").click()
        try:
            folder.dblclick(timeout=10_000)
            notebook.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    notebook.dblclick()
    nb = nbformat.read(lab.lessons / lesson / f"{lesson}.ipynb", as_version=4)
    cell(page, first_exercise(nb)).wait_for()     # the cells up to the first exercise are there
    return nb


def close_current_tab(page):
    page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabCloseIcon").click()
    expect(page.locator(NOTEBOOK)).to_have_count(0)


def cell(page, index):
    return page.locator(f"{NOTEBOOK} .jp-Notebook .jp-Cell").nth(index)


def first_exercise(nb) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution"))


def index_of(nb, grade_id) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def type_into(page, index, source, *, keystrokes=False):
    """Replace a cell's text through its editor (CodeMirror): click into it, select all,
    then type key by key (``keystrokes``: a def line and a one-line body; the editor
    indents the body itself and closes brackets as it does for a student) or insert the
    text in one input event, as a paste does (longer answers with docstrings)."""
    editor = cell(page, index).locator(".cm-content")
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    if keystrokes:
        first, body = source.split("\n")
        page.keyboard.type(first)
        page.keyboard.press("Enter")
        page.keyboard.type(body.strip())
    else:
        page.keyboard.insert_text(source)
    expect(editor).to_have_text(source.replace("\n", ""), use_inner_text=False)


def run_cell_and_its_test(page):
    """Shift+Enter twice: the cell being edited, then the test cell below it."""
    page.keyboard.press("Shift+Enter")
    page.keyboard.press("Shift+Enter")


def error_outputs(page, stop):
    """Text of every error or stderr output (JupyterLab shows both as stderr) in the
    cells before index ``stop``."""
    found = []
    for i in range(stop):
        outputs = cell(page, i).locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        found += [f"cell {i}: {text}" for text in outputs.all_inner_texts()]
    return found


# ---------------------------------------------------------------- the tests

def test_the_student_lab_has_no_formgrader_no_create_assignment_and_no_news(lab, page):
    with step(page, "open the lab"):
        open_lab(page, lab)
        expect(page.locator(".jp-DirListing-item")).to_have_count(len(LESSONS))
    with step(page, "read the menu bar"):
        menus = page.locator("#jp-menu-panel .lm-MenuBar-itemLabel").all_inner_texts()
        assert "Nbgrader" in menus, menus
        page.locator("#jp-menu-panel .lm-MenuBar-item", has_text="Nbgrader").click()
        items = [t for t in page.locator(".lm-Menu .lm-Menu-item:visible .lm-Menu-itemLabel")
                 .all_inner_texts() if t.strip()]
        assert items == ["Assignment List"], items       # no Formgrader, Course List, Create assignment
        page.keyboard.press("Escape")
    with step(page, "read the right sidebar"):
        tabs = page.locator(".jp-SideBar.jp-mod-right .lm-TabBar-tab")
        titles = [tabs.nth(i).get_attribute("title") or "" for i in range(tabs.count())]
        assert not any("Create Assignment" in t for t in titles), titles
        assert page.locator("#nbgrader-create_assignemnt").count() == 0   # nbgrader's id, sic
    with step(page, "no news pop-up"):
        page.wait_for_timeout(1000)   # the announcements plugin would ask once the lab is restored
        assert page.get_by_text("Would you like to get notified").count() == 0
        disabled = page.evaluate(
            "JSON.parse(document.getElementById('jupyter-config-data').textContent).disabledExtensions")
        assert "@jupyterlab/apputils-extension:announcements" in disabled, disabled
    log = lab.log_text()
    assert "nbgrader.server_extensions.validate_assignment | extension was successfully loaded" in log
    assert "nbgrader.server_extensions.formgrader | extension was successfully loaded" not in log


def test_lesson_01_names_a_wrong_answer_and_validates_the_right_one(lab, page):
    from grader.config import Course
    from grader.course.synthesize import solution_sources

    lesson = "01_simple_rnn"
    with step(page, "open lesson 01"):
        nb = open_lesson(page, lab, lesson)
        expect(page.locator(".jp-StatusBar-Widget", has_text="Python 3 (ipykernel) | Idle")).to_be_visible(
            timeout=60_000)
    first = first_exercise(nb)
    exercise, test = index_of(nb, "rnn_cell_forward"), index_of(nb, "test_rnn_cell_forward")
    with step(page, "run every cell above the first exercise"):
        cell(page, first).locator(".jp-InputPrompt").click()      # select it (command mode)
        page.locator("#jp-menu-panel .lm-MenuBar-item", has_text="Run").click()
        page.locator(".lm-Menu .lm-Menu-item:visible", has_text="Run All Above Selected Cell").click()
        code = [i for i in range(first) if nb.cells[i].cell_type == "code"]
        for i in code:
            expect(cell(page, i).locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]:"),
                                                                          timeout=120_000)
        assert error_outputs(page, first) == []
    with step(page, "a wrong answer: the test cell names the mistake"):
        type_into(page, exercise, WRONG_CELL_FORWARD, keystrokes=True)
        run_cell_and_its_test(page)
        output = cell(page, test).locator(".jp-OutputArea-output")
        expect(output).to_contain_text("[MISSING-BIAS]", timeout=60_000)
        text = output.inner_text()
        assert "The bias was left out" in text and "Reread: 01_simple_rnn" in text, text
        assert "Traceback" not in text and "course_utils" not in text, text   # the message alone
    with step(page, "the right answer: the test cell passes"):
        type_into(page, exercise, RIGHT_CELL_FORWARD, keystrokes=True)
        run_cell_and_its_test(page)
        expect(cell(page, test).locator(".jp-OutputArea-output")).to_have_text(
            re.compile(r"^✔ rnn_cell_forward"), timeout=60_000)
    with step(page, "the other exercises answered"):
        answers = solution_sources(Course.at(), lesson)
        for grade_id in ("rnn_forward", "predict_last_step"):
            type_into(page, index_of(nb, grade_id), answers[grade_id])
            run_cell_and_its_test(page)
            expect(cell(page, index_of(nb, f"test_{grade_id}")).locator(".jp-OutputArea-output")).to_have_text(
                re.compile(rf"^✔ {grade_id}"), timeout=60_000)
    with step(page, "Validate: the success dialog"):
        page.locator(f"{NOTEBOOK} .validate-button").click()
        dialog = page.locator(".jp-Dialog", has_text="Validation Results")
        expect(dialog).to_contain_text("Success! Your notebook passes all the tests.", timeout=180_000)
        dialog.get_by_role("button", name="Ok").click()
        expect(dialog).to_have_count(0)
    with step(page, "close lesson 01"):
        close_current_tab(page)
    # Kernels write their warnings to the server's terminal: the lesson's kernel and the
    # one Validate started have both run by now.
    assert TCP_WARNING not in lab.log_text()


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_lesson_renders_with_no_error_output_before_its_first_exercise(lab, page, lesson):
    with step(page, f"open {lesson}"):
        nb = open_lesson(page, lab, lesson)
    first = first_exercise(nb)
    with step(page, f"{lesson} renders"):
        title = nb.cells[0].source.splitlines()[0].lstrip("# ").strip()
        expect(cell(page, 0).locator("h1")).to_contain_text(title)
        markdown = [i for i in range(first) if nb.cells[i].cell_type == "markdown"]
        for i in markdown:
            expect(cell(page, i)).to_have_class(re.compile(r"\bjp-mod-rendered\b"))
        if any("$" in nb.cells[i].source for i in markdown):
            expect(page.locator(f"{NOTEBOOK} mjx-container").first).to_be_attached()
        assert page.locator(f"{NOTEBOOK} mjx-merror").count() == 0     # no LaTeX error
        assert page.locator(".jp-Dialog").count() == 0                  # no error dialog on opening
        assert page.locator(f"{NOTEBOOK} .validate-button").count() == 1
    with step(page, f"{lesson} has no error output before its first exercise"):
        assert error_outputs(page, first) == []
    with step(page, f"close {lesson}"):
        close_current_tab(page)


# ---------------------------------------------------------------- what an instructor does

@pytest.fixture(scope="module")
def instructor_lab(tmp_path_factory):
    """The instructor's lab (``tools/lab --instructor --root``, as the README says for a
    kept demo) on a graded toy course with its nbgrader_config.py: ada full marks, bob a
    wrong cube with its visible test edited (3/6, modified-tests, [MULTIPLIED-NOT-POWERED])."""
    from fixtures.toy import TOY, hand_in, hand_in_synthetic, toy_course

    from grader.autograde import autograde

    _needs_a_browser()
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path_factory.mktemp("instructor")
    course = toy_course(tmp / "course")
    course.write_config()
    hand_in_synthetic(course, "ada", perfect=True)
    hand_in(course, "bob", "submitted-modified-test-cell.ipynb")
    autograde(course, TOY, jobs=1, progress=False)
    log = OUT / "jupyterlab-instructor.log"
    with serve(tmp, log, ["--instructor"], course.root) as (url, token):
        yield Lab(url, token, course.root, log), course


def test_an_instructor_grades_by_hand_in_formgrader_and_the_cli_agrees(instructor_lab, browser):
    from fixtures.toy import TOY

    from grader.cli import main
    from grader.gradebook.gradebook import gradebook
    from grader.gradebook.records import load_record
    from grader.results.export import grade_rows

    lab, course = instructor_lab
    with gradebook(course.db_url) as gb:
        bob = gb.find_submission_notebook(TOY, TOY, "bob").id
    page = browser.new_page(viewport={"width": 1400, "height": 900})   # a login cookie of its own
    page.set_default_timeout(30_000)
    try:
        with step(page, "log in through the lab"):
            page.goto(f"{lab.url}/lab?token={lab.token}")   # sets the login cookie
            page.locator(".jp-DirListing-item").first.wait_for()
        with step(page, "formgrader: the toy's submissions, bob flagged"):
            page.goto(f"{lab.url}/formgrader/gradebook/{TOY}/{TOY}")
            expect(page.locator("tbody tr")).to_have_count(2)
            expect(page.locator(".flagged .glyphicon-flag")).to_have_count(1)
        with step(page, "open bob's submission for manual grading"):
            page.goto(f"{lab.url}/formgrader/submissions/{bob}/")
            expect(page.locator("input.score#test_cube_hidden")).to_be_visible()
            expect(page.locator("input.score#test_cube_hidden")).to_have_attribute("placeholder", "0")
        with step(page, "the grader's flags and misconception ids in the comment boxes"):
            expect(page.locator("#square-comment")).to_have_attribute(
                "placeholder", re.compile(r"^grader, for the instructor: flags: modified-tests \(test_cube\)"))
            expect(page.locator("#cube-comment")).to_have_attribute(
                "placeholder", re.compile(r"misconceptions: \[MULTIPLIED-NOT-POWERED\]"))
        with step(page, "a manual grade: 2 points for the hidden cube test"):
            box = page.locator("input.score#test_cube_hidden")
            box.fill("2")
            box.press("Tab")     # Formgrader saves on change
            deadline = time.monotonic() + 30
            while next(r["score"] for r in grade_rows(course) if r["student"] == "bob") != "5":
                assert time.monotonic() < deadline, "Formgrader did not save the manual grade"
                time.sleep(0.3)
        with step(page, "a forced regrade keeps it, and every place says 5"):
            assert main(["autograde", TOY, "--course-dir", str(course.root), "--force",
                         "--student", "bob", "--jobs", "1", "--no-progress"]) == 0
            assert load_record(course, TOY, "bob").score == 5
            assert next(r["score"] for r in grade_rows(course) if r["student"] == "bob") == "5"
            page.reload()
            expect(page.locator("input.score#test_cube_hidden")).to_have_value("2")
            page.goto(f"{lab.url}/formgrader/gradebook/{TOY}/{TOY}")
            expect(page.locator("tbody tr", has_text="5 / 6")).to_have_count(1)
    finally:
        page.close()
