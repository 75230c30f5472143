"""Every customer message gets a reply, in every dialogue state, whatever it holds.

Over the real stack (REST channel): odd messages — empty, spaces, emoji only, control and
right-to-left characters, zero-width joiners, a 20,000-letter word, typed controls — sent
idle, inside each form, after the bot did not understand, and while it waits for a rating.
Each gets at least one answer, and the conversation goes on normally afterwards.
"""

import threading
import uuid

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ODD = {
    "empty": "",
    "spaces": "   \n\t ",
    "emoji": "😀😀🙏",
    "control": "\x00\x07\x1b",
    "right-to-left": "\u202eabc\u202c",
    "zero-width": "\u200d\u200c",
    "joined letters": "ক\u200dখ",
    "huge word": "ক" * 20_000,
    "typed control": "/restart",
}

# Turns that bring a conversation into a state (the last reply is what the state asks).
STATES = {
    "idle": [],
    "asking the order number": ["আমার অর্ডার কোথায়?"],
    "asking the phone": ["order 10456 kothay?"],
    "confirming a cancellation": ["অর্ডার ১০৪৫৯ বাতিল করতে চাই", "০১৬১১০০০০০৪"],
    "asking the return reason": ["I want to return my order 10457", "01811000002"],
    "after not understanding": ["qwx zzkv plomb"],
    "waiting for a rating": ["order 10456 kothay?", "01711000001", "thanks"],
}


def texts(replies):
    return [r.get("text") or "" for r in replies]


@pytest.mark.parametrize("state", list(STATES))
def test_odd_messages_are_answered_in_every_state(rasa_stack, state):
    for name, odd in ODD.items():
        sender = f"odd-{uuid.uuid4().hex[:10]}"
        for turn in STATES[state]:
            assert texts(rasa_stack.say(sender, turn)), (state, turn)
        answer = texts(rasa_stack.say(sender, odd))
        assert answer and all(answer), f"{state} / {name}: no answer"
        # Not stuck: the conversation still works.
        after = texts(rasa_stack.say(sender, "ডেলিভারি চার্জ কত?"))
        assert after and any("টাকা" in t for t in after), f"{state} / {name}: {after}"


def test_a_huge_message_is_politely_refused_and_kept_short(rasa_stack):
    sender = f"huge-{uuid.uuid4().hex[:10]}"
    [answer] = texts(rasa_stack.say(sender, "ক" * 20_000))
    assert "অনেক বড়" in answer and "১০০০" in answer  # in Bangla, with the limit
    [english] = texts(rasa_stack.say(f"huge-{uuid.uuid4().hex[:10]}", "a" * 5_000))
    assert "too long" in english
    stored = [e for e in rasa_stack.tracker(f"rest:{sender}")["events"] if e["event"] == "user"]
    assert len(stored[-1]["text"]) <= 4096  # the transcript keeps a bounded part


def test_a_message_while_the_conversation_is_busy_is_answered_too(rasa_stack):
    """Two messages of one conversation at once, one of them huge, and another customer's
    meanwhile: everybody gets an answer (nothing empty, nothing lost)."""
    sender, other = f"busy-{uuid.uuid4().hex[:10]}", f"other-{uuid.uuid4().hex[:10]}"
    results = {}

    def send(key, who, text):
        results[key] = texts(rasa_stack.say(who, text))

    threads = [
        threading.Thread(target=send, args=("huge", sender, "x" * 20_000)),
        threading.Thread(target=send, args=("next", sender, "ডেলিভারি চার্জ কত?")),
        threading.Thread(target=send, args=("other", other, "hello")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(results.get(key) for key in ("huge", "next", "other")), results
    users = [
        e["text"][:5]
        for e in rasa_stack.tracker(f"rest:{sender}")["events"]
        if e["event"] == "user"
    ]
    assert sorted(users) == sorted(["xxxxx", "ডেলিভ"])  # both recorded
