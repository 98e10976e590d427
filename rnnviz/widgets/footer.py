"""The footer of key bindings, without Textual 8.2's leak."""
from textual.widgets import Footer


class PrunedFooter(Footer):
    """Textual's Footer rebuilds its keys whenever the bindings change (every run and pause, every focus
    change), and each old key stays alive through a watcher of `compact` that is dropped only when `compact`
    changes: ~360 KB per run/pause. Touching `compact` after each rebuild lets the old keys go."""

    async def recompose(self) -> None:
        await super().recompose()
        self.mutate_reactive(Footer.compact)
