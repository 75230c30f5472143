"""Which of two close guesses the customer means (seba.clarify; issue 12)."""

from typing import List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import SebaAction, language, utter
from seba import clarify


class ActionClarify(SebaAction):
    """Asks "Do you want to A, or B?" with a button for each and one for something else.
    The labels come from the message's parse data, where SebaMessageProcessor put them."""

    def name(self) -> Text:
        return "action_clarify"

    async def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        choices = list((tracker.latest_message or {}).get(clarify.CHOICES) or [])
        if len(choices) < 2 or not all(c in clarify.LABELS for c in choices[:2]):
            dispatcher.utter_message(response="utter_please_rephrase")
            return []
        utter(dispatcher, "utter_clarify", **clarify.question_values(choices, language(tracker)))
        return []
