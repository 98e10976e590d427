"""Lesson files: each kind of error refused before anything starts, in one line naming the file, the step and the
field, with exit status 2; the built-in ones read, and their conditions judged as the app shows them."""
import subprocess
import sys

import pytest

from rnnviz.conditions import CONDITIONS, Progress, judge
from rnnviz.lesson import LessonError, built_in, find, read

GOOD = '''
title = "A lesson"
summary = "one line"
[start]
data = "parity:8"
[[step]]
title = "Train"
text = "Press space."
do = ["<space>"]
budget = 50
[step.when]
trained = 30
'''


def write(tmp_path, text):
    path = tmp_path / "lesson.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("change, where", [
    (("budget = 50", "budget = 50\ncolour = 3"), "step 1 (Train), field 'colour' is not one a lesson takes here"),
    (("trained = 30", "trained = 30\nbored = true"), "step 1 (Train), field 'when.bored' is not a condition"),
    (("trained = 30", "trained = -1"), "step 1 (Train), field 'when.trained' must be a whole number"),
    (("budget = 50", "budget = 50\nlr = 50"), "step 1 (Train), field 'lr' must be a number in (0, 10]"),
    (('data = "parity:8"', 'data = "parity:800"'), "start, field 'data' parity:GAP takes GAP"),
    (('data = "parity:8"', 'data = "chess"'), "start, field 'data' cannot read"),
    (('data = "parity:8"', 'data = "parity:8"\nlayers = "lstm:0"'), "start, field 'layers'"),
    (('data = "parity:8"', 'data = "parity:8"\nhide = ["charts", "clippy"]'), "start, field 'hide' must be one of"),
    (("budget = 50", 'budget = 50\npage = "map"'), "step 1 (Train), field 'page' must be one of charts, prediction"),
    (('title = "Train"', 'title = ""'), "step 1, field 'title' must be text"),
    (("[[step]]", "[[stop]]"), "field 'stop' is not one a lesson takes here"),
    (('text = "Press space."', 'text = "unclosed'), "not valid TOML"),
])
def test_each_kind_of_error_is_one_line_naming_the_file_the_step_and_the_field(tmp_path, change, where):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(LessonError) as refused:
        read(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: ") and where in message and "\n" not in message


def test_the_command_line_refuses_a_bad_lesson_with_one_line_and_status_2(tmp_path):
    path = write(tmp_path, GOOD.replace("trained = 30", "trained = 30\nbored = true"))
    done = subprocess.run([sys.executable, "-m", "rnnviz", "--lesson", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"rnnviz: {path}: step 1 (Train), field 'when.bored' is not a condition " \
                          f"({', '.join(CONDITIONS)})\n"


def test_lessons_lists_every_built_in_lesson_with_its_summary():
    done = subprocess.run([sys.executable, "-m", "rnnviz", "--lessons"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    for lesson in built_in():
        assert f"{lesson.name:<12} {lesson.title}: {lesson.summary}" in done.stdout


def test_a_lesson_is_found_by_its_name_or_its_path(tmp_path):
    assert find("memory").title == "Memory" and find(str(write(tmp_path, GOOD))).title == "A lesson"
    with pytest.raises(LessonError, match="not a built-in lesson .*memory"):
        find("chess")


def test_a_folder_named_as_a_built_in_lesson_does_not_hide_it(tmp_path, monkeypatch):
    (tmp_path / "reach").mkdir()
    monkeypatch.chdir(tmp_path)
    assert find("reach").title == "Counting past ten"
    with pytest.raises(LessonError, match="a directory"):
        find("./reach")  # a path is read as one


def progress(**changes):
    values = dict(step=100, trained=40, eval_cost=0.5, best=0.44, memoryless=0.52, accuracy=0.8, lr=0.01,
                  view="probs", prefix="1 3 5 7 0 0", pinned="", kinds=("rnn",), runs=1, memory_found=False)
    return Progress(**{**values, **changes})


def test_each_condition_is_judged_from_what_the_app_shows():
    when = {"trained": 40, "near_best": 0.06, "prefix_ends": "0 0", "run_with": "lstm", "memory_found": True}
    assert [holds for _, holds in judge(when, progress())] == [True, True, True, False, False]
    assert all(holds for _, holds in judge(when, progress(kinds=("rnn", "lstm"), memory_found=True)))
    memory = {"memory_use": 0.5}
    assert [holds for _, holds in judge(memory, progress())] == [False]  # none measured (a task without memory)
    assert [holds for _, holds in judge(memory, progress(memory_use=0.4))] == [False]
    assert judge(memory, progress(memory_use=0.6)) == [("memory use 50%", True)]
    assert not judge({"near_best": 0.06}, progress(eval_cost=None))[0][1]  # nothing evaluated yet
    assert judge({"compared": True}, progress(pinned="2 4 6 8 0 0"))[0][1]
    assert not judge({"compared": True}, progress(pinned="1 3 5 7 0 0"))[0][1]  # the same prefix twice
    assert not judge({"reach": 15}, progress())[0][1]  # not measured: the Reach view has not been open
    assert judge({"reach": 15}, progress(reach=12)) == [("right up to n = 15", False)]
    assert judge({"reach": 15}, progress(reach=15))[0][1]
