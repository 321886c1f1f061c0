"""A real Debian `redis-server` for tests: started on a free loopback port, stopped afterwards.

`make setup` installs it (`make redis`); a machine without it fails the tests that need it with
that hint rather than skipping them.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_redis(directory: Path) -> Iterator[str]:
    """Run redis-server on 127.0.0.1 (no persistence, files in `directory`); yield its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: run `make redis` (make setup does)")
    for _ in range(5):  # another process may take the free port before the server binds it
        port = free_port()
        process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(directory),
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url)
        ready = False
        deadline = time.monotonic() + 10
        while not ready and process.poll() is None and time.monotonic() < deadline:
            try:
                ready = bool(client.ping())
            except redis.ConnectionError:
                time.sleep(0.05)
        client.close()
        if ready:
            break
        process.terminate()
        process.wait(timeout=10)
    else:
        pytest.fail("redis-server did not start")
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
