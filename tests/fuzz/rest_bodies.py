"""Hypothesis strategies for REST channel requests (``POST /webhooks/rest/webhook``).

A body is JSON of any shape, or an object with a ``sender`` (a valid app user id, any text,
or JSON of another type), a ``message`` (what customers type, or JSON of another type) and
extra keys (``input_channel`` naming another channel, ``metadata``, anything), sent as UTF-8
or ASCII-escaped JSON; or raw bytes.

``expected_status`` says what docs/channels.md promises: 200 with the bot's messages for an
object whose ``sender`` is 1-128 letters, digits or ``. _ @ + -`` and whose ``message`` is
text; 400 for anything else.
"""

import re
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.strategies import (
    customer_texts,
    encode_json,
    is_customer_text,
    json_object,
    json_values,
    raw_bodies,
)

#: The documented sender ids (docs/channels.md), as a whole-string match.
SENDER = re.compile(r"[A-Za-z0-9_.@+-]{1,128}")

valid_senders = st.from_regex(SENDER, fullmatch=True)
senders = st.one_of(
    valid_senders,
    st.text(max_size=140),
    json_values,
    st.sampled_from(["tg:4242", "web:abc", "a" * 129, "a\n", " a", "a b", ""]),
)
extra_keys = st.dictionaries(
    st.one_of(
        st.sampled_from(["input_channel", "metadata", "sender_id", "parse_data"]),
        st.text(max_size=10),
    ),
    st.one_of(st.sampled_from(["telegram", "facebook", "socketio"]), json_values),
    max_size=3,
)


@dataclass
class RestRequest:
    body: bytes

    @property
    def document(self) -> Any:
        return json_object(self.body)

    @property
    def valid(self) -> bool:
        doc = self.document
        return (
            doc is not None
            and isinstance(doc.get("sender"), str)
            and SENDER.fullmatch(doc["sender"]) is not None
            and isinstance(doc.get("message"), str)
        )

    @property
    def expected_status(self) -> int:
        return 200 if self.valid else 400

    @property
    def must_reply(self) -> bool:
        return self.valid and is_customer_text(self.document["message"])


def objects(sender: st.SearchStrategy, message: st.SearchStrategy) -> st.SearchStrategy:
    return st.builds(
        lambda s, m, extra: {**extra, "sender": s, "message": m}, sender, message, extra_keys
    )


def _sent(documents: st.SearchStrategy) -> st.SearchStrategy:
    return st.builds(
        lambda doc, ascii_only: RestRequest(encode_json(doc, ascii_only)), documents, st.booleans()
    )


requests = st.one_of(
    _sent(objects(valid_senders, customer_texts)),  # what the shop's app sends
    _sent(objects(senders, st.one_of(customer_texts, json_values))),
    _sent(json_values),
    st.builds(RestRequest, raw_bodies),
)
