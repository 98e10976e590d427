"""The web server behind `rnnviz --serve` (see serve.py for how the tabs' processes live and end)."""
from __future__ import annotations

import asyncio

from aiohttp import web
from textual_serve.server import Server

SHUTDOWN_WAIT = 10.0  # seconds the server gives its tabs' apps to quit on Ctrl+C


class RnnvizServer(Server):
    """textual-serve's Server that ends its tabs' apps on shutdown and refuses websockets opened by other sites."""

    def __init__(self, command: str, host: str, port: int) -> None:
        super().__init__(command, host=host, port=port, title="rnnviz")
        self.tabs: dict[asyncio.Task, asyncio.Future] = {}  # each open tab's handler, and when it has ended

    async def on_startup(self, app: web.Application) -> None:
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.console.print(f"rnnviz: serving on http://{host}:{self.port} "
                           "(each browser tab runs its own app; Ctrl+C stops them all)", highlight=False)

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        # The page's links name the address this browser used: a server bound to 0.0.0.0 cannot know it.
        self.public_url = f"{request.scheme}://{request.host}"
        return await super().handle_index(request)

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin.split("://", 1)[-1] != request.host:  # a page of another site
            raise web.HTTPForbidden(text="this websocket belongs to rnnviz's own page")
        task, ended = asyncio.current_task(), asyncio.get_running_loop().create_future()
        self.tabs[task] = ended
        try:
            return await super().handle_websocket(request)
        finally:
            del self.tabs[task]
            ended.set_result(None)

    async def on_shutdown(self, app: web.Application) -> None:
        """Cancel every tab, so that textual-serve tells its app to quit and waits for it, before aiohttp
        cancels everything at once (which leaves the apps running)."""
        if self.tabs:
            ended = list(self.tabs.values())
            for task in self.tabs:
                task.cancel()
            await asyncio.wait(ended, timeout=SHUTDOWN_WAIT)
