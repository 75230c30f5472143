"""What a customer's message is taken as, beyond the NLU's single best guess (issue 12).

``UnderstandingMixin`` is part of ``SebaMessageProcessor`` (seba/runtime.py):

* a press of a clarify button is the original message taken as the chosen label
  (``seba.clarify``), without reading the NLU again;
* outside a form, a message with two requests is answered as consecutive turns, and a
  request wrapped in greetings is answered as the request (``seba.multi_request``);
* outside a form, two close guesses become the intent ``clarify`` (``seba.clarify``).

A message that is none of these keeps the NLU's reading, computed once as before; the only
extra work for it is ``multi_request.has_seams`` (one regex) and a look at the ranking.
"""

import logging
from typing import Any, Dict

from rasa.core.actions.action import create_bot_utterance
from rasa.core.channels.channel import UserMessage
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from seba import clarify, multi_request
from seba.nlu.linear_classifier import KEY_RANKING

logger = logging.getLogger(__name__)

#: Told to the customer when a form comes first ("then I'll answer your … question").
LATER_RESPONSE = "utter_answer_next"


class UnderstandingMixin:
    """Mixed into Rasa's MessageProcessor (uses its graph runner, NLG and prediction loop)."""

    def _parse_message_with_graph(
        self, message: UserMessage, tracker: DialogueStateTracker, only_output_properties=True
    ) -> Dict[str, Any]:
        """Rasa's, keeping the classifier's ranking of FAQ keys (``KEY_RANKING``), which
        Rasa leaves out of the parse data; :meth:`understand` takes it out again."""
        results = self.graph_runner.run(
            inputs={PLACEHOLDER_MESSAGE: [message], PLACEHOLDER_TRACKER: tracker},
            targets=[self.model_metadata.nlu_target],
        )
        parsed = results[self.model_metadata.nlu_target][0]
        parse_data: Dict[str, Any] = {
            "text": "",
            "intent": {"name": None, "confidence": 0.0},
            "entities": [],
        }
        parse_data.update(parsed.as_dict(only_output_properties=only_output_properties))
        if parsed.get(KEY_RANKING):
            parse_data[KEY_RANKING] = [list(kp) for kp in parsed.get(KEY_RANKING)]
        return parse_data

    async def understand(
        self, message: UserMessage, tracker: DialogueStateTracker
    ) -> Dict[str, Any]:
        """The parse data ``message`` (its text screened already) is logged with."""
        text = message.text
        previous = tracker.latest_message.parse_data if tracker.latest_message else None
        label = clarify.chosen_label(text, previous)
        if label:
            return clarify.chosen_parse(text, label, previous or {})
        parse = await self.parse_message(message, tracker)
        key_ranking = parse.pop(KEY_RANKING, None)
        if tracker.active_loop_name or not isinstance(text, str) or text.startswith("/"):
            return parse

        async def read(clause: str) -> Dict[str, Any]:
            return await self.parse_message(UserMessage(clause, sender_id=message.sender_id))

        plan = await multi_request.plan(text, parse, read)
        if plan is not None:
            message.seba_later = plan.later  # logged by log_later_requests
            return plan.first
        pair = clarify.close_pair(clarify.ranked_labels(parse, key_ranking))
        if pair:
            return clarify.mark_ambiguous(parse, pair)
        return parse

    def log_later_requests(self, message: UserMessage, tracker: DialogueStateTracker) -> None:
        later = getattr(message, "seba_later", None)
        if later:
            tracker.update(SlotSet(multi_request.PENDING_SLOT, later), self.domain)

    async def answer_later_requests(self, output_channel: Any, tracker: DialogueStateTracker):
        """After a turn: the requests waiting in ``pending_requests`` are logged as the
        customer's next turns, unless a form is open (then the customer is told, once)."""
        for _ in range(multi_request.MAX_REQUESTS):
            if multi_request.PENDING_SLOT not in tracker.slots:
                return
            waiting = tracker.get_slot(multi_request.PENDING_SLOT)
            if not waiting:
                return
            latest = tracker.latest_message.parse_data if tracker.latest_message else {}
            if (latest or {}).get("intent", {}).get("name") == clarify.CLARIFY_INTENT:
                return  # the bot asked which one: the customer's answer comes first
            if tracker.is_paused():  # a person took the conversation over: theirs to answer
                tracker.update(SlotSet(multi_request.PENDING_SLOT, None), self.domain)
                return
            if tracker.active_loop_name:
                if (latest or {}).get(multi_request.REQUESTS):
                    await self._tell_later(output_channel, tracker, waiting[0])
                return
            request, rest = waiting[0], waiting[1:]
            tracker.update(SlotSet(multi_request.PENDING_SLOT, rest or None), self.domain)
            parse = multi_request.later_parse(request, rest)
            tracker.update(
                UserUttered(
                    parse["text"],
                    parse["intent"],
                    parse["entities"],
                    parse,
                    input_channel=output_channel.name() if output_channel else None,
                ),
                self.domain,
            )
            tracker = await self.run_action_extract_slots(output_channel, tracker)
            await self._seba_prediction_loop(output_channel, tracker)

    async def _tell_later(self, output_channel: Any, tracker: DialogueStateTracker, request):
        language = _language(tracker)
        response = await self.nlg.generate(
            LATER_RESPONSE,
            tracker,
            output_channel.name(),
            pending_topic=multi_request.waiting_topic(request, language),
        )
        if response:
            event = create_bot_utterance(dict(response))
            await self.execute_side_effects([event], tracker, output_channel)
            tracker.update(event, self.domain)


def _language(tracker: DialogueStateTracker) -> str:
    from seba.language import language_for_tracker

    return language_for_tracker(tracker)
