"""Headless Chromium for tests, driven through the DevTools protocol on a pipe (`--remote-debugging-pipe`): what a
page asked of the network (every request the page made, as the browser saw it: the browser's own background traffic
is not the page's), what it wrote to the console or threw, its DOM, and a screenshot.

Debian's `chromium` is installed when missing (`apt-get install -y chromium`, as root); a test skips, saying why,
only when it cannot be."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

DEADLINE_S = 30.0  # for the whole page: a browser that does not answer fails the test, it does not hang it


def chromium_binary() -> str:
    """The path of `chromium`, installed first when missing; skips the test (saying why) when it cannot be."""
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("chromium is not installed and cannot be installed here (apt-get as root is needed)")
    install = subprocess.run(["apt-get", "install", "-y", "chromium"], capture_output=True, text=True, timeout=900,
                             env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    found = shutil.which("chromium")
    if install.returncode != 0 or not found:
        pytest.skip(f"chromium is not installed and `apt-get install -y chromium` failed: {install.stderr[-300:]}")
    return found


@dataclass
class PageReport:
    requests: list[str] = field(default_factory=list)  # URLs the page asked for beyond itself (not file:, data:)
    console: list[str] = field(default_factory=list)  # console errors and warnings, uncaught exceptions, log errors
    charts: list[dict[str, Any]] = field(default_factory=list)  # each <svg>: its title, size and number of shapes
    html: str = ""


class Browser:
    """One headless Chromium, spoken to over fds 3 (commands) and 4 (answers), NUL-terminated JSON each."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                f"--user-data-dir={profile}", "--no-first-run", "--disable-extensions", "--hide-scrollbars",
                "--mute-audio", "about:blank"]

        def fds() -> None:  # the child's fds 3 and 4 are the protocol's (`pass_fds` keeps them: it closes the rest)
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(args, pass_fds=(3, 4), preexec_fn=fds,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []
        self._deadline = time.monotonic() + DEADLINE_S

    def close(self) -> None:
        with contextlib.suppress(OSError, TimeoutError):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = self._deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise TimeoutError("chromium closed its pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return dict(json.loads(message))

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next += 1
        ident = self._next
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == ident:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return dict(answer.get("result", {}))
            self.events.append(answer)

    def wait_for(self, method: str) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read()
            self.events.append(event)
            if event.get("method") == method:
                return event


SHAPES = ("rect", "circle", "polyline", "line", "path", "text")
_CHARTS = f"""JSON.stringify(Array.from(document.querySelectorAll('svg')).map(s => {{
  const r = s.getBoundingClientRect();
  return {{title: (s.querySelector('title') || {{}}).textContent || '', width: r.width, height: r.height,
          shapes: s.querySelectorAll('{",".join(SHAPES)}').length}};
}}))"""


def open_page(path: Path, screenshot: Path | None = None, *, width: int = 1280, height: int = 2000) -> PageReport:
    """Load `path` in headless Chromium and report what it did; write a PNG of it to `screenshot`."""
    binary = chromium_binary()
    profile = Path(os.environ.get("TMPDIR", "/tmp")) / f"hub-chromium-{os.getpid()}-{time.monotonic_ns()}"
    browser = Browser(binary, profile)
    report = PageReport()
    try:
        target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        session = browser.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Network", "Runtime", "Log", "Page"):
            browser.send(f"{domain}.enable", session)
        browser.send("Emulation.setDeviceMetricsOverride", session, width=width, height=height, deviceScaleFactor=1,
                     mobile=False)
        browser.send("Page.navigate", session, url=path.resolve().as_uri())
        browser.wait_for("Page.loadEventFired")
        charts = browser.send("Runtime.evaluate", session, expression=_CHARTS, returnByValue=True)
        report.charts = json.loads(charts["result"]["value"])
        html = browser.send("Runtime.evaluate", session, expression="document.documentElement.outerHTML",
                            returnByValue=True)
        report.html = html["result"]["value"]
        if screenshot is not None:
            shot = browser.send("Page.captureScreenshot", session, format="png", captureBeyondViewport=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)
    for event in browser.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith(("file:", "data:", "about:")):
                report.requests.append(url)
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
            report.console.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
        elif method == "Runtime.exceptionThrown":
            report.console.append(str(params["exceptionDetails"].get("text")))
        elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
            report.console.append(str(params["entry"].get("text")))
    return report
