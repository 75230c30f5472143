"""Hypothesis strategies for Messenger webhook payloads, with what each event must bring.

A case is one payload (``{"object": "page", "entry": [...]}``), a batch of events from a few
customers (PSIDs), sent with a valid ``X-Hub-Signature-256`` over the raw body. Per event
(docs/channels.md):

- ``REPLY``: a text (with a visible character), a quick reply or a postback with a payload:
  at least one message back to that PSID;
- ``TEXT_ONLY``: an attachment or sticker: the polite "please write" message;
- ``SILENT``: echoes of our own messages, delivery and read receipts, reactions: nothing.

So per PSID, at least as many messages come back as it sent events of the first two kinds,
and a PSID with only silent events gets none. Mutated payloads (fields deleted, or JSON of
another type) and payloads for other objects promise nothing beyond "no 5xx". Every message
gets its own ``mid`` when it is sent (``with_fresh_message_ids``), as Meta's do.
"""

import copy
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Tuple

from hypothesis import strategies as st

from tests.fuzz.strategies import customer_texts, is_customer_text, json_values, mutations

REPLY, TEXT_ONLY, SILENT = "reply", "text_only", "silent"

psids = st.one_of(st.integers(1, 10**20).map(str), st.text(min_size=1, max_size=30))


@dataclass
class MessengerCase:
    payload: Any
    events: List[Tuple[str, str]] = field(default_factory=list)  # (psid, expected)
    promises: bool = True  # False: mutated, or not a page: only "no 5xx"

    def with_fresh_message_ids(self) -> Any:
        """The payload with a new ``mid`` for every message and postback: Meta never sends
        one twice except as a redelivery, which the connector answers once."""
        payload = copy.deepcopy(self.payload)
        for entry in payload["entry"]:
            for event in entry["messaging"]:
                for key in ("message", "postback"):
                    if isinstance(event.get(key), dict) and not event[key].get("is_echo"):
                        event[key]["mid"] = "m_" + uuid.uuid4().hex
        return payload

    def expected(self, kind: str) -> Dict[str, int]:
        counts: Dict[str, int] = {}
        for psid, expect in self.events:
            counts[psid] = counts.get(psid, 0) + (expect == kind)
        return counts


def _mid(n: int) -> str:
    return f"m_{n}"


@st.composite
def text_event(draw) -> Tuple[Dict, str]:
    text = draw(customer_texts)
    return {"message": {"mid": _mid(draw(st.integers(0, 10**9))), "text": text}}, (
        REPLY if is_customer_text(text) else ""
    )


@st.composite
def quick_reply_event(draw) -> Tuple[Dict, str]:
    payload = draw(
        st.one_of(
            st.sampled_from(["/order_status", "/return_request", "ডেলিভারি চার্জ কত?"]),
            st.text(min_size=1),
        )
    )
    return {
        "message": {
            "mid": _mid(1),
            "text": draw(st.text(max_size=20)),
            "quick_reply": {"payload": payload},
        }
    }, REPLY


@st.composite
def postback_event(draw) -> Tuple[Dict, str]:
    payload = draw(
        st.one_of(
            st.sampled_from(["/greet", '/inform{"order_number": "10456"}']),
            st.text(min_size=1, max_size=100),
        )
    )
    return {
        "postback": {"title": draw(st.text(max_size=20)), "payload": payload, "mid": _mid(2)}
    }, REPLY


ATTACHMENT_TYPES = ["image", "audio", "video", "file", "location", "fallback", "template"]


@st.composite
def attachment_event(draw) -> Tuple[Dict, str]:
    attachments = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(ATTACHMENT_TYPES),
                    "payload": st.fixed_dictionaries({"url": st.just("https://cdn.example/x.jpg")}),
                }
            ),
            min_size=1,
            max_size=3,
        )
    )
    message: Dict[str, Any] = {"mid": _mid(3), "attachments": attachments}
    if draw(st.booleans()):
        message["sticker_id"] = 369239263222822
    return {"message": message}, TEXT_ONLY


SILENT_EVENTS = st.sampled_from(
    [
        {"message": {"mid": "m_echo", "is_echo": True, "app_id": 1, "text": "আমাদের উত্তর"}},
        {"delivery": {"mids": ["m_1"], "watermark": 1700000000000}},
        {"read": {"watermark": 1700000000000}},
        {"reaction": {"mid": "m_1", "action": "react", "emoji": "❤", "reaction": "love"}},
        {"referral": {"ref": "ad-17", "source": "ADS", "type": "OPEN_THREAD"}},
        {"optin": {"type": "one_time_notif_req", "payload": "x"}},
    ]
).map(lambda event: (copy.deepcopy(event), SILENT))  # fresh: mutations change it

event_bodies = st.one_of(
    text_event(), quick_reply_event(), postback_event(), attachment_event(), SILENT_EVENTS
)


@st.composite
def cases(draw, max_events: int = 4) -> MessengerCase:
    """A signed batch: 1-2 entries of events from 1-3 customers; now and then a huge one."""
    people = draw(st.lists(psids, min_size=1, max_size=3, unique=True))
    case = MessengerCase(payload={"object": "page", "entry": []})
    for _ in range(draw(st.integers(1, 2))):
        events = []
        for _ in range(draw(st.integers(1, max_events))):
            psid = draw(st.sampled_from(people))
            body, expect = draw(event_bodies)
            events.append(
                {
                    "sender": {"id": psid},
                    "recipient": {"id": "PAGE1"},
                    "timestamp": draw(st.integers(0, 2**45)),
                    **body,
                }
            )
            case.events.append((psid, expect))
        case.payload["entry"].append({"id": "PAGE1", "time": 1, "messaging": events})
    repeat = min(draw(st.sampled_from([1] * 19 + [25, 100])), 100 // len(case.events))
    if repeat > 1:  # a huge batch (up to 100 events): the same events many times
        case.payload["entry"] = [copy.deepcopy(e) for e in case.payload["entry"] * repeat]
        case.events = case.events * repeat
    return case


@st.composite
def other_object_cases(draw) -> MessengerCase:
    case = draw(cases())
    case.payload["object"] = draw(
        st.one_of(st.sampled_from(["instagram", "user", "", None]), json_values)
    )
    if case.payload["object"] == "page":
        return case
    case.events = [(psid, SILENT) for psid, _ in case.events]
    return case


@st.composite
def mutated_cases(draw) -> MessengerCase:
    case = draw(cases(max_events=2))
    draw(mutations(case.payload))
    case.promises = False
    return case


any_cases = st.one_of(cases(), other_object_cases(), mutated_cases())
