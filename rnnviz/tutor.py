"""What a lesson does to the app: each step's set-up when the learner comes to it, its condition checked at every
redraw, `]` and `[` to move on and back, and leaving it with the run kept. Mixed into RnnvizApp."""
from __future__ import annotations

import asyncio
import math
import time

from rnncore import ModelConfig

from .conditions import Progress, judge
from .lesson import NETWORK, PANELS, SETTINGS, Lesson
from .widgets.charts import TrainingCharts
from .widgets.lesson import LessonPanel
from .widgets.prediction import PredictionPanel
from .widgets.training import TrainingPanel


class Tutor:
    """Mixed into RnnvizApp, which provides `session`, `lab`, `loop`, `prefix`, `page`, `apply_model` and
    `set_speed`."""

    lesson: Lesson | None = None
    lesson_step = 0  # the index of the step the learner is on
    step_began = 0  # the current run's step when the learner came to it
    hidden: tuple[str, ...] = ()  # the panels and fields the step hides
    met_at: int | None = None  # the current run's step at which the learner's step first met its condition

    def start_lesson(self, lesson: Lesson, built: bool = False) -> None:
        """From the lesson's first step, its start set up on the way (a new network if it differs, unless `built`:
        the command line built it, from the start and the options that override it)."""
        self.lesson = lesson
        self.loop.after_turn = self._met_yet
        self.query_one(LessonPanel).set_class(True, "-on")
        self.query_one("#body").set_class(True, "lesson")
        self.query_one(TrainingCharts).invite = False
        start = {k: v for k, v in lesson.start.items() if not (built and k in NETWORK)}
        self._set_up({**start, "hide": lesson.start.get("hide", ())})
        self._begin(0)

    def action_lesson_next(self) -> None:
        if self.lesson is not None and self.lesson_step + 1 < len(self.lesson.steps):
            self._begin(self.lesson_step + 1)

    def action_lesson_back(self) -> None:
        if self.lesson is not None and self.lesson_step > 0:
            self._begin(self.lesson_step - 1)

    def action_leave_lesson(self) -> None:
        """The lesson ends; the run, its settings and what it hid come back as they are."""
        if self.lesson is None:
            return
        self.lesson = self.loop.after_turn = None
        self._hide(())
        self.query_one(LessonPanel).set_class(False, "-on")
        self.query_one("#body").set_class(False, "lesson")
        self.query_one(TrainingCharts).invite = True
        self.notify("You left the lesson; the run goes on as it is.")

    def _begin(self, index: int) -> None:
        step = self.lesson.steps[index]
        self.lesson_step, self.step_began, self.met_at = index, self.session.trainer.step, None
        self._set_up({"hide": self.lesson.start.get("hide", ()), **step.setup})
        self.check_lesson()

    def _set_up(self, setup: dict) -> None:
        """A step's (or the start's) set-up: settings at once, as the Training panel sets them; a new network if
        the task or the layers differ (asked first over a trained run, as Apply is); the view, the prefix, and on
        a small screen the page (the prediction's, for a view or a prefix)."""
        for name in SETTINGS:
            if name in setup:
                self.query_one(TrainingPanel).accepted(name, self.session.configure(name, str(setup[name])))
        if "speed" in setup and setup["speed"] != self.loop.speed:
            self.set_speed(setup["speed"])
        self._hide(setup.get("hide", ()))
        model = ModelConfig(**{k: setup.get(k, getattr(self.session.model, k)) for k in NETWORK if k != "seed"})
        seed = setup.get("seed", self.session.config.seed)
        if model != self.session.model or seed != self.session.config.seed:
            self.apply_model(model, seed, new_run=False)
        if "new_run" in setup and not any(s.model.layers == setup["new_run"] for s in self.lab.runs):
            self.apply_model(ModelConfig(self.session.model.data, self.session.model.embed, setup["new_run"]),
                             self.session.config.seed, new_run=True)
        panel = self.query_one(PredictionPanel)
        if "view" in setup:
            panel.action_open(setup["view"])
        if "prefix" in setup:
            panel.query_one("#prefix").value = setup["prefix"]
        if "page" in setup or "view" in setup or "prefix" in setup:  # what a small screen shows
            self.page = setup.get("page", "prediction")

    def _hide(self, names: tuple[str, ...]) -> None:
        """Hide these panels and fields (a lesson shows only what it needs); show every other one."""
        self.hidden = names
        for panel in PANELS:
            self.query_one(f"#{panel}").set_class(panel in names, "-hidden")
        for row in self.query(".setting"):
            row.set_class(row.name in names, "-hidden")

    def check_lesson(self) -> None:
        """Judge the step's condition against the screen now, and show it."""
        if self.lesson is None:
            return
        step = self.lesson.steps[self.lesson_step]
        self.step_began = min(self.step_began, self.session.trainer.step)  # a new network, or a new run, from 0
        self.query_one(LessonPanel).show(self.lesson, self.lesson_step, judge(step.when, self.progress()))
        self._met_yet()

    def _met_yet(self) -> None:
        """Note the step at which the learner's step first meets its condition: after every training turn (in the
        training thread: a condition on the cost is met at an exact step) and at every redraw."""
        if self.lesson is not None and self.met_at is None and self.step_done():
            self.met_at = self.session.trainer.step

    def step_done(self) -> bool:
        """Whether every condition of the learner's step holds now."""
        step = self.lesson.steps[self.lesson_step]
        return all(holds for _, holds in judge(step.when, self.progress()))

    def progress(self) -> Progress:
        """What the conditions look at; it reads the session and what the app noted of the panels (`lens`), never a
        widget, so that the training thread can ask too."""
        view, optimum, reach = self.session.view(), self.session.data.optimum, self.session.last_reach
        kinds = tuple(spec.split(":")[0] for s in self.lab.runs for spec in s.model.layers.split(","))
        return Progress(view.step, view.step - self.step_began, view.eval_cost, optimum and optimum.loss,
                        optimum and optimum.memoryless_loss, view.accuracy, view.next_lr, self.lens.view,
                        self.prefix, self.lens.pinned, kinds, len(self.lab.runs), view.memory_found_at is not None,
                        _latest(view.history.eval_memory_use), reach and reach.largest)


def _latest(values) -> float | None:
    """The last of a chart's figures, None if there is none (or it is NaN: the task has no such figure)."""
    return values[-1] if values and not math.isnan(values[-1]) else None


async def follow(pilot, on_step=None, timeout: float = 300.0) -> list[int | None]:
    """Drive the app's lesson to its end as a learner would (tests, benchmarks/lessons.py): at each step, press the
    keys and type the text it asks for (`do`), wait until its condition holds, then press ]. Returns, for each step,
    the training steps its condition took (from the step's start), or None if it did not hold within twice the step's
    budget of steps (a step without one: within `timeout` seconds); `on_step(index, taken)` hears of each. Training
    pauses from the moment a condition holds until the next step has begun, so that each step's count starts where
    the last one's condition was met."""
    app, taken, stopped = pilot.app, [], []

    def stop_when_met() -> None:  # in the training thread, after each turn
        app._met_yet()
        if app.met_at is not None and app.loop.running:
            stopped.append(app.met_at)
            app.loop.stop()

    app.loop.after_turn = stop_when_met
    try:
        for index, step in enumerate(app.lesson.steps):
            await _press(pilot, step.do)
            taken.append(await _met(pilot, step, time.monotonic() + timeout))
            training = app.loop.running or bool(stopped)
            stopped.clear()
            await app.stop_training()
            if on_step is not None:
                on_step(index, taken[-1])
            await _press(pilot, ["<]>"])
            if training and not app.loop.running:
                app.action_start()
    finally:
        app.loop.after_turn = app._met_yet if app.lesson is not None else None
    return taken


async def _press(pilot, keys: list[str]) -> None:
    """Press what a step asks for ("<space>" a key, anything else text typed), with training paused meanwhile: a
    key waits for the app to be idle, which takes up to a second while it trains at full speed."""
    app = pilot.app
    training = app.loop.running
    if training:
        await app.stop_training()
    for item in keys:
        await pilot.press(*([item[1:-1]] if item.startswith("<") and item.endswith(">") else item))
        await pilot.pause()
    if training and not app.loop.running:
        app.action_start()


async def _met(pilot, step, deadline: float) -> int | None:
    app = pilot.app
    limit = 2 * step.budget if step.budget else None
    while app.met_at is None:
        if (limit and app.progress().trained > limit) or time.monotonic() > deadline:
            return None
        await asyncio.sleep(0.02)  # not pilot.pause: each of those queues a call on every widget, and waits for them
    return app.met_at - app.step_began
