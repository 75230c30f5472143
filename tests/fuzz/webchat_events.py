"""Hypothesis strategies for what a web-chat client can emit over socket.io.

A case is a sequence of emits on one fresh socket, in any order (messages before a session
request, several session requests, events the server does not know):

- ``session_request`` with any ``session_id`` (none, text, another channel's id, a forged
  token, JSON of any type) or data that is not an object at all, or with the token this
  socket was given earlier (a reload: that token must be confirmed again);
- ``user_uttered`` with any ``message`` (text a customer types, or JSON of any type), any
  ``session_id`` and any ``customData``, or data that is not an object, or several arguments;
- an event of another name.

A ``user_uttered`` whose data is an object with a text ``message`` that has a visible
character must get a reply (``bot_uttered``).
"""

import copy
from dataclasses import dataclass
from typing import Any, List, Optional

from hypothesis import strategies as st

from tests.fuzz.strategies import customer_texts, is_customer_text, json_values

RESERVED = {"connect", "connect_error", "disconnect", "__disconnect_final"}

claimed_ids = st.one_of(
    st.none(),
    st.text(max_size=70),
    json_values,
    st.sampled_from(
        [
            "4242",
            "tg:4242",
            "fb:12345",
            "rest:app-user",
            "web:" + "0" * 32,
            "0" * 64,
            "f" * 64,
            "a" * 32 + "b" * 32,
        ]
    ),
    st.text(st.sampled_from("0123456789abcdef"), min_size=64, max_size=64),  # forged
)
page_data = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"language": st.sampled_from(["bn", "en", "fr", "", None])},
        optional={"session_id": claimed_ids, "extra": json_values},
    ),
)


@dataclass
class Emit:
    event: str
    data: Any  # one argument; a tuple is sent as several arguments
    reuse_token: bool = False  # session_request with the token confirmed earlier

    @property
    def must_reply(self) -> bool:
        return (
            self.event == "user_uttered"
            and isinstance(self.data, dict)
            and is_customer_text(self.data.get("message"))
        )

    @property
    def reaches_rasa(self) -> bool:
        return (
            self.event == "user_uttered"
            and isinstance(self.data, dict)
            and isinstance(self.data.get("message"), str)
        )

    @property
    def text(self) -> Optional[str]:
        return self.data.get("message") if self.must_reply else None


session_requests = st.one_of(
    st.builds(lambda sid: Emit("session_request", {"session_id": sid}), claimed_ids),
    st.builds(lambda data: Emit("session_request", data), json_values),
    st.just(Emit("session_request", {"session_id": None}, reuse_token=True)),
)

user_messages = st.one_of(
    st.builds(
        lambda text, sid, meta: Emit(
            "user_uttered", {"message": text, "session_id": sid, "customData": meta}
        ),
        customer_texts,
        claimed_ids,
        page_data,
    ),
    st.builds(lambda value: Emit("user_uttered", {"message": value}), json_values),
    st.builds(lambda data: Emit("user_uttered", data), json_values),
    st.builds(
        lambda args: Emit("user_uttered", tuple(args)),
        st.lists(json_values, min_size=2, max_size=3),
    ),
)

other_events = st.builds(
    Emit,
    st.one_of(
        st.sampled_from(
            ["bot_uttered", "session_confirm", "message", "user_utter", "USER_UTTERED"]
        ),
        st.text(min_size=1, max_size=30),
    ).filter(lambda name: name not in RESERVED),
    json_values,
)

emits = st.one_of(session_requests, user_messages, other_events).map(copy.deepcopy)


def sequences(min_size: int = 1, max_size: int = 6) -> st.SearchStrategy[List[Emit]]:
    return st.lists(emits, min_size=min_size, max_size=max_size)
