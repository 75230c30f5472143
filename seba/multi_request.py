"""Two requests in one message, and a greeting or thanks around a request (issue 12).

"order kothay ar return korbo kivabe?" asks two things; the NLU gives one intent per message,
so one of them was lost. ``SebaMessageProcessor`` (seba/runtime.py) asks :func:`plan` about a
message outside a form once the NLU has read it as a whole:

* :func:`has_seams` is the cheap check (one regex): a message without a conjunction (ar, আর,
  এবং, and, also …), a sentence end or a comma inside it is handled exactly as before, with
  no second NLU pass;
* otherwise it is split into clauses, each read by the loaded NLU. Two or more confident,
  different requests (``seba.clarify.LABELS``: orders, returns, FAQ keys …) are answered in
  turn: the message is logged as the first; the others wait in the slot
  ``pending_requests`` and are logged as the customer's next turns right after — or, if the
  first opened a form (order number + phone), once the form is done or left, the customer
  being told so (``utter_answer_next``);
* one confident request wrapped in greetings or thanks ("assalamualaikum vai, order kobe
  pabo? dhonnobad") is answered as that request when the whole message was read as the
  small talk (or not understood); a greeting then needs no reply of its own.

Anything else keeps the whole message's reading.
"""

import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence

from seba import clarify
from seba.nlu.linear_classifier import KEY_RANKING

#: The slot holding the requests still to answer: [{"text", "label", "entities"}].
PENDING_SLOT = "pending_requests"
#: On the first request's parse data: every request the message held (labels, in order).
REQUESTS = "seba_requests"
#: On a later request's parse data: logged by the bot from an earlier message.
FROM_EARLIER = "seba_from_earlier"
#: A clause is a request when the NLU is at least this sure of it.
MIN_CONFIDENCE = 0.5
#: At most this many requests of one message are answered (the rest would be a list).
MAX_REQUESTS = 3
#: Small talk that may wrap a request.
PLEASANTRIES = {"greet", "thank", "goodbye"}
#: Read as a whole when the whole message reads so: a complaint tells one story in several
#: sentences ("What service is this? 10 days and no parcel, nobody answers!"), and a request
#: for a person decides the turn.
WHOLE_INTENTS = {"complaint", "human_handoff"}
#: Requests: the intents the clarify question may ask about, and FAQ keys.
REQUEST_INTENTS = {label.split("/", 1)[0] for label in clarify.LABELS}

# Conjunctions and sentence ends between clauses. "r" (Banglish for ar) and "o" (also) are
# too short to trust; "ar" also means "more" ("ar koto din"), hence the confidence bar.
_CONJUNCTION = r"(?:ar|আর|এবং|ও\s+আর|and|also|plus|tarpor|তারপর|arekta|আরেকটা)"
_SEAM = re.compile(
    rf"(?:[?!।;\n]+|[.,](?=\s)|(?<![^\s,.?!।]){_CONJUNCTION}(?![^\s,.?!।]))",
    re.IGNORECASE,
)


def has_seams(text: str) -> bool:
    """Whether the message may hold more than one clause (a seam with words after it)."""
    for match in _SEAM.finditer(text):
        if text[: match.start()].strip() and re.search(r"\w", text[match.end() :]):
            return True
    return False


def clauses(text: str) -> List[str]:
    parts = [p.strip(" \t,.-") for p in _SEAM.split(text)]
    return [p for p in parts if re.search(r"\w", p)]


def label_of(parse: Dict[str, Any]) -> Optional[str]:
    """The request a clause asks, if the NLU is sure of it; None for anything else."""
    intent = parse.get("intent") or {}
    name, confidence = intent.get("name"), float(intent.get("confidence") or 0.0)
    if name not in REQUEST_INTENTS or confidence < MIN_CONFIDENCE:
        return None
    if name == "faq":
        return intent.get("full_retrieval_intent_name") or None
    return name


@dataclass
class Plan:
    first: Dict[str, Any]  # the parse data the message is logged with
    later: List[Dict[str, Any]] = field(default_factory=list)  # PENDING_SLOT's value


Parser = Callable[[str], Awaitable[Dict[str, Any]]]


async def plan(text: str, whole: Dict[str, Any], parse: Parser) -> Optional[Plan]:
    """How to answer a message the NLU read as ``whole``: None keeps that reading.

    ``parse`` reads a clause (its parse data may carry the classifier's KEY_RANKING). A clause
    the NLU is torn about between two requests ("how do i return a shirt": the return policy,
    or a return?) counts as a request too: when its turn comes, the bot asks which one
    (``seba.clarify``); it is answered after the confident ones, as the question waits for
    the customer."""
    if not has_seams(text) or (whole.get("intent") or {}).get("name") in WHOLE_INTENTS:
        return None
    requests: List[Dict[str, Any]] = []
    small_talk = True
    for clause in clauses(text)[: MAX_REQUESTS * 3]:
        reading = await parse(clause)
        key_ranking = reading.pop(KEY_RANKING, None)
        label, choices = label_of(reading), None
        if label is None:
            choices = clarify.close_pair(clarify.ranked_labels(reading, key_ranking))
            label = choices[0] if choices else None
        if label is None:
            name = (reading.get("intent") or {}).get("name")
            small_talk = small_talk and name in PLEASANTRIES
            continue
        if all(r["label"] != label and label not in (r["choices"] or ()) for r in requests):
            requests.append(
                {"text": clause, "label": label, "choices": choices, "reading": reading}
            )
    requests.sort(key=lambda r: r["choices"] is not None)  # stable: the sure ones first
    requests = requests[:MAX_REQUESTS]
    if len(requests) >= 2 and requests[0]["choices"] is None:
        first, *later = requests
        parsed = _as_message(first["reading"], whole, text)
        parsed[REQUESTS] = [r["label"] for r in requests]
        return Plan(parsed, [_waiting(r) for r in later])
    whole_name = (whole.get("intent") or {}).get("name")
    sure = [r for r in requests if r["choices"] is None]
    if len(requests) == 1 and sure and small_talk and label_of(whole) != sure[0]["label"]:
        if whole_name in PLEASANTRIES or whole_name == "nlu_fallback" or label_of(whole) is None:
            return Plan(_as_message(sure[0]["reading"], whole, text))
    return None


def _waiting(request: Dict[str, Any]) -> Dict[str, Any]:
    waiting = {
        "text": request["text"],
        "label": request["label"],
        "entities": request["reading"].get("entities"),
    }
    if request["choices"]:
        waiting["choices"] = list(request["choices"])
    return waiting


def _as_message(reading: Dict[str, Any], whole: Dict[str, Any], text: str) -> Dict[str, Any]:
    """A clause's reading as the whole message's parse data: the customer's full text, and
    the entities found in it (their positions are the full text's)."""
    return {**reading, "text": text, "entities": list(whole.get("entities") or [])}


def later_parse(request: Dict[str, Any], rest: Sequence[Dict[str, Any]] = ()) -> Dict[str, Any]:
    """The parse data a waiting request is logged with (``rest``: those still after it); a
    request the NLU was torn about is logged as the question which one (``seba.clarify``)."""
    text = str(request.get("text") or "")
    entities = list(request.get("entities") or [])
    choices = [c for c in request.get("choices") or [] if c in clarify.LABELS][:2]
    if len(choices) == 2:
        parse = clarify.mark_ambiguous({"text": text, "entities": entities}, tuple(choices))
    else:
        parse = clarify.label_parse(text, str(request.get("label") or ""), entities)
    parse[FROM_EARLIER] = True
    if rest:  # if this one opens a form, the customer is told about the next
        parse[REQUESTS] = [request.get("label")] + [r.get("label") for r in rest]
    return parse


def waiting_topic(request: Dict[str, Any], language: str) -> str:
    """What the customer is told will be answered next ("Return policy")."""
    choices = [c for c in request.get("choices") or [] if c in clarify.LABELS][:2]
    if len(choices) == 2:
        return " / ".join(clarify.topic(c, language) for c in choices)
    return clarify.topic(str(request.get("label") or ""), language)
