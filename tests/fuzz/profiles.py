"""Hypothesis settings profiles for the fuzz tests, chosen by ``SEBA_FUZZ_PROFILE``.

- ``ci`` (default, ``make test``): few examples, a fixed seed (``derandomize``) so the run is
  the same every time, no example database;
- ``soak`` (``make soak``): 10,000 generated inputs per channel at the connector level,
  random seeds; a failed property does not stop the test: it is recorded (its kind, how
  often, the smallest input seen) and the run goes on through all inputs
  (``stats.checked``); the test fails at the end with the list;
- ``dig``: the soak's numbers and random seeds, but a failure stops the test and Hypothesis
  shrinks it to a minimal example, as in ``ci`` (to reproduce what a soak run found:
  ``SEBA_FUZZ_PROFILE=dig pytest tests/fuzz -k <test>``).

No profile keeps an example database (nothing is written under the repository).

Two levels of test share a profile: the **connector** tests (one connector on a real Sanic
server with a stub Rasa: fast) split a budget per channel, ``connector_examples(share)``
(in ``soak`` 10,000 inputs per channel: its tests' shares add up to 1); the **stack** tests
(the real Rasa, action server and console) run ``stack_examples()`` examples, far fewer.
No deadline: the servers are slow and the machine is shared. The ``explain`` phase is off in
``ci`` (it only re-runs a failure to say which parts of it matter).
"""

import math
import os

from hypothesis import HealthCheck, Phase, settings

PROFILE_ENV = "SEBA_FUZZ_PROFILE"

#: (connector inputs per channel, stack examples per test, console inputs at the app level)
EXAMPLES = {"ci": (120, 10, 120), "soak": (10_000, 150, 3_000), "dig": (10_000, 150, 3_000)}
CI_MINIMUM = 15  # a connector test's examples in ci, at least

_QUIET = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.large_base_example,
]


def register() -> str:
    """Register the profiles and load the one ``SEBA_FUZZ_PROFILE`` names; returns its name."""
    settings.register_profile(
        "ci",
        max_examples=EXAMPLES["ci"][0],
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=_QUIET,
        print_blob=False,
        phases=[p for p in Phase if p is not Phase.explain],
    )
    for name in ("soak", "dig"):
        settings.register_profile(
            name,
            max_examples=EXAMPLES[name][0],
            deadline=None,
            derandomize=False,
            database=None,
            suppress_health_check=_QUIET,
            print_blob=True,
        )
    name = profile_name()
    settings.load_profile(name)
    return name


def profile_name() -> str:
    name = os.environ.get(PROFILE_ENV, "ci").strip() or "ci"
    if name not in EXAMPLES:
        raise RuntimeError(f"{PROFILE_ENV}={name!r}: choose one of {sorted(EXAMPLES)}")
    return name


def keeps_going() -> bool:
    """In the soak profile a failed property is recorded and the test goes on."""
    return profile_name() == "soak"


def stack_examples() -> int:
    """How many examples a test against the real stack runs in the active profile."""
    return EXAMPLES[profile_name()][1]


def console_examples() -> int:
    """The console app's test (not a customer channel: a smaller soak budget)."""
    return EXAMPLES[profile_name()][2]


def connector_examples(share: float) -> int:
    """A connector test's examples: its ``share`` of the channel's budget."""
    name = profile_name()
    count = math.ceil(EXAMPLES[name][0] * share)
    return max(count, CI_MINIMUM) if name == "ci" else count
