"""Seba's response generator: Rasa's templated NLG plus reply language and shop settings.

Configured in endpoints.yml (``nlg: type: seba.nlg.SebaNLG``). For every reply it
- works out the reply language from the conversation (``seba.language``) and
  matches it against response conditions on the ``language`` slot, so domain.yml
  keeps Rasa's own conditional-variation syntax while no action has to run to
  set the slot;
- fills the shop's policy values from ``shop.yml`` (``{delivery_charge_inside_dhaka}``,
  ``{return_window_days}``, ...), so answers follow the settings without retraining.
It runs inside the Rasa server: no extra HTTP call per reply.
"""

from typing import Any, Dict, Optional, Text

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from seba.language import language_for_tracker
from seba.settings import load_settings

LANGUAGE_SLOT = "language"


class SebaNLG(TemplatedNaturalLanguageGenerator):
    def __init__(
        self,
        endpoint_config: Optional[EndpointConfig] = None,
        domain: Optional[Domain] = None,
        **_: Any,
    ) -> None:
        super().__init__((domain or Domain.empty()).responses)

    async def generate(
        self,
        utter_action: Text,
        tracker: DialogueStateTracker,
        output_channel: Text,
        **kwargs: Any,
    ) -> Optional[Dict[Text, Any]]:
        filled_slots = tracker.current_slot_values()
        language = language_for_tracker(tracker)
        filled_slots[LANGUAGE_SLOT] = language
        # Values passed by an action win over the settings' defaults.
        values = {**load_settings().template_vars(language), **kwargs}
        return self.generate_from_slots(utter_action, filled_slots, output_channel, **values)
