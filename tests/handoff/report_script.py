"""Scripted conversations for the report tests: Rasa's own SQLTrackerStore writes real events
(sessions, the customer's messages with the intent Rasa would have parsed, the bot's
actions and words, pauses, the console's hand back) at chosen shop-local moments, and the
handoff tables get the tickets and ratings that the bot and the console would have written.

    chats = Chats(ZONE)
    chat = chats.chat("tg:1")
    chat.session(day(6, 9, 0))
    chat.say(day(6, 9, 0), "অর্ডার কোথায়?", "order_status")
    chats.save(SQLTrackerStore(Domain.empty(), dialect="sqlite", db=path))
"""

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import Dict, List, Optional
from zoneinfo import ZoneInfo

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    SessionStarted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from handoff.db import session_scope
from handoff.models import BotRating, Ticket

ZONE = ZoneInfo("Asia/Dhaka")  # shop.yml hours.timezone


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    """A naive shop-local moment (how the handoff tables store times)."""
    return dt.datetime(year, month, day, hour, minute, second)


def epoch(moment: dt.datetime) -> float:
    return moment.replace(tzinfo=ZONE).timestamp()


@dataclass
class Chat:
    sender_id: str
    channel: str
    events: List = field(default_factory=list)

    def session(self, moment: dt.datetime) -> "Chat":
        """What Rasa stores when a session begins (action_session_start)."""
        t = epoch(moment) - 0.01
        self.events += [
            ActionExecuted("action_session_start", timestamp=t),
            SessionStarted(timestamp=t + 0.001),
            ActionExecuted("action_listen", timestamp=t + 0.002),
        ]
        return self

    def say(
        self,
        moment: dt.datetime,
        text: str,
        intent: str,
        confidence: float = 0.95,
        faq: Optional[str] = None,
        guess: Optional[str] = None,
        page_language: Optional[str] = None,
        answer: str = "utter_answer",
        paused: bool = False,
    ) -> "Chat":
        """The customer's message, parsed as Rasa's NLU pipeline would, and the bot's answer
        (nothing when the conversation is paused: Rasa only logs the message)."""
        t = epoch(moment)
        ranking = [{"name": intent, "confidence": confidence}]
        if intent == "nlu_fallback":
            ranking = [
                {"name": "nlu_fallback", "confidence": 0.3},
                {"name": guess or "faq", "confidence": confidence},
            ]
        parse_data = {"intent": ranking[0], "entities": [], "intent_ranking": ranking, "text": text}
        if faq:
            parse_data["response_selector"] = {
                "all_retrieval_intents": ["faq"],
                "faq": {
                    "response": {
                        "responses": [],
                        "confidence": 0.9,
                        "intent_response_key": faq,
                        "utter_action": f"utter_{faq}",
                    },
                    "ranking": [{"id": 0, "confidence": 0.9, "intent_response_key": faq}],
                },
            }
            answer = f"utter_{faq}"
        metadata = {"language": page_language} if page_language else {}
        self.events.append(
            UserUttered(
                text,
                intent=ranking[0],
                parse_data=parse_data,
                timestamp=t,
                input_channel=self.channel,
                metadata=metadata,
            )
        )
        if not paused:
            self.events += [
                ActionExecuted(answer, timestamp=t + 0.2),
                BotUttered(f"({answer})", metadata={"utter_action": answer}, timestamp=t + 0.3),
                ActionExecuted("action_listen", timestamp=t + 0.4),
            ]
        return self

    def hand_over(self, moment: dt.datetime) -> "Chat":
        """action_handoff: the queue message, then the bot pauses itself."""
        t = epoch(moment)
        self.events += [
            ActionExecuted("action_handoff", timestamp=t),
            BotUttered(
                "(queued)", metadata={"utter_action": "utter_handoff_queued"}, timestamp=t + 0.1
            ),
            ConversationPaused(timestamp=t + 0.2),
            ActionExecuted("action_listen", timestamp=t + 0.3),
        ]
        return self

    def agent_says(self, moment: dt.datetime, text: str) -> "Chat":
        self.events.append(BotUttered(text, metadata={"agent": "রিনা"}, timestamp=epoch(moment)))
        return self

    def handed_back(self, moment: dt.datetime) -> "Chat":
        """The console's hand back: resume, then the EXTERNAL_handback intent it triggers."""
        t = epoch(moment)
        intent = {"name": "EXTERNAL_handback", "confidence": 1.0}
        self.events += [
            ConversationResumed(timestamp=t),
            UserUttered(
                "EXTERNAL: EXTERNAL_handback",
                intent=intent,
                parse_data={"intent": intent, "entities": []},
                timestamp=t + 0.1,
                metadata={"is_external": True},
            ),
            ActionExecuted("utter_handback_welcome", timestamp=t + 0.2),
            ActionExecuted("action_listen", timestamp=t + 0.3),
        ]
        return self


class Chats:
    def __init__(self) -> None:
        self.chats: Dict[str, Chat] = {}
        self.tickets: List[dict] = []
        self.bot_ratings: List[dict] = []

    def chat(self, sender_id: str) -> Chat:
        prefix = sender_id.split(":", 1)[0]
        channel = {"tg": "telegram", "fb": "facebook", "web": "socketio", "rest": "rest"}.get(
            prefix, "cmdline"
        )
        return self.chats.setdefault(sender_id, Chat(sender_id, channel))

    def ticket(
        self,
        conversation_id: str,
        reason: str,
        created: dt.datetime,
        claimed: Optional[dt.datetime] = None,
        closed: Optional[dt.datetime] = None,
        resolution: Optional[str] = None,
        rating: Optional[int] = None,
    ) -> None:
        state = {
            None: "assigned" if claimed else "waiting",
            "resolved": "resolved",
            "handed_back": "resolved",
            "abandoned": "abandoned",
        }[resolution]
        self.tickets.append(
            dict(
                conversation_id=conversation_id,
                reason=reason,
                state=state,
                resolution=resolution,
                created_at=created,
                assigned_at=claimed,
                resolved_at=closed,
                rating=rating,
                rated_at=closed if rating else None,
                channel=self.chat(conversation_id).channel,
                language="bn",
            )
        )

    def bot_rating(self, conversation_id: str, rating: int, moment: dt.datetime) -> None:
        self.bot_ratings.append(
            dict(conversation_id=conversation_id, rating=rating, created_at=moment)
        )

    def save(self, store: SQLTrackerStore, handoff_url: str) -> None:
        for chat in self.chats.values():
            if not chat.events:
                continue
            tracker = DialogueStateTracker.from_events(chat.sender_id, chat.events)
            asyncio.run(store.save(tracker))
        with session_scope(handoff_url) as session:
            session.add_all(Ticket(**row) for row in self.tickets)
            session.add_all(BotRating(**row) for row in self.bot_ratings)
