"""The annotation app served for a browser test: `streamlit run serve.py` on a free local port.

`serve_app` starts it over a store and a dataset folder, waits for its health check, yields
the base URL and stops it; the server's output goes to `streamlit.log` in the given folder.
CHROMIUM and CHROMIUM_ARGS are how the browser tests launch Debian's Chromium; `wait_until`
polls a condition on a Playwright page.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


WAIT_S = 20  # how long `wait_until` waits by default, in seconds


def wait_until(page, check, what: str, wait_s: float = WAIT_S):
    """Poll `check` while letting Playwright process the page's events (a bare sleep would not)."""
    deadline = time.monotonic() + wait_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(150)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_app(folder: Path, url: str, data: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve the app over store `url` and dataset `data` on 127.0.0.1; yields its base URL."""
    port = free_port()
    log_path = folder / "streamlit.log"
    environment = {**os.environ, "REFCAT_DB": url, "REFCAT_DATA": str(data), "HF_HUB_OFFLINE": "1", **(env or {})}
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"), "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    command += ["--server.fileWatcherType", "none"]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if urlopen(base + "/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("streamlit did not start:\n" + log_path.read_text()) from None
                    time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
