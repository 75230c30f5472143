"""The content checks' thresholds and deliberate exceptions: the one place to change them.

docs/content-guide.en.md explains each to content staff; change both together.
"""

from typing import Dict, FrozenSet

# Examples each intent (and each FAQ key, faq/<key>) needs per variety (seba.language):
# the held-out scores in README were measured with at least this many.
MIN_EXAMPLES: Dict[str, int] = {"bn": 15, "en": 10, "banglish": 10}

# Intents in domain.yml that have no examples on purpose, with who sets them.
NO_EXAMPLES: Dict[str, str] = {
    "EXTERNAL_handback": "sent by the agent console when an agent hands a chat back",
    "message_too_long": "set by seba.inbound before the NLU for an over-long message",
    "empty_message": "set by seba.inbound before the NLU for a message with no text",
    "nlu_fallback": "set by Rasa's FallbackClassifier when the bot is unsure",
    "clarify": "set by seba.clarify when the bot's two best guesses are close",
    "EXTERNAL_order_update": "triggered by the order-notice deliverer (seba/notices)",
    "EXTERNAL_delivery_failed": "triggered by the order-notice deliverer (seba/notices)",
}

# Intents written in fewer varieties on purpose: intent -> the varieties it is written in
# (with the reason in a comment). None today: every intent the NLU predicts is written in
# Bangla, English and Banglish. Lookup tables (data/nlu/lookup_products.yml), synonyms and
# regexes are not intents and are not counted.
ONE_LANGUAGE: Dict[str, FrozenSet[str]] = {}

# Near-duplicates across intents: Jaccard similarity of the two examples' sets of
# character 3-grams (each word padded with spaces, after normalisation). Measured on
# data/nlu (2,243 examples): the closest pairs of different intents score at most 0.77,
# and all are deliberate contrasts ("absolutely" / "absolutely not", "delivery time inside
# dhaka" / "delivery fee inside dhaka"); one extra filler word or swapped words score
# 0.87 / 1.0 on median.
NEAR_DUPLICATE_ERROR = 0.90  # the same words, bar a typo or word order: one must go
NEAR_DUPLICATE_WARNING = 0.80  # very alike: a person decides whether they differ
# Pairs that differ by a negation are the examples that teach the difference: not flagged.
NEGATIONS: FrozenSet[str] = frozenset(
    "না নাহ নেই নাই নয় নি not no nope never dont don't na nah nai nei noy".split()
)

# Values custom actions pass to responses (dispatcher.utter_message(response=..., **values)),
# besides slots and shop.yml's template variables (seba.settings.Settings.template_vars).
ACTION_VALUES: FrozenSet[str] = frozenset(
    {
        "order_number",
        "status",
        "courier",
        "tracking_code",
        "expected_date",
        "delivered_date",
        "amount",
        "refund_method",
        "refund_status",
        "completed_date",
        "reference",
        "return_status",
        "days_left",
        "items",
        "pickup_days",
        "product_name",
        "price",
        "sizes",
        "queue_position",
        "wait_minutes",
        "agents_back",
        "agent_name",
        "seconds",
        # seba.clarify: utter_clarify and utter_answer_next
        "first_choice",
        "second_choice",
        "first_title",
        "second_title",
        "first_payload",
        "second_payload",
        "pending_topic",
        "detail",  # the courier's own note on an order update (actions/notices.py)
        "order_number_digits",
    }
)

# An example longer than this is never read (shop.yml messages.max_chars decides at run
# time; this is the fallback when shop.yml cannot be read).
DEFAULT_MAX_CHARS = 1000
# How much of an example or text a message quotes.
EXCERPT_CHARS = 60
# `rasa data validate` may take this long before it is given up.
RASA_TIMEOUT_SECONDS = 600
