"""Fixtures: a fake upstream and the real bitrouter binary in front of it, on loopback only."""

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))


def _bin(var, name):
    path = os.environ.get(var) or os.path.join(TARGET, "debug", name)
    if not os.path.exists(path):
        pytest.fail(f"{path} not found: run `cargo build -p bitrouter-cli -p bitrouter-test-support --bins`")
    return path


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_fake_upstream(protocol="openai_chat"):
    proc = subprocess.Popen(
        [_bin("FAKE_UPSTREAM_BIN", "fake-upstream"), "--protocol", protocol],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline().strip()
    assert line.startswith("listening on "), line
    return proc, line.removeprefix("listening on ")


def start_bitrouter(env_extra):
    port = _free_port()
    home = tempfile.mkdtemp(prefix="bitrouter-sdk-")
    env = {"PATH": os.environ.get("PATH", ""), "BITROUTER_HOME": home, "RUST_LOG": "warn"}
    env.update(env_extra)
    proc = subprocess.Popen(
        [_bin("BITROUTER_BIN", "bitrouter"), "serve", "--listen", f"127.0.0.1:{port}"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 15
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"bitrouter exited: {proc.stderr.read()}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as r:
                if json.load(r)["status"] == "ok":
                    return proc, url
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("bitrouter did not answer /health within 15 s")


@pytest.fixture(scope="session")
def all_upstreams_router():
    """BitRouter with openai, anthropic and google providers, each pointed at a fake upstream
    speaking that provider's own protocol."""
    fakes = [start_fake_upstream(p) for p in ("openai_chat", "anthropic_messages", "google_generate_content")]
    (_, openai_url), (_, anthropic_url), (_, google_url) = fakes
    router, url = start_bitrouter(
        {
            "OPENAI_API_KEY": "sk-test",
            "BITROUTER_OPENAI_API_BASE": openai_url + "/v1",
            "ANTHROPIC_API_KEY": "sk-test",
            "BITROUTER_ANTHROPIC_API_BASE": anthropic_url + "/v1",
            "GEMINI_API_KEY": "sk-test",
            "BITROUTER_GOOGLE_API_BASE": google_url + "/v1beta",
        }
    )
    yield url
    router.terminate()
    router.wait(timeout=10)
    for proc, _ in fakes:
        proc.kill()


@pytest.fixture(scope="session")
def openai_upstream_router():
    """BitRouter with its `openai` provider pointed at a fake OpenAI upstream."""
    fake, fake_url = start_fake_upstream("openai_chat")
    router, url = start_bitrouter(
        {"OPENAI_API_KEY": "sk-test", "BITROUTER_OPENAI_API_BASE": fake_url + "/v1"}
    )
    yield url
    router.terminate()
    router.wait(timeout=10)
    fake.kill()
