"""seba/workers.py: the endpoints scripts/run.sh gives several Rasa workers."""

import stat
import subprocess
import sys

import pytest
import yaml

from seba import workers
from tests.servers import ROOT


def test_a_redis_lock_store_is_added_on_database_1():
    out = workers.with_lock_store(
        {"nlg": {"type": "seba.nlg.SebaNLG"}}, "redis://:pw@127.0.0.1:6380"
    )
    assert out["lock_store"] == {
        "type": "seba.lock_store.AtomicRedisLockStore",
        "url": "127.0.0.1",
        "port": 6380,
        "db": 1,
        "password": "pw",
    }
    assert out["nlg"] == {"type": "seba.nlg.SebaNLG"}


def test_a_lock_store_the_endpoints_name_is_kept():
    named = {"lock_store": {"type": "redis", "url": "${REDIS_HOST}"}}
    assert workers.with_lock_store(named, "redis://127.0.0.1:6380") == named


@pytest.mark.parametrize("bad", ["127.0.0.1:6380", "http://redis", "redis://"])
def test_not_a_redis_url_is_refused(bad):
    with pytest.raises(ValueError):
        workers.with_lock_store({}, bad)


def test_the_command_writes_a_private_file_and_prints_the_socketio_url(tmp_path):
    target = tmp_path / "endpoints.workers.yml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "seba.workers",
            str(ROOT / "endpoints.yml"),
            "redis://127.0.0.1:6380/0",
            str(target),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "redis://127.0.0.1:6380/2"
    written = yaml.safe_load(target.read_text(encoding="utf-8"))
    source = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    assert written == {
        **source,
        "lock_store": {
            "type": "seba.lock_store.AtomicRedisLockStore",
            "url": "127.0.0.1",
            "port": 6380,
            "db": 1,
        },
    }
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
