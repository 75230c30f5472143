"""Hypothesis strategies shared by the fuzz tests: what customers type, JSON of any shape,
raw bodies, ids.

Customers write Bangla (Bengali script, often Bengali digits), English and Banglish, with
emoji, and their phones add zero-width joiners, direction marks and the odd control
character. ``customer_texts`` mixes realistic messages (the benchmark's scripted customers)
with all of that, plus commands, very long and blank messages.

``is_customer_text`` says which texts the properties treat as a real text message that must
get a reply: at least one visible character (a letter, digit, punctuation mark or symbol).
Blank messages and messages of only invisible characters may be ignored by the bot.
"""

import json
import unicodedata
from typing import Any, List, Tuple

from hypothesis import strategies as st

from bench.scripts import DEMO_ORDERS, SCRIPTS, Script
from channels import MAX_JSON_DEPTH

BN_DIGITS = "০১২৩৪৫৬৭৮৯"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"  # ZWSP, ZWNJ, ZWJ, word joiner, BOM
DIRECTION_MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ODD_SPACES = " \t\n\r\x0b\x0c\u00a0\u1680\u2000\u2007\u2028\u2029\u202f\u3000"
BENGALI_SIGNS = "\u0981\u0982\u0983\u09bc\u09be\u09bf\u09c0\u09c1\u09cd\u09d7"  # signs, hasanta
EMOJI_SEQUENCES = ["😊", "👍🏽", "👨‍👩‍👧", "🏳️‍🌈", "❤️", "🇧🇩", "🙏", "😭😭", "🛍️", "#️⃣"]


def _script_turns(script: Script) -> list:
    order, phone = DEMO_ORDERS[0]
    return script.render(order, phone)


#: What real customers type (bench/scripts.py), in the three varieties.
REAL_MESSAGES = sorted(
    {turn for script in SCRIPTS for turn in _script_turns(script) if not turn.startswith("/")}
)

bengali_letters = st.characters(min_codepoint=0x0980, max_codepoint=0x09FF)
emoji = st.one_of(
    st.sampled_from(EMOJI_SEQUENCES), st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF)
)
invisible = st.sampled_from(ZERO_WIDTH + DIRECTION_MARKS + BENGALI_SIGNS)
control = st.characters(categories=["Cc"])
odd_space = st.sampled_from(ODD_SPACES)

#: One piece of a message: a word, a digit run, an emoji, an invisible or control character.
pieces = st.one_of(
    st.sampled_from(REAL_MESSAGES),
    st.text(bengali_letters, min_size=1, max_size=8),
    st.text(st.sampled_from(BN_DIGITS), min_size=1, max_size=11),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=8),
    emoji,
    invisible,
    control,
    odd_space,
    st.text(max_size=6),  # anything Unicode has (no lone surrogates)
)

mixed_texts = st.lists(pieces, min_size=1, max_size=8).map("".join)

#: Telegram-style commands: /start, /help@SebaShopBot 10456, "/" alone ...
commands = st.builds(
    lambda name, bot, rest: f"/{name}{bot}{rest}",
    st.one_of(
        st.sampled_from(
            [
                "start",
                "help",
                "restart",
                "stop",
                "order",
                "back",
                "session_start",
                "inform",
                "greet",
                "",
            ]
        ),
        st.text(st.characters(categories=["L", "Nd"]), max_size=10),
    ),
    st.sampled_from(["", "@SebaShopBot", "@OtherBot"]),
    st.one_of(
        st.just(""),
        st.text(max_size=20).map(lambda t: " " + t),
        st.sampled_from([' {"phone": "01711000001"}', " 10456", "{}"]),
    ),
)

#: A long message: a real message (or any piece) repeated up to 30,000 characters.
long_texts = st.builds(
    lambda piece, size: (piece * (size // max(len(piece), 1) + 1))[:size],
    st.one_of(st.sampled_from(REAL_MESSAGES), mixed_texts),
    st.integers(min_value=1_000, max_value=30_000),
)

blank_texts = st.text(
    st.one_of(odd_space, st.sampled_from(ZERO_WIDTH + DIRECTION_MARKS)), max_size=12
)

customer_texts = st.one_of(
    st.sampled_from(REAL_MESSAGES),
    mixed_texts,
    commands,
    long_texts,
    blank_texts,
)


def is_customer_text(text: Any) -> bool:
    """A text message the bot must answer: it has a visible character."""
    return isinstance(text, str) and any(unicodedata.category(c)[0] in "LNPS" for c in text)


visible_customer_texts = customer_texts.filter(is_customer_text)

#: The plain greeting that must get a normal answer after every fuzzed input.
HELLOS = ("হ্যালো", "hello")

# --- JSON of any shape --------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    customer_texts,
)

json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.text(max_size=12), children, max_size=5),
    ),
    max_leaves=20,
)


def deeply_nested(depth: int, kind: str) -> str:
    opener, closer = ("[", "]") if kind == "list" else ('{"a":', "}")
    return opener * depth + "1" + closer * depth


#: Bodies that are not a JSON object: binary, invalid UTF-8, non-JSON text, JSON arrays and
#: scalars, deep nesting, lone surrogates in escapes, form encoding.
raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.binary(max_size=50).map(lambda b: b"\xff\xfe" + b + b"\xc3\x28\xed\xa0\x80"),
    st.text(max_size=100).map(lambda t: t.encode("utf-8")),
    json_values.filter(lambda v: not isinstance(v, dict)).map(lambda v: json.dumps(v).encode()),
    st.builds(
        deeply_nested,
        st.integers(min_value=1, max_value=200_000),
        st.sampled_from(["list", "object"]),
    ).map(str.encode),
    st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3).map(
        lambda t: json.dumps({"text": t}).encode()
    ),
    st.just(b"update_id=1&message=hello"),
    st.just(b""),
)


def json_object(body: bytes) -> Any:
    """The JSON object a body holds, or None if it holds none (not JSON, not an object, or
    nested deeper than the channels take: channels.MAX_JSON_DEPTH)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) and _depth(value) <= MAX_JSON_DEPTH else None


def _depth(value: Any) -> int:
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        deepest = max(deepest, depth)
        children = item.values() if isinstance(item, dict) else item
        pending.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return deepest


def encode_json(value: Any, ascii_only: bool = False) -> bytes:
    """JSON bytes as a client would send them (NaN and Infinity as Python writes them)."""
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


# --- ids ----------------------------------------------------------------------------

#: Platform ids: small, typical, and far beyond 64 bits.
big_ids = st.one_of(
    st.integers(min_value=1, max_value=10**6),
    st.integers(min_value=10**8, max_value=2**52),
    st.integers(min_value=2**52, max_value=2**63),
    st.integers(min_value=2**63, max_value=10**30),
)


# --- wrong types and missing fields ---------------------------------------------------


def _paths(value: Any, prefix: Tuple = ()) -> List[Tuple]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, prefix + (index,))
    return found


@st.composite
def mutations(draw, document: Any, max_changes: int = 3) -> Any:
    """Change ``document`` in place: 1..max_changes fields deleted or given JSON of any type."""
    for _ in range(draw(st.integers(1, max_changes))):
        paths = _paths(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return document
