"""Rasa's command line with one change: a failed custom action gets an apology.

Out of the box, when the action server is down or answers with an error, Rasa
logs the exception and the customer hears nothing. ``SebaRemoteAction`` keeps
Rasa's behaviour (log, lose the action's events) and adds the reply
``utter_technical_problem`` in the customer's language, so the customer knows
to try again or call the shop.

Use it exactly like the ``rasa`` command: ``python -m seba.server run --enable-api``.
"""

import logging
from typing import Any, List

from rasa.core.actions import action as rasa_action
from rasa.core.actions import forms as rasa_forms
from rasa.shared.core.events import Event
from rasa.shared.exceptions import RasaException

logger = logging.getLogger(__name__)

APOLOGY_RESPONSE = "utter_technical_problem"


class SebaRemoteAction(rasa_action.RemoteAction):
    async def run(self, output_channel, nlg, tracker, domain) -> List[Event]:
        try:
            return await super().run(output_channel, nlg, tracker, domain)
        except rasa_action.ActionExecutionRejection:
            raise  # a form's validation said no: Rasa's normal path
        except RasaException:
            logger.exception("Custom action '%s' failed; apologising.", self.name())
            message: Any = await nlg.generate(APOLOGY_RESPONSE, tracker, output_channel.name())
            if not message:
                return []
            return [rasa_action.create_bot_utterance(dict(message))]


def install() -> None:
    """Make Rasa create ``SebaRemoteAction`` for every custom action."""
    rasa_action.RemoteAction = SebaRemoteAction  # used by action_for_name_or_text
    rasa_forms.RemoteAction = SebaRemoteAction  # used for form validation actions


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
