"""`rnnviz --serve` in a real headless Chromium: train, predict, a confined save dialog, and no process left behind.

Needs Debian's chromium and the playwright package; without them these tests fail (never skip) and say how to
install them. Run them alone with `pytest -m browser`.
"""
import re
import signal
import urllib.error
import urllib.request

import pytest
from served import APP_SHOWN, TERMINAL_TRAP, ServedApp, Tab, chromium, launch, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.ui]

APP_OPTIONS = ("--data", "toy", "--layers", "rnn:16")  # the original's tiny task: 98.6% within ~40 steps
BAR = re.compile(r"│ (\d) [^│\d]*(\d\.\d\d)( ◀)?")  # one next-symbol bar: symbol, probability, the argmax's mark


@pytest.fixture(scope="module")
def playwright():
    try:
        sync_playwright, executable = chromium()
    except RuntimeError as e:
        pytest.fail(str(e))
    with sync_playwright() as driver:
        yield driver, executable


@pytest.fixture(scope="module")
def browser(playwright):
    browser = launch(*playwright)
    yield browser
    browser.close()


@pytest.fixture
def served(tmp_path):
    app = ServedApp(tmp_path, *APP_OPTIONS)
    yield app
    if app.process.poll() is None or app.app_processes():
        app.kill()  # after a failed test: nothing left running


def ends(served, pids, timeout=10.0):
    """Wait until none of `pids` runs any more."""
    wait_until(lambda: not set(pids) & set(served.app_processes()), timeout,
               lambda: f"app processes {sorted(set(pids) & set(served.app_processes()))} are still running")


def test_a_tab_trains_and_predicts(browser, served):
    tab = Tab(browser, served.url)
    assert len(served.app_processes()) == 1
    assert tab.step() == 0
    tab.press(" ")
    tab.wait_for(r"RUNNING.*\bacc 9\d\.\d%")  # the eval accuracy the toy task reaches: the network has learnt
    before = tab.step()
    wait_until(lambda: tab.step() > before, 10, lambda: f"the step counter stayed at {before}")
    tab.press_to_focus("/", "type a prefix")
    tab.type("1 3 5")
    tab.press("Escape")
    tab.wait_for(r"│ 7 .*◀")
    bars = BAR.findall(tab.screen())
    assert [symbol for symbol, _, _ in bars] == list("0123456789")
    assert sum(float(p) for _, p, _ in bars) == pytest.approx(1, abs=0.06)  # ten probabilities rounded to 0.01
    best = max(bars, key=lambda bar: float(bar[1]))
    assert best[0] == "7" and best[2] == " ◀" and float(best[1]) > 0.5  # 1 3 5 is followed by 7
    tab.close()


def test_the_empty_charts_invitation_leads_to_a_lesson_in_a_browser_too(browser, served):
    """ctrl+p reaches the app, not the browser's print dialog."""
    tab = Tab(browser, served.url)
    tab.wait_for(r"New here\? A lesson guides")
    tab.press("Control+p")
    tab.type("lesson")
    tab.wait_for(r"Lesson: What a network predicts")
    tab.press("Enter")
    tab.wait_for(r"Lesson 1/3")
    tab.close()


def test_the_save_dialog_refuses_a_path_outside_the_served_folder(browser, served, tmp_path):
    tab = Tab(browser, served.url)
    for outside in ("../outside.npz", str(tmp_path.parent / "absolute.npz")):
        tab.press_to_focus("Control+s", "model.npz")
        tab.type(outside)  # the dialog selects the path it offers: typing replaces it
        tab.press("Enter")
        tab.wait_for(r"outside the(\s|$)")  # the message may wrap after these words, with a long path before them
        tab.press("Escape")
        tab.wait_until_gone("Save the checkpoint to")
    assert not (tmp_path.parent / "outside.npz").exists() and not (tmp_path.parent / "absolute.npz").exists()
    tab.press_to_focus("Control+s", "model.npz")
    tab.type("kept.npz")
    tab.press("Enter")
    tab.wait_for("Saved kept.npz")
    assert (tmp_path / "kept.npz").is_file()
    tab.close()


def test_closing_a_tab_ends_its_app_and_only_its_app(browser, served):
    training, idle = Tab(browser, served.url), Tab(browser, served.url)
    first, second = sorted(served.app_processes())
    training.press(" ")
    training.wait_for(r"RUNNING.*step [1-9]")
    training.close()  # in the middle of training
    ends(served, [first])
    assert served.app_processes() == [second]
    idle.close()
    ends(served, [second])


def test_a_browser_closed_mid_training_leaves_no_process(playwright, served):
    browser = launch(*playwright)
    tab = Tab(browser, served.url)
    tab.press(" ")
    tab.wait_for(r"RUNNING.*step [1-9]")
    pids = served.app_processes()
    assert len(pids) == 1
    browser.close()
    ends(served, pids)


STOPS = {"ctrl-c": (signal.SIGINT, True), "sigint": (signal.SIGINT, False), "kill": (signal.SIGKILL, False)}


@pytest.mark.parametrize("stop", STOPS)
def test_stopping_the_server_ends_every_app_it_started(browser, served, stop):
    """Ctrl+C in a terminal signals the server and its apps; a signal to the server alone, or SIGKILL, must also
    leave nothing running."""
    sig, group = STOPS[stop]
    training, _idle = Tab(browser, served.url), Tab(browser, served.url)
    training.press(" ")
    training.wait_for(r"RUNNING.*step [1-9]")
    pids = served.app_processes()
    assert len(pids) == 2
    status = served.stop(sig, group)
    assert status == (-signal.SIGKILL if sig == signal.SIGKILL else 0), served.output()
    ends(served, pids)
    assert "Traceback" not in served.output()


def test_a_tab_past_max_tabs_is_told_the_class_is_full_and_gets_the_app_once_one_closes(browser, tmp_path):
    served = ServedApp(tmp_path, *APP_OPTIONS, "--max-tabs", "1")
    try:
        late, held = browser.new_page(), []
        late.add_init_script(TERMINAL_TRAP)
        late.route("**/textual.js", lambda route: held.append(route))  # its websocket waits for this script
        late.goto(served.url, wait_until="commit")  # the app's page, while there is room
        first = Tab(browser, served.url)
        pids = served.app_processes()
        held[0].continue_()  # too late: the first tab has the place, and this one's websocket is sent back to "/"
        late.wait_for_selector("text=The class is full", timeout=20_000)
        assert "Try again in a minute" in late.inner_text("body") and served.app_processes() == pids
        first.close()
        ends(served, pids)
        wait_until(lambda: _status(served.url) == 200, 10, lambda: "the closed tab's place stayed taken")
        late.unroute("**/textual.js")
        late.reload()
        late.wait_for_function(APP_SHOWN, timeout=30_000)
        assert len(served.app_processes()) == 1
        late.close()
    finally:
        served.kill()


def _status(url):
    try:
        return urllib.request.urlopen(url, timeout=10).status
    except urllib.error.HTTPError as e:
        return e.code
