"""Handing the conversation to a person.

Placeholder until the agent queue exists: tells the customer that a person will help
and how to reach the team now ({shop_phone}, {agent_hours}). A later issue replaces it
with a real queue entry and ``ConversationPaused()``.
"""

from typing import List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import SebaAction


class ActionHandoff(SebaAction):
    def name(self) -> Text:
        return "action_handoff"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_handoff_unavailable")
        return []
