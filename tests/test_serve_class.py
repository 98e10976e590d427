"""A class on one machine: how many tabs one `rnnviz --serve` serves at once (--max-tabs), what a tab past them
gets, and the links the server prints when it listens on every interface. (tests/test_browser.py shows the full
page in Chromium; tests/test_fairshare.py the apps giving way to each other.)"""
import asyncio
import ipaddress
import re
import socket
from urllib.parse import urlsplit

import aiohttp
import pytest
from served import ServedApp, wait_until

from rnnviz import serve
from rnnviz.serve import MB_PER_TAB, TABS_PER_CORE, default_max_tabs, links

pytestmark = pytest.mark.ui  # the app's own logic (rnnviz), with its other tests


@pytest.mark.parametrize(("cores", "megabytes", "tabs"), [(2, 64_000, 2 * TABS_PER_CORE),
                                                           (8, 3 * MB_PER_TAB + 1, 3), (4, 10, 1)])
def test_the_default_class_size_follows_the_cores_and_the_memory(monkeypatch, cores, megabytes, tabs):
    monkeypatch.setattr(serve.os, "sched_getaffinity", lambda pid: set(range(cores)))
    monkeypatch.setattr(serve, "_available_mb", lambda: megabytes)
    assert default_max_tabs() == tabs


def test_the_available_memory_is_read_from_the_kernel():
    assert 0 < serve._available_mb() < 2**40


# --- the links printed ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("found", "shown"), [(["127.0.0.1", "192.0.2.7", "10.1.2.3"], ["192.0.2.7", "10.1.2.3"]),
                                              (["127.0.0.1"], ["127.0.0.1"]), ([], ["0.0.0.0"])])
def test_every_interface_is_shown_as_the_machines_addresses_loopback_last_resort(monkeypatch, found, shown):
    monkeypatch.setattr(serve, "interface_addresses", lambda version: [ipaddress.ip_address(a) for a in found])
    assert links("0.0.0.0", 8012) == [f"http://{address}:8012" for address in shown]


def test_an_address_or_name_given_is_shown_as_it_is():
    assert links("127.0.0.1", 80) == ["http://127.0.0.1:80"]
    assert links("::1", 8000) == ["http://[::1]:8000"]
    assert links("class-laptop", 8000) == ["http://class-laptop:8000"]


@pytest.mark.parametrize("version", [4, 6])
def test_the_interface_addresses_are_this_machines_own(version):
    """Each can be listened on here (another machine's address cannot); IPv4 has at least loopback."""
    found = serve.interface_addresses(version)
    assert found or version == 6
    for address in found:
        family = socket.AF_INET if version == 4 else socket.AF_INET6
        with socket.socket(family) as probe:
            probe.bind((str(address), 0))


def test_a_server_on_every_interface_prints_links_that_answer(tmp_path):
    server = ServedApp(tmp_path, "--host", "0.0.0.0")
    try:
        wait_until(lambda: "rnnviz: serving on" in server.output(), 10, server.output)
        line = next(line for line in server.output().splitlines() if line.startswith("rnnviz: serving on"))
        urls = re.findall(r"http://\S+?:\d+", line)
        assert urls and "0.0.0.0" not in line, line
        for url in urls:
            parts = urlsplit(url)
            with socket.create_connection((parts.hostname, parts.port), timeout=10):
                pass
    finally:
        assert server.stop() == 0


# --- a tab past the limit -----------------------------------------------------------------------------------
async def test_a_tab_past_max_tabs_is_told_the_class_is_full_until_one_closes(tmp_path):
    server = ServedApp(tmp_path, "--data", "toy", "--layers", "rnn:16", "--max-tabs", "1")
    try:
        async with aiohttp.ClientSession() as http:
            first = await http.ws_connect(server.url + "ws?width=80&height=24")
            wait_until(lambda: len(server.app_processes()) == 1, 30, lambda: "the first tab's app did not start")
            async with http.get(server.url) as page:
                assert page.status == 503 and page.headers["Retry-After"] == "60"
                assert "The class is full" in await page.text()
            late = await http.ws_connect(server.url + "ws?width=80&height=24")  # its page came before the first's
            assert await late.receive_json(timeout=10) == ["open_url", {"url": "/", "new_tab": False}]
            assert (await late.receive(timeout=10)).type == aiohttp.WSMsgType.CLOSE
            assert len(server.app_processes()) == 1
            await first.close()
            wait_until(lambda: not server.app_processes(), 30, lambda: "the first tab's app outlived its tab")
            for _ in range(100):  # the server counts the tab out once it has seen its app's output end
                async with http.get(server.url) as page:
                    status, text = page.status, await page.text()
                if status == 200:
                    break
                await asyncio.sleep(0.1)
            assert status == 200 and "data-session-websocket-url" in text
        assert "rnnviz: the class is full (--max-tabs 1): a tab was told to retry later" in server.output()
    finally:
        assert server.stop() == 0
