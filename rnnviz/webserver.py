"""The web server behind `rnnviz --serve` (see serve.py for how the tabs' processes live and end)."""
from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import time
from asyncio import base_subprocess

from aiohttp import web
from textual_serve.server import Server

from .serve import links

SHUTDOWN_WAIT = 10.0  # seconds the server gives its tabs' apps to quit on Ctrl+C
STARTER_WITHIN = 30.0  # seconds the starter has to import the app and listen
RETRY_AFTER = 60  # seconds a tab told that the class is full is asked to wait before it tries again
FULL_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>rnnviz: the class is full</title>
<style>body {{ background: #0c181f; color: #e8eef2; font: 18px/1.5 menlo, monospace; margin: 15vh auto;
max-width: 40em; padding: 0 1em; }} a {{ color: #8fd3ff; }}</style></head>
<body><h1>The class is full</h1>
<p>This machine serves rnnviz to {tabs} browser tabs at once, and {tabs} are open now.</p>
<p>Try again in a minute: <a href="/">reload this page</a>. A tab that someone closes makes room.</p>
</body></html>
"""


class RnnvizServer(Server):
    """textual-serve's Server that starts its tabs' apps through a starter (starter.py), ends them on shutdown,
    refuses websockets opened by other sites, and serves at most `max_tabs` tabs at once: one more gets a page that
    says the class is full."""

    def __init__(self, command: str, host: str, port: int, max_tabs: int, starter: str) -> None:
        super().__init__(command, host=host, port=port, title="rnnviz")
        self.max_tabs, self.starter_path = max_tabs, starter
        self.starter: asyncio.subprocess.Process | None = None  # forks the tabs' apps (starter.py)
        self.tabs: dict[asyncio.Task, asyncio.Future] = {}  # each open tab's handler, and when it has ended

    async def on_startup(self, app: web.Application) -> None:
        await self.start_starter()
        self.console.print(f"rnnviz: serving on {' and '.join(links(self.host, self.port))} to {self.max_tabs} browser "
                           "tabs at once, each its own app (Ctrl+C stops them all)", highlight=False, soft_wrap=True)

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        # The page's links name the address this browser used: a server bound to 0.0.0.0 cannot know it.
        self.public_url = f"{request.scheme}://{request.host}"
        if self.full:
            return self.full_page()
        return await super().handle_index(request)

    @property
    def full(self) -> bool:
        return len(self.tabs) >= self.max_tabs

    def full_page(self) -> web.Response:
        self.console.print(f"rnnviz: the class is full (--max-tabs {self.max_tabs}): a tab was told to retry later",
                           highlight=False, soft_wrap=True)
        return web.Response(status=503, text=FULL_PAGE.format(tabs=self.max_tabs), content_type="text/html",
                            headers={"Retry-After": str(RETRY_AFTER), "Cache-Control": "no-store"})

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin.split("://", 1)[-1] != request.host:  # a page of another site
            raise web.HTTPForbidden(text="this websocket belongs to rnnviz's own page")
        if self.full:  # pages opened together all got the app's page: the ones past the limit are sent back to it
            return await self.send_back(request)
        task, ended = asyncio.current_task(), asyncio.get_running_loop().create_future()
        self.tabs[task] = ended
        try:
            return await super().handle_websocket(request)
        finally:
            del self.tabs[task]
            ended.set_result(None)

    async def send_back(self, request: web.Request) -> web.WebSocketResponse:
        """Send the tab's page to "/" (textual-serve's page follows `open_url`), which says the class is full."""
        websocket = web.WebSocketResponse()
        await websocket.prepare(request)
        await websocket.send_json(["open_url", {"url": "/", "new_tab": False}])
        await websocket.close()
        return websocket

    async def start_starter(self) -> None:
        """Start the process that forks the tabs' apps, and wait until it listens; without it, each tab's process
        imports the app itself (twice the time to its first frame)."""
        self.starter = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "rnnviz.starter", self.starter_path, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE)
        try:
            ready = await asyncio.wait_for(self.starter.stdout.readline(), STARTER_WITHIN)
        except TimeoutError:
            ready = b""
        if ready != b"ready\n":
            self.console.print("rnnviz: warning: the app starter did not start: each tab starts its app itself, "
                               "which takes longer", highlight=False, soft_wrap=True)

    async def on_shutdown(self, app: web.Application) -> None:
        """Cancel every tab, so that textual-serve tells its app to quit and waits for it, before aiohttp
        cancels everything at once (which leaves the apps running); then end the starter."""
        if self.tabs:
            ended = list(self.tabs.values())
            for task in self.tabs:
                task.cancel()
            await asyncio.wait(ended, timeout=SHUTDOWN_WAIT)
        if self.starter is not None:
            with contextlib.suppress(ProcessLookupError):  # Ctrl+C in a terminal has ended it already
                self.starter.terminate()
            await self.starter.wait()
            self.starter.stdin.close()  # its transport closes now, not when collected after the loop has closed
        await close_child_processes(SHUTDOWN_WAIT)


async def close_child_processes(within: float) -> None:
    """Close the pipes of every child process once it has exited, or after `within` seconds (closing kills it).
    textual-serve leaves a tab's to the garbage collector, which may come to them after the loop has closed, and
    then prints "Event loop is closed"."""
    children = [found for found in gc.get_objects()
                if isinstance(found, base_subprocess.BaseSubprocessTransport) and not found.is_closing()]
    deadline = time.monotonic() + within
    while any(child.get_returncode() is None for child in children) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    for child in children:
        child.close()
