"""seba/past_states.py: the latest dialogue states are the tail of Rasa's, always."""

from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from seba.past_states import past_states
from tests.servers import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))
FORMS = ["order_verify_form", "return_reason_form"]


def _event(kind: int, n: int):
    """Events of every kind that changes a state or the replay (and a few that do not)."""
    form = FORMS[n % 2]
    return [
        lambda: ActionExecuted("action_listen"),
        lambda: UserUttered(f"m{n}", {"name": ["greet", "order_status", "deny"][n % 3]}),
        lambda: ActionExecuted(form),
        lambda: ActiveLoop(form),
        lambda: ActiveLoop(None),
        lambda: ActionExecuted("action_check_order"),
        lambda: BotUttered(f"reply {n}"),
        lambda: SlotSet("order_task", ["status", "cancel", None][n % 3]),
        lambda: SlotSet("rating_due", bool(n % 2)),
        lambda: UserUtteranceReverted(),
        lambda: ActionReverted(),
        lambda: Restarted(),
        lambda: SessionStarted(),
    ][kind]()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 12), st.integers(0, 5)), max_size=50),
    st.integers(0, 6),
)
def test_the_last_states_are_the_tail_of_rasas(script, last):
    tracker = DialogueStateTracker("c", DOMAIN.slots)
    for kind, n in script:
        tracker.update(_event(kind, n))
    rasas = tracker.past_states(DOMAIN)
    assert past_states(tracker, DOMAIN, last) == rasas[max(0, len(rasas) - last) :]


def test_callers_may_change_what_they_get():
    tracker = DialogueStateTracker("c", DOMAIN.slots)
    for event in [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"})]:
        tracker.update(event)
    past_states(tracker, DOMAIN, 3)[-1]["user"].clear()
    assert past_states(tracker, DOMAIN, 3) == tracker.past_states(DOMAIN)
