"""benchmarks/autograde_speed.py: its pure helpers (lesson list, score comparison, the table).

Nothing here grades: the benchmark itself is run by hand (`make bench`).
"""
import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "autograde_speed.py"
spec = importlib.util.spec_from_file_location("autograde_speed", SCRIPT)
bench = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = bench  # dataclasses look their module up there
spec.loader.exec_module(bench)

LESSONS = ["01_simple_rnn", "03_gru", "04_lstm"]


def test_the_lessons_are_the_solution_folders():
    lessons = bench.available_lessons()
    assert lessons == sorted(lessons)
    assert {"01_simple_rnn", "03_gru", "04_lstm"} <= set(lessons)


@pytest.mark.parametrize("values, expected", [
    (None, ["01_simple_rnn"]),
    (["all"], LESSONS),
    (["04_lstm,03_gru"], ["04_lstm", "03_gru"]),
    (["04_lstm", "03_gru", "04_lstm"], ["04_lstm", "03_gru"]),
    (["03_gru, all"], ["03_gru", "01_simple_rnn", "04_lstm"]),
    (["03_gru,"], ["03_gru"]),
])
def test_lesson_arguments(values, expected):
    assert bench.parse_lessons(values, LESSONS) == expected


def test_an_unknown_lesson_is_refused():
    with pytest.raises(ValueError, match="05_nope"):
        bench.parse_lessons(["03_gru,05_nope"], LESSONS)


def test_scores_are_compared_student_by_student():
    plain = {"a": (3.0, 5.0), "b": (5.0, 5.0), "c": (0.0, 5.0)}
    assert bench.compare_scores(plain, dict(plain)) == {}
    assert bench.compare_scores(plain, {"a": (3.0, 5.0), "b": (4.0, 5.0), "d": (1.0, 5.0)}) == {
        "b": ((5.0, 5.0), (4.0, 5.0)), "c": ((0.0, 5.0), None), "d": (None, (1.0, 5.0))}


def test_batch_overhead_is_the_wall_time_the_records_do_not_explain():
    assert bench.batch_overhead(30.0, [10.0, 10.0, 10.0, 10.0], jobs=2) == pytest.approx(10.0)
    assert bench.batch_overhead(30.0, [10.0], jobs=2) == pytest.approx(20.0)  # one job busy
    assert bench.batch_overhead(30.0, [], jobs=2) == pytest.approx(30.0)


def result(lesson, students, plain, ours, every=None, differ=None):
    r = bench.LessonResult(lesson, students, times={"plain": [plain], "ours": [ours]})
    if every is not None:
        r.times["all-cells"] = [every]
    r.record_seconds = [1.0] * students
    r.overheads = [2.0]
    r.differences = differ or {}
    return r


def test_the_table_has_a_row_per_lesson_and_the_course_totals():
    table = bench.results_table([result("03_gru", 2, 20.0, 10.0),
                                 result("04_lstm", 4, 40.0, 10.0,
                                        differ={"ours": {"s001": ((5.0, 5.0), (4.0, 5.0))}})],
                                ["plain", "ours"], jobs=2)
    lines = table.splitlines()
    assert lines[0].split() == ["lesson", "students", "plain", "s/nb", "ours", "s/nb", "plain/ours",
                                "ours", "rec", "s/nb", "ours", "overhead", "s", "scores", "same"]
    by_lesson = {line.split()[0]: line.split() for line in lines if line.startswith(("0", "course"))}
    assert by_lesson["03_gru"] == ["03_gru", "2", "10.00", "5.00", "2.00x", "1.00", "2.0", "yes"]
    assert by_lesson["04_lstm"] == ["04_lstm", "4", "10.00", "2.50", "4.00x", "1.00", "2.0", "no", "(1)"]
    # course: 6 notebooks, 60 s plain and 20 s ours in all, 3x overall
    assert by_lesson["course"] == ["course", "6", "60.0s", "20.0s", "3.00x", "1.00", "-", "no", "(1)"]


def test_all_cells_columns_only_when_asked_and_a_failed_lesson_is_shown():
    assert "skip saves" not in bench.results_table([result("03_gru", 2, 20.0, 10.0)], ["plain", "ours"], 2)
    failed = bench.LessonResult("04_lstm", 2, times={"plain": [], "ours": [], "all-cells": []},
                                failure="command failed")
    table = bench.results_table([result("03_gru", 2, 20.0, 10.0, every=12.5), failed],
                                ["plain", "ours", "all-cells"], jobs=2)
    assert "skip saves" in table and "all-cells s/nb" in table
    by_lesson = {line.split()[0]: line.split() for line in table.splitlines()
                 if line.startswith(("0", "course"))}
    assert by_lesson["03_gru"][2:7] == ["10.00", "5.00", "6.25", "2.00x", "20%"]
    assert by_lesson["04_lstm"][-1] == "FAILED"
    assert by_lesson["course"][-3:] == ["yes,", "1", "failed"]


def _timed_cell(start: str, end: str):
    from nbformat.v4 import new_code_cell

    return new_code_cell("x", metadata={"execution": {
        "iopub.execute_input": f"2026-12-02T01:00:{start}Z", "iopub.status.busy": f"2026-12-02T01:00:{start}Z",
        "shell.execute_reply": f"2026-12-02T01:00:{end}Z", "iopub.status.idle": f"2026-12-02T01:00:{end}Z"}})


def test_a_wait_out_of_the_time_limit_between_cells_is_found_and_discounted():
    from nbformat.v4 import new_markdown_cell, new_notebook

    nb = new_notebook(cells=[_timed_cell("00.0", "03.5"), new_markdown_cell("text"),
                             _timed_cell("03.6", "04.0"),      # 0.1 s after the first: no stall
                             _timed_cell("34.0", "34.2")])     # 30 s after the second: a stall
    assert bench.cell_stalls(nb, threshold=24.0) == [30.0]
    assert bench.cell_stalls(nb, threshold=31.0) == []
    r = result("03_gru", 2, 100.0, 10.0)
    r.plain_stalls = [[30.0, 30.0]]
    note, = bench.stall_notes([r, result("04_lstm", 2, 20.0, 10.0)])
    assert note.startswith("03_gru: plain waited out the cell time limit")
    assert "up to 2 time(s) a run, 60 s" in note and note.endswith("plain/ours is 4.00x")


CLUSTER_SCRIPT = SCRIPT.parent / "cluster_speed.py"
cluster_spec = importlib.util.spec_from_file_location("cluster_speed", CLUSTER_SCRIPT)
cluster_bench = importlib.util.module_from_spec(cluster_spec)
sys.modules[cluster_spec.name] = cluster_bench
cluster_spec.loader.exec_module(cluster_bench)


def test_the_cluster_table_gives_medians_ratios_to_jobs_2_and_the_speed_up_of_two():
    times = {"jobs 1": [16.0, 18.0, 17.0], "jobs 2": [10.0, 11.0, 12.0],
             "local:1": [18.0, 18.5, 17.5], "local:2": [12.0, 13.0, 12.5]}
    table = cluster_bench.results_table("03_gru", 20, times)
    rows = {" ".join(line.split()[:-5]): line.split()[-5:] for line in table.splitlines()[2:]}
    assert rows["03_gru jobs 2"] == ["3", "11.0", "0.55", "1.000", "1.55x"]
    assert rows["03_gru local:2"] == ["3", "12.5", "0.62", "1.136", "1.44x"]
    assert rows["03_gru local:1"] == ["3", "18.0", "0.90", "1.636", "-"]


def test_the_projection_divides_one_workers_rate_by_the_workers():
    assert cluster_bench.projection(0.9, 7000, workers=(1, 2, 10)) == [(1, 1.75), (2, 0.875), (10, 0.175)]
    line, = cluster_bench.projection_lines("03_gru", 0.9, 7000)
    assert "7,000 notebooks at local:1's 0.90 s" in line
    assert "1: 1.8 h, 2: 52 min, 4: 26 min" in line
