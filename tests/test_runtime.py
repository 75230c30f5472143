"""seba.runtime.recent_history: the policies' view of a long conversation."""

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from seba.runtime import KEEP_USER_TURNS, _PrefixCache, _window_start, recent_history

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet, order_status, inform]
slots:
  verified_order:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
  verification_failures:
    type: float
    initial_value: 0
    influence_conversation: false
    mappings: [{type: custom}]
forms:
  order_verify_form:
    required_slots: []
""")


def _turn(text, intent):
    return [
        ActionExecuted("action_listen"),
        UserUttered(text, {"name": intent}),
        BotUttered("..."),
    ]


def _long_conversation(turns=40):
    events = [ActionExecuted("action_session_start"), SlotSet("verified_order", "10456")]
    for i in range(turns):
        events += _turn(f"hi {i}", "greet")
        if i == 20:
            events += [SlotSet("verification_failures", 2.0), ActiveLoop("order_verify_form")]
    return DialogueStateTracker.from_events("c1", events, slots=DOMAIN.slots)


def test_view_keeps_the_state_and_the_recent_turns():
    tracker = _long_conversation()
    view = recent_history(tracker, DOMAIN)
    assert len(view.events) < len(tracker.events)
    assert view.current_slot_values() == tracker.current_slot_values()
    assert view.active_loop_name == tracker.active_loop_name == "order_verify_form"
    users = [e.text for e in view.events if e.type_name == "user"]
    assert users == [f"hi {i}" for i in range(40 - KEEP_USER_TURNS, 40)]
    assert view.latest_message.text == tracker.latest_message.text


def test_short_conversations_are_left_alone():
    tracker = _long_conversation(turns=5)
    assert recent_history(tracker, DOMAIN) is tracker


def test_prefix_cache_grows_with_the_conversation():
    cache = _PrefixCache()
    tracker = _long_conversation(turns=40)
    first = recent_history(tracker, DOMAIN, cache)
    # The next message: the same conversation from a new retrieve (new event objects).
    longer = DialogueStateTracker.from_dict(
        "c1",
        [e.as_dict() for e in tracker.events] + [e.as_dict() for e in _turn("more", "greet")],
        DOMAIN.slots,
    )
    second = recent_history(longer, DOMAIN, cache)
    assert second.current_slot_values() == longer.current_slot_values()
    assert [e.text for e in second.events if e.type_name == "user"][-1] == "more"
    assert first.current_slot_values() == tracker.current_slot_values()
    events = list(longer.events)
    assert _window_start(events, KEEP_USER_TURNS) > _window_start(
        list(tracker.events), KEEP_USER_TURNS
    )


@pytest.mark.parametrize(
    "answer, ok",
    [
        (
            {
                "events": [{"event": "slot", "name": "a", "value": 1}],
                "responses": [{"response": "utter_x"}],
            },
            True,
        ),
        ({}, True),
        ({"events": "nope"}, False),
        ({"events": [{"name": "a"}]}, False),
        ({"responses": [1, 2]}, False),
        ([], False),
    ],
)
def test_action_server_answers_are_checked_for_their_shape(answer, ok):
    from seba.runtime import ActionServerAnswerError, SebaRemoteAction

    action = SebaRemoteAction.__new__(SebaRemoteAction)
    if ok:
        assert action._validate_action_result(answer)
    else:
        with pytest.raises(ActionServerAnswerError):
            action._validate_action_result(answer)


def test_intents_and_entities_the_domain_lacks_are_still_warned_about(caplog):
    from seba.runtime import SebaMessageProcessor

    processor = SebaMessageProcessor.__new__(SebaMessageProcessor)  # no model needed
    processor.domain = Domain.from_dict({"intents": ["greet"], "entities": ["order_number"]})
    processor._known_features = {}
    with caplog.at_level("WARNING", logger="seba.runtime"):
        for _ in range(2):
            processor._check_for_unseen_features(
                {"intent": {"name": "greet"}, "entities": [{"entity": "order_number"}]}
            )
        assert not caplog.records
        processor._check_for_unseen_features(
            {"intent": {"name": "sing"}, "entities": [{"entity": "colour"}]}
        )
    assert [r.getMessage() for r in caplog.records] == [
        "Parsed an intent 'sing' which is not defined in the domain.",
        "Parsed an entity 'colour' which is not defined in the domain.",
    ]


def test_the_action_server_gets_earlier_messages_without_their_rankings():
    from seba.runtime import SebaRemoteAction

    ranking = [{"name": "greet", "confidence": 0.9}, {"name": "inform", "confidence": 0.1}]
    events = [ActionExecuted("action_session_start")]
    for i in range(3):
        events += [
            ActionExecuted("action_listen"),
            UserUttered(
                f"hi {i}",
                {"name": "greet", "confidence": 0.9},
                parse_data={
                    "intent_ranking": ranking,
                    "response_selector": {"faq": {"ranking": ranking}},
                },
            ),
            BotUttered("..."),
        ]
    tracker = DialogueStateTracker.from_events("c1", events, slots=DOMAIN.slots)
    call = SebaRemoteAction("action_x", None)._action_call_format(tracker, DOMAIN)
    users = [e for e in call["tracker"]["events"] if e["event"] == "user"]
    assert [u["parse_data"]["intent"]["name"] for u in users] == ["greet"] * 3
    assert [u["text"] for u in users] == ["hi 0", "hi 1", "hi 2"]
    assert all("intent_ranking" not in u["parse_data"] for u in users[:-1])
    assert users[-1]["parse_data"]["intent_ranking"] == ranking  # the latest kept whole
    assert call["tracker"]["latest_message"]["intent_ranking"] == ranking
