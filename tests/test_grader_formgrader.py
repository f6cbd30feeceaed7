"""nbgrader's Formgrader beside the grader's CLI, on a graded toy course.

The course folder carries its ``nbgrader_config.py`` (``Course.write_config``, as
``grader demo`` writes it), and the instructor's JupyterLab is started on it as an
instructor starts it, ``tools/lab --instructor --root <course>`` (from another
folder: tools/lab runs the server in the course, where Formgrader reads that
file); the tests talk to it over HTTP as Formgrader's pages do:

* the grader's CLI, run anywhere inside the course, grades that course;

* the manual-grading page of every submission renders (the course configuration
  once replaced Formgrader's page template: HTTP 500), an ungraded one's too;
* a manual grade saved through Formgrader's API is what the grading record, the
  autograde table, ``export``, ``report``, feedback and Formgrader itself show, and
  it survives ``autograde --force``;
* the grader's flags and misconception ids reach Formgrader (nbgrader's flag on the
  submission, a note in the exercise cells' automatic comment) and stay out of the
  student's feedback;
* Formgrader's buttons: Generate writes the bytes ``grader build`` writes (``grader
  check`` passes after it), Autograde is turned off before it touches anything and
  names the command (``nbgrader autograde`` in the folder too), Generate Feedback
  redacts as ``grader feedback`` does.
"""
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from fixtures.toy import TOY, hand_in, hand_in_synthetic, toy_course
from lab_server import BIN, REPO, serve

from grader.autograde import autograde
from grader.cli import main
from grader.config import COURSE_CONFIG, find_course
from grader.course.build import build, check
from grader.gradebook.gradebook import NOTES_PREFIX, gradebook
from grader.gradebook.records import load_record
from grader.judge.hidden_tests import find_leaks, html_text
from grader.results.export import grade_rows
from grader.results.feedback import generate_feedback, hidden_secrets
from grader.results.report import build_report

pytestmark = pytest.mark.xdist_group("grader-formgrader")

# ada: full marks; bob: a wrong cube with its visible test edited (modified-tests,
# [MULTIPLIED-NOT-POWERED], 3/6); cyd: the kernel dies (kernel-died, 0, no autograded notebook).
GRADED = ["ada", "bob"]
STUDENTS = ["ada", "bob", "cyd"]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = toy_course(tmp_path_factory.mktemp("formgrader") / "course")
    course.write_config()
    hand_in_synthetic(course, "ada", perfect=True)
    hand_in(course, "bob", "submitted-modified-test-cell.ipynb")
    hand_in(course, "cyd", "submitted-kernel-crash.ipynb")
    autograde(course, TOY, jobs=1, progress=False)
    return course


class Server:
    def __init__(self, url, token, log):
        self.url, self.token, self.log = url, token, log

    def call(self, method: str, path: str, body=None) -> tuple[int, str]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def json(self, method: str, path: str, body=None):
        status, text = self.call(method, path, body)
        assert status == 200, f"{method} {path}: HTTP {status}\n{text[-2000:]}\n{self.log_tail()}"
        return json.loads(text)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@pytest.fixture(scope="module")
def server(course, tmp_path_factory):
    """The instructor's JupyterLab on the course (``tools/lab --instructor --root``,
    started from elsewhere), with Jupyter's per-user folders in a temporary folder."""
    tmp = tmp_path_factory.mktemp("jupyter")
    log = tmp / "server.log"
    with serve(tmp, log, ["--instructor"], course.root, ready_path="/formgrader/api/status",
               timeout=60) as (url, token):
        yield Server(url, token, log)


def test_the_repository_and_every_course_folder_carry_the_same_configuration(course):
    assert "grader.formgrader" in COURSE_CONFIG   # the repository's file, read by config.py
    assert course.config_file.read_text() == COURSE_CONFIG


def test_the_cli_finds_the_course_from_the_working_directory(course, tmp_path):
    inside = course.submitted / "ada" / TOY
    assert find_course(inside) == course and find_course(course.root) == course
    done = subprocess.run([sys.executable, "-m", "grader", "export"], cwd=inside,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "wrote 3 row(s)" in done.stdout and done.stderr == ""
    assert (course.root / "grades.csv").read_text().splitlines()[1:] == [
        f"ada,{TOY},6,6,", f"bob,{TOY},3,6,modified-tests", f"cyd,{TOY},0,6,kernel-died"]
    # Outside any course folder: the repository, and the command says so.
    assert find_course(tmp_path) is None
    done = subprocess.run([sys.executable, "-m", "grader", "report", "no_such_lesson"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert f"course: {REPO} (no nbgrader_config.py in {tmp_path} or above it" in done.stderr


def submission_notebook_id(course, student: str) -> str:
    with gradebook(course.db_url) as gb:
        return gb.find_submission_notebook(TOY, TOY, student).id


def test_the_manual_grading_page_renders_for_every_submission(course, server):
    for student in STUDENTS:
        status, page = server.call("GET", f"/formgrader/submissions/{submission_notebook_id(course, student)}/")
        assert status == 200, f"{student}: HTTP {status}\n{page[-1500:]}\n{server.log_tail()}"
        # Formgrader's own template: a score box per graded cell, the student named.
        for grade_id in ("test_square", "test_square_hidden", "test_cube", "test_cube_hidden"):
            assert f'<input class="score tabbable" id="{grade_id}"' in page
        assert student in page
    # cyd's kernel died: the page shows the notebook as handed in, under the grader's note.
    status, page = server.call("GET", f"/formgrader/submissions/{submission_notebook_id(course, 'cyd')}/")
    assert "Not graded automatically" in page and "kernel-died" in page
    assert "os._exit(1)" in html_text(page)   # cyd's own cube
    # The formgrader's lists load too.
    submissions = server.json("GET", f"/formgrader/api/submissions/{TOY}")
    assert sorted(s["student"] for s in submissions) == STUDENTS


def grade_id_of(server, course, student: str, cell: str) -> str:
    grades = server.json("GET", f"/formgrader/api/grades?submission_id={submission_notebook_id(course, student)}")
    return next(g["id"] for g in grades if g["name"] == cell)


def everything_says(course, server, student: str) -> dict:
    """The score of ``student`` as each place an instructor or student reads it."""
    page = generate_feedback(course, TOY, [student]).written[0].read_text()
    header = next(line for line in html_text(page).splitlines() if "(Score:" in line)
    return {
        "record": load_record(course, TOY, student).score,
        "export": float(next(r["score"] for r in grade_rows(course) if r["student"] == student)),
        "report": build_report(course, TOY).scores[student],
        "feedback": float(header.split("(Score:")[1].split("/")[0]),
        "formgrader": server.json("GET", f"/formgrader/api/submission/{TOY}/{student}")["score"],
    }


def test_a_manual_grade_is_the_grade_everywhere_and_survives_a_regrade(course, server, capsys):
    # bob's cube is wrong (0 of 1 + 2 points); the instructor reads it and gives the hidden
    # test 2 points by hand in Formgrader's manual-grading view.
    assert everything_says(course, server, "bob") == dict.fromkeys(
        ["record", "export", "report", "feedback", "formgrader"], 3.0)
    grade = server.json("PUT", f"/formgrader/api/grade/{grade_id_of(server, course, 'bob', 'test_cube_hidden')}",
                        {"manual_score": 2, "extra_credit": None})
    assert grade["manual_score"] == 2 and grade["auto_score"] == 0

    # A plain re-run skips bob (nothing changed) but takes the manual grade into his record.
    assert main(["autograde", TOY, "--course-dir", str(course.root), "--no-progress", "--jobs", "1"]) == 0
    assert "skipped 3" in capsys.readouterr().out
    record = load_record(course, TOY, "bob")
    assert record.score == 5
    assert record.details["manual-grades"] == ["test_cube_hidden: 2 (auto 0)"]
    assert next(t for t in record.tests if t["grade_id"] == "test_cube_hidden")["points"] == 2

    # A forced regrade runs bob's notebook again: the manual grade stays, in every place.
    assert main(["autograde", TOY, "--course-dir", str(course.root), "--no-progress", "--jobs", "1",
                 "--force", "--student", "bob"]) == 0
    table = capsys.readouterr().out
    assert next(line for line in table.splitlines() if line.startswith("bob")).split()[1] == "5/6"
    assert everything_says(course, server, "bob") == dict.fromkeys(
        ["record", "export", "report", "feedback", "formgrader"], 5.0)
    assert load_record(course, TOY, "bob").details["manual-grades"] == ["test_cube_hidden: 2 (auto 0)"]
    grade = server.json("GET", f"/formgrader/api/grade/{grade_id_of(server, course, 'bob', 'test_cube_hidden')}")
    assert (grade["manual_score"], grade["auto_score"]) == (2, 0)


def test_flags_and_misconception_ids_are_shown_to_the_instructor_in_formgrader(course, server):
    # Formgrader lists the notebooks it can open (cyd's too: the manual view), each
    # flagged one with nbgrader's flag.
    notebooks = server.json("GET", f"/formgrader/api/submitted_notebooks/{TOY}/{TOY}")
    assert {n["student"]: n["flagged"] for n in notebooks} == {"ada": False, "bob": True, "cyd": True}

    def notes(student):   # what Formgrader shows in each exercise's comment box
        return {c["name"]: c["auto_comment"] for c in server.json(
            "GET", f"/formgrader/api/comments?submission_id={submission_notebook_id(course, student)}")}

    bob = notes("bob")
    assert bob["square"] == (f"{NOTES_PREFIX} flags: modified-tests (test_cube); "
                             "edited locked cells (restored before grading): test_cube")
    assert bob["cube"].startswith(f"{NOTES_PREFIX} misconceptions: [MULTIPLIED-NOT-POWERED] (test_cube")
    assert notes("cyd")["square"] == (f"{NOTES_PREFIX} flags: kernel-died; "
                                      "the kernel died while running the notebook")
    assert not any(note and NOTES_PREFIX in note for note in notes("ada").values())

    # The student's feedback shows neither the notes nor the flags.
    pages = {p.parent.parent.name: p.read_text() for p in generate_feedback(course, TOY).written}
    assert sorted(pages) == STUDENTS
    for student, page in pages.items():
        assert "for the instructor" not in page and "modified-tests" not in page, student
    assert "MULTIPLIED-NOT-POWERED" in pages["bob"]   # the checker's own message, as before
    assert "Python crashed" in pages["cyd"] and "Not graded automatically" not in pages["cyd"]


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_formgrader_generate_writes_what_grader_build_writes(course, server):
    build(course)
    built = _files(course.release)
    assert f"{TOY}/{TOY}.ipynb" in built and f"{TOY}/toy_checks.py" in built
    result = server.json("POST", f"/formgrader/api/assignment/{TOY}/assign", {})
    assert result["success"], result
    assert _files(course.release) == built   # DO NOT EDIT mark included
    assert check(course).in_sync


def test_formgrader_autograde_is_turned_off_before_it_touches_anything(course, server):
    graded = course.autograded_notebook("ada", TOY)
    before, record_before = graded.read_bytes(), load_record(course, TOY, "ada")
    result = server.json("POST", f"/formgrader/api/submission/{TOY}/ada/autograde", {})
    assert not result["success"]
    command = f"python -m grader autograde {TOY} --student ada --force"
    assert command in result["error"] and command in result["log"]   # the dialog's two panels
    assert graded.read_bytes() == before and load_record(course, TOY, "ada") == record_before
    assert server.json("GET", f"/formgrader/api/submission/{TOY}/ada")["score"] == 6
    # nbgrader's own command, run in the course folder, reads the same configuration.
    done = subprocess.run([str(BIN / "nbgrader"), "autograde", TOY], cwd=course.root,
                          capture_output=True, text=True, env=dict(os.environ, PATH=f"{BIN}:/usr/bin:/bin"))
    assert done.returncode != 0
    assert f"python -m grader autograde {TOY} --force" in done.stdout + done.stderr
    assert graded.read_bytes() == before


def test_formgrader_generate_feedback_redacts_as_grader_feedback_does(course, server):
    ours = generate_feedback(course, TOY, ["bob"]).written[0].read_text()
    shutil.rmtree(course.feedback)
    result = server.json("POST", f"/formgrader/api/assignment/{TOY}/generate_feedback", {})
    assert result["success"], result
    theirs = course.feedback_html("bob", TOY).read_text()
    secrets_ = hidden_secrets(course, TOY)
    assert secrets_ and "toy secret" in course.autograded_notebook("bob", TOY).read_text()
    for student in GRADED:
        page = course.feedback_html(student, TOY).read_text()
        assert find_leaks(page, secrets_) == [] and "toy secret" not in page, student
        assert NOTES_PREFIX not in page, student
    assert html_text(theirs) == html_text(ours)
    # cyd was not graded: Formgrader renders the notebook as handed in, without the grader's note.
    cyd = course.feedback_html("cyd", TOY).read_text()
    assert "os._exit(1)" in html_text(cyd) and "Not graded automatically" not in cyd
