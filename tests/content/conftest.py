"""Fixture projects for the content checks (tests/content/fixtures/README.md), and the
handoff tests' fixtures.

``clean/`` is a small project that passes every check; every other folder holds only the
files that differ from it, with one kind of mistake. ``project(name)`` lays clean/ and
then that folder over it in a temporary directory.

The content tests reuse the handoff tests' fixtures: a migrated handoff database, the
console app in this process (``make_console``), the test's clock."""

import shutil
from pathlib import Path

import pytest

from tests.handoff.conftest import (  # noqa: F401 - fixtures
    clock,
    handoff_url,
    make_console,
    pg_handoff_url,
    shop_settings,
    two_agents,
)

FIXTURES = Path(__file__).parent / "fixtures"


def lay_out(name: str, target: Path) -> Path:
    shutil.copytree(FIXTURES / "clean", target)
    if name != "clean":
        shutil.copytree(FIXTURES / name, target, dirs_exist_ok=True)
    return target


@pytest.fixture
def project(tmp_path):
    def make(name: str) -> Path:
        return lay_out(name, tmp_path / name)

    return make


@pytest.fixture(scope="session")
def checked(tmp_path_factory):
    """(root, problems) of a fixture project, checked once per session without Rasa's own
    check: many tests read the same results."""
    from seba.content.check import run_checks

    results = {}

    def check(name: str):
        if name not in results:
            root = lay_out(name, tmp_path_factory.mktemp("checked") / name)
            results[name] = root, run_checks(root, rasa_validate=False)
        return results[name]

    return check


def line_with(path: Path, text: str, after: int = 0) -> int:
    """The 1-based number of the first line after line ``after`` that contains ``text``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if number > after and text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")
