"""The lesson panel: the step's title and text, what to do, each of its conditions ticked as it comes true, and the
keys to go on. It shows what the app hands it (`show`); the app moves through the lesson (rnnviz/tutor.py)."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ..lesson import Lesson

KEYS = "] next step · [ back · ctrl+p: leave the lesson"


def doing(do: tuple[str, ...]) -> Text:
    """What a step asks the learner to do, in words: "<2>", "0.003", "<enter>" -> press 2, type 0.003, press enter."""
    line = Text()
    for item in do:
        if line:
            line.append(", ")
        if item.startswith("<") and item.endswith(">") and len(item) > 2:
            line.append("press ").append(item[1:-1], "bold reverse")
        else:
            line.append("type ").append(item, "bold")
    return line


class LessonPanel(Vertical):
    DEFAULT_CSS = """
    LessonPanel {
        height: auto;
        border: round $accent;
        border-title-color: $text;
        padding: 0 1;
        display: none;
    }
    LessonPanel.-on { display: block; }
    LessonPanel #lesson-title { text-style: bold; }
    LessonPanel #lesson-text { margin-bottom: 1; }
    LessonPanel #lesson-keys { color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="lesson-title")
        yield Static(id="lesson-text")
        yield Static(id="lesson-do")
        yield Static(id="lesson-when")
        yield Static(KEYS, id="lesson-keys")

    shown: tuple | None = None  # what `show` was last given

    def show(self, lesson: Lesson, index: int, judged: list[tuple[str, bool]]) -> None:
        """Step `index` of `lesson`, with each of its conditions as `judge` found it. The app asks at every redraw
        while it trains; only a change is drawn (each of the texts' updates lays out the screen again)."""
        if (lesson, index, judged) == self.shown:
            return
        new_step, done = self.shown is None or self.shown[:2] != (lesson, index), all(h for _, h in judged)
        self.shown = (lesson, index, judged)
        step = lesson.steps[index]
        self.border_title = f"Lesson {index + 1}/{len(lesson.steps)}: {lesson.title}"
        self.query_one("#lesson-title", Static).update(step.title)
        self.query_one("#lesson-text", Static).update(step.text)
        self.query_one("#lesson-do", Static).update(Text("Do: ", "dim") + doing(step.do) if step.do else "")
        self.query_one("#lesson-when", Static).update(self._status(judged, index == len(lesson.steps) - 1))
        if new_step or done:  # a long text on a short screen scrolls: the step from its title, then what to press
            target = self if new_step else self.query_one("#lesson-keys")
            self.call_after_refresh(target.scroll_visible, animate=False, top=new_step)

    @staticmethod
    def _status(judged: list[tuple[str, bool]], last: bool) -> Text:
        """Each condition ✓ or ·, then what comes next once they all hold."""
        line = Text()
        for says, holds in judged:
            line.append("✓ " if holds else "· ", "bold green" if holds else "dim").append(says + "\n",
                                                                                        "" if holds else "dim")
        if all(holds for _, holds in judged):
            line.append("Done: the end of the lesson." if last else "Done: ] goes to the next step.", "bold green")
        else:
            line.append("Waiting for this…", "dim")
        return line
