"""seba.threads: the served processes run one BLAS thread (a second one only spins)."""

import os
import subprocess
import sys

import pytest

import seba.threads
from seba import action_server, server

PROBE = (
    "from seba.threads import one_blas_thread; one_blas_thread(); "
    "import numpy, threadpoolctl; "
    "print(max(pool['num_threads'] for pool in threadpoolctl.threadpool_info()))"
)


def _threads(**env):
    env = {k: v for k, v in os.environ.items() if k not in seba.threads.VARIABLES} | env
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return int(out.stdout.split()[-1])


def test_numpy_loads_with_one_thread():
    assert _threads() == 1


def test_the_environment_still_decides():
    assert _threads(OPENBLAS_NUM_THREADS="2") == 2


class _Called(Exception):
    pass


@pytest.mark.parametrize("entry", [server.main, action_server.main])
def test_both_servers_set_it_before_anything_else(entry, monkeypatch):
    def called():
        raise _Called

    monkeypatch.setattr(seba.threads, "one_blas_thread", called)
    monkeypatch.setattr(action_server, "one_blas_thread", called)
    with pytest.raises(_Called):
        entry()
