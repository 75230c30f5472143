"""A clarifying question when the NLU's two best guesses are close (issue 12).

``SebaMessageProcessor`` (seba/runtime.py) reads the ranking of every customer message that
is not inside a form. When the two best labels — intents, with ``faq`` split into its FAQ
keys (``seba.nlu.linear_classifier.KEY_RANKING``) — are both requests the bot can ask about
(``LABELS``) and are close, the message gets the intent ``clarify`` instead of a guess, and
``action_clarify`` (actions/clarify.py) asks "Do you want to A, or B?" with a button for
each and a third for "something else" (the usual fallback).

A button's payload is ``/<label>`` (``/order_status``, ``/faq/delivery_time``). Pressed in
the bot's latest turn (``seba.controls`` lets only offered payloads through), it answers the
ORIGINAL message as that label: :func:`chosen_parse` copies the original's entities, so the
form it starts or the FAQ it answers sees what the customer wrote. The choice is kept on the
click's parse data (``CHOSE``) and the review queue offers the original text with that label
pre-selected (seba/content/review_queue.py). Typed words instead of a click are a new message.
"""

from typing import Any, Dict, List, Optional, Sequence, Tuple

#: The intent the processor gives an ambiguous message; never predicted by the NLU.
CLARIFY_INTENT = "clarify"
#: On the ambiguous message's parse data: the labels the bot asked about.
CHOICES = "seba_clarify"
#: On the button press's parse data: {"label": chosen, "choices": [...], "text": original}.
CHOSE = "seba_chose"
#: The third button: "something else" goes to the usual fallback.
SOMETHING_ELSE = "/nlu_fallback"

#: Two guesses this close (absolute difference of confidences) are asked about. Rasa's
#: FallbackClassifier uses 0.05 between intents; FAQ keys of one intent were not compared.
CLOSE_MARGIN = 0.1
#: ...if the second is a real candidate: below this it is noise, and today's handling stays.
MIN_SECOND = 0.2

#: label -> language -> (what the question says, the button's title). The question reads
#: "আপনি কি {first}, নাকি {second}?" / "Do you want to {first}, or {second}?".
LABELS: Dict[str, Dict[str, Tuple[str, str]]] = {
    "order_status": {
        "bn": ("অর্ডারের অবস্থা জানতে চাচ্ছেন", "অর্ডারের অবস্থা"),
        "en": ("check your order status", "Order status"),
    },
    "cancel_order": {
        "bn": ("অর্ডার বাতিল করতে চান", "অর্ডার বাতিল"),
        "en": ("cancel an order", "Cancel an order"),
    },
    "return_request": {
        "bn": ("রিটার্ন করতে চান", "রিটার্ন করব"),
        "en": ("return an item", "Return an item"),
    },
    "return_policy": {
        "bn": ("রিটার্নের নিয়ম জানতে চাচ্ছেন", "রিটার্নের নিয়ম"),
        "en": ("know our return policy", "Return policy"),
    },
    "refund_status": {
        "bn": ("রিফান্ডের খবর জানতে চাচ্ছেন", "রিফান্ডের অবস্থা"),
        "en": ("check on your refund", "Refund status"),
    },
    "product_info": {
        "bn": ("কোনো পণ্যের দাম বা স্টক জানতে চাচ্ছেন", "পণ্যের তথ্য"),
        "en": ("ask about a product", "Product details"),
    },
    "human_handoff": {
        "bn": ("আমাদের একজন প্রতিনিধির সাথে কথা বলতে চান", "প্রতিনিধির সাথে কথা"),
        "en": ("talk to a person", "Talk to a person"),
    },
    "complaint": {
        "bn": ("কোনো অভিযোগ জানাতে চান", "অভিযোগ জানাব"),
        "en": ("make a complaint", "Make a complaint"),
    },
    "faq/delivery_time": {
        "bn": ("ডেলিভারি কত দিনে হয় জানতে চাচ্ছেন", "ডেলিভারির সময়"),
        "en": ("know how long delivery takes", "Delivery time"),
    },
    "faq/delivery_charge": {
        "bn": ("ডেলিভারি চার্জ কত জানতে চাচ্ছেন", "ডেলিভারি চার্জ"),
        "en": ("know the delivery charge", "Delivery charge"),
    },
    "faq/payment_methods": {
        "bn": ("কীভাবে পেমেন্ট করবেন জানতে চাচ্ছেন", "পেমেন্টের উপায়"),
        "en": ("know how you can pay", "Payment methods"),
    },
    "faq/business_hours": {
        "bn": ("আমরা কখন খোলা থাকি জানতে চাচ্ছেন", "খোলার সময়"),
        "en": ("know our opening hours", "Opening hours"),
    },
    "faq/how_to_order": {
        "bn": ("কীভাবে অর্ডার করবেন জানতে চাচ্ছেন", "কীভাবে অর্ডার করব"),
        "en": ("know how to place an order", "How to order"),
    },
    "faq/warranty": {
        "bn": ("ওয়ারেন্টির ব্যাপারে জানতে চাচ্ছেন", "ওয়ারেন্টি"),
        "en": ("ask about the warranty", "Warranty"),
    },
    "faq/contact": {
        "bn": ("আমাদের সাথে যোগাযোগের উপায় জানতে চাচ্ছেন", "যোগাযোগ"),
        "en": ("know how to contact us", "Contact us"),
    },
    "faq/size_guide": {
        "bn": ("আপনার সাইজ কোনটা হবে জানতে চাচ্ছেন", "সাইজ গাইড"),
        "en": ("find your size", "Size guide"),
    },
}

#: Intents never asked about (a greeting, a yes, a number, a rating are not requests to
#: choose between), with the reason. tests/test_clarify.py checks every intent and FAQ key
#: of the training data is in exactly one of LABELS and NOT_ASKED.
NOT_ASKED: Dict[str, str] = {
    "greet": "small talk",
    "goodbye": "small talk",
    "thank": "small talk",
    "bot_challenge": "small talk",
    "affirm": "an answer to the bot's question",
    "deny": "an answer to the bot's question",
    "inform": "an order number or phone: an answer",
    "rate": "an answer to the bot's question",
    "out_of_scope": "not ours to answer",
    # Settings the customer states plainly; offering them as a guess would be odd at best.
    "forget_me": "a request to be forgotten: never offered as a guess",
    "stop_notices": "a setting (order updates off): never offered as a guess",
    "start_notices": "a setting (order updates on): never offered as a guess",
}


def ranked_labels(
    parse: Dict[str, Any], key_ranking: Optional[Sequence[Sequence[Any]]] = None
) -> List[Tuple[str, float]]:
    """Labels best first: the classifier's key ranking when there is one, else the intent
    ranking with ``faq`` split by the FAQ answer's ranking (``response_selector``)."""
    if key_ranking:
        found = [(str(k), float(p)) for k, p in key_ranking]
    else:
        found = []
        keys = ((parse.get("response_selector") or {}).get("faq") or {}).get("ranking") or []
        for r in parse.get("intent_ranking") or []:
            name, p = r.get("name"), float(r.get("confidence") or 0.0)
            if name == "faq" and keys:
                found += [(k["intent_response_key"], p * float(k["confidence"])) for k in keys]
            elif name:
                found.append((name, p))
    found = [(k, p) for k, p in found if k != "nlu_fallback"]
    return sorted(found, key=lambda kp: -kp[1])


def close_pair(labels: Sequence[Tuple[str, float]]) -> Optional[Tuple[str, str]]:
    """The two best labels if the bot should ask which one is meant."""
    if len(labels) < 2:
        return None
    (first, p1), (second, p2) = labels[0], labels[1]
    if first not in LABELS or second not in LABELS:
        return None
    if p2 < MIN_SECOND or p1 - p2 > CLOSE_MARGIN:
        return None
    return first, second


def mark_ambiguous(parse: Dict[str, Any], pair: Tuple[str, str]) -> Dict[str, Any]:
    """The parse data of a message the bot asks about (the NLU's ranking is kept)."""
    return {**parse, "intent": {"name": CLARIFY_INTENT, "confidence": 1.0}, CHOICES: list(pair)}


def payload(label: str) -> str:
    return "/" + label


def chosen_label(text: Any, previous: Optional[Dict[str, Any]]) -> Optional[str]:
    """The label a clarify button press picks, if ``text`` is one of the payloads offered
    for ``previous`` (the parse data of the customer's previous message). ``text`` has
    passed ``seba.controls.customer_text``: a payload still starting with "/" was offered in
    the bot's latest turn."""
    if not isinstance(text, str) or not previous:
        return None
    choices = previous.get(CHOICES) or []
    for label in choices:
        if text.strip() == payload(label):
            return label
    return None


def label_parse(text: str, label: str, entities: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Parse data that takes ``text`` as ``label`` (an intent, or an FAQ key answered the
    way seba.nlu.FaqKeySelector writes it for Rasa's utter_faq)."""
    intent, _, key = label.partition("/")
    parse: Dict[str, Any] = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "intent_ranking": [{"name": intent, "confidence": 1.0}],
        "entities": list(entities),
    }
    if key:
        parse["intent"]["full_retrieval_intent_name"] = label
        chosen = {"confidence": 1.0, "intent_response_key": label, "utter_action": f"utter_{label}"}
        parse["response_selector"] = {
            "all_retrieval_intents": [intent],
            intent: {
                "response": {"responses": [], **chosen},
                "ranking": [{"id": 0, "confidence": 1.0, "intent_response_key": label}],
            },
        }
    return parse


def chosen_parse(text: str, label: str, previous: Dict[str, Any]) -> Dict[str, Any]:
    """The parse data of a button press: the original message taken as ``label``."""
    parse = label_parse(text, label, list(previous.get("entities") or []))
    parse[CHOSE] = {
        "label": label,
        "choices": list(previous.get(CHOICES) or []),
        "text": previous.get("text") or "",
    }
    return parse


def question_values(choices: Sequence[str], language: str) -> Dict[str, str]:
    """The values ``utter_clarify`` is filled with (seba.content.limits.ACTION_VALUES)."""
    lang = "en" if language == "en" else "bn"
    first, second = (LABELS[c][lang] for c in choices[:2])
    return {
        "first_choice": first[0],
        "second_choice": second[0],
        "first_title": first[1],
        "second_title": second[1],
        "first_payload": payload(choices[0]),
        "second_payload": payload(choices[1]),
    }


def topic(label: str, language: str) -> str:
    """A label's short name ("Return policy"), for "then I'll answer your … question"."""
    names = LABELS.get(label)
    if not names:
        return label
    return names["en" if language == "en" else "bn"][1]
