"""Rate limits shared by worker processes through Redis, keyed on the real client address behind
a trusted proxy (issue 17 item 2).

Runs the portal in gunicorn with two worker processes against one Redis (TEST_REDIS_URL, by
default the local one), with a key prefix of its own that it removes afterwards.
"""

import os
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests

from portal import create_app
from portal.cli import upgrade_database

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LIMIT = 6


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    store = redis.Redis.from_url(REDIS_URL)
    try:
        store.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL} (set TEST_REDIS_URL)")
    instance = tmp_path_factory.mktemp("workers")
    prefix = f"test-{uuid.uuid4().hex}"
    port = free_port()
    env = {**os.environ, "INSTANCE_PATH": str(instance),
           "DATABASE_URL": f"sqlite:///{instance / 'portal.db'}",
           "EXTERNAL_URL": f"http://127.0.0.1:{port}", "REDIS_URL": REDIS_URL,
           "RATE_LIMIT_PREFIX": prefix, "VERIFY_RATE_PER_MINUTE": str(LIMIT),
           "TRUSTED_PROXIES": "1"}
    upgrade_database(create_app({"INSTANCE_PATH": str(instance),
                                 "DATABASE_URL": env["DATABASE_URL"]}))
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "portal:create_app()"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _try in range(120):
            try:
                requests.get(base + "/help/wrong-details", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.5)
        yield base, store, prefix
    finally:
        server.terminate()
        server.wait(timeout=30)
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)


def verify_from(base: str, client_address: str, count: int) -> list[int]:
    """`count` requests at once, each on its own connection (so both workers take some), as
    forwarded by the one trusted proxy for `client_address`."""
    def one(_n):
        return requests.get(base + "/verify/not-a-token", timeout=30,
                            headers={"X-Forwarded-For": client_address,
                                     "Connection": "close"}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(count)))


def test_two_workers_share_one_count_in_redis(two_workers):
    base, store, prefix = two_workers
    statuses = verify_from(base, "198.51.100.7", 4 * LIMIT)
    assert statuses.count(400) == LIMIT  # forged token: answered, and counted
    assert statuses.count(429) == 3 * LIMIT
    assert any(True for _key in store.scan_iter(f"*{prefix}*"))  # the count lives in Redis


def test_each_client_behind_the_proxy_has_its_own_count(two_workers):
    base, _store, _prefix = two_workers
    assert verify_from(base, "198.51.100.8", LIMIT + 1).count(429) == 1
    # Another client behind the same proxy is not affected by the first one's requests.
    assert verify_from(base, "198.51.100.9", LIMIT).count(429) == 0
    # A client cannot pretend to be someone else: only the proxy's own entry is believed.
    spoofed = requests.get(base + "/verify/not-a-token", timeout=30, headers={
        "X-Forwarded-For": "203.0.113.1, 198.51.100.8"})
    assert spoofed.status_code == 429
