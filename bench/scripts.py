"""Scripted customer conversations for the load and long-conversation tests.

Each script is what one customer types, turn by turn, in one language variety. The
customer waits for the assistant's reply to each turn before typing the next, so a
script is a closed loop. Placeholders ``{order}`` / ``{phone}`` are filled per
conversation with a real order number and the phone number on it, taken from the
benchmark's shop database (demo orders 10456/01711000001 ... 10460/01511000005 and
any others there); ``{order_bn}`` / ``{phone_bn}`` are the same in Bengali digits, as
Bangla customers type them.

The mix (by share of conversations) follows what a shop's inbox holds: order status
with a database lookup ~1/3, FAQs ~1/4, returns ~1/6, product questions, small talk
and the odd out-of-scope message. The texts are written for the benchmark, in the
style of the training data; they are not the held-out test split (that one is for
accuracy only).
"""

from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

BN_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")

# Demo orders that the database contract guarantees (see README / seba.db seed).
DEMO_ORDERS: List[Tuple[str, str]] = [
    ("10456", "01711000001"),
    ("10457", "01811000002"),
    ("10458", "01911000003"),
    ("10459", "01611000004"),
    ("10460", "01511000005"),
]

# Delivered 3 days ago, returnable: the return scripts use it (the first conversation
# creates the return request, later ones hear "already requested").
RETURNABLE_ORDER = ("10457", "01811000002")


@dataclass(frozen=True)
class Script:
    name: str
    variety: str  # bn | en | banglish
    kind: str  # order_status | faq | return | product | smalltalk
    turns: Tuple[str, ...]

    def render(self, order: str, phone: str) -> List[str]:
        values = {
            "order": order,
            "phone": phone,
            "order_bn": order.translate(BN_DIGITS),
            "phone_bn": phone.translate(BN_DIGITS),
        }
        return [t.format(**values) for t in self.turns]


# The customer taps the first quick reply of "why do you return it?" (domain.yml
# utter_ask_return_reason); braces doubled for str.format.
REASON_BUTTON = '/inform{{"return_reason": "wrong_size_or_colour"}}'


def _s(name: str, variety: str, kind: str, *turns: str) -> Script:
    return Script(name, variety, kind, tuple(turns))


SCRIPTS: List[Script] = [
    # --- order status: order number + phone, then a follow-up -------------------
    _s(
        "bn_order",
        "bn",
        "order_status",
        "আসসালামু আলাইকুম",
        "ভাইয়া আমার অর্ডারটা কোথায় আছে?",
        "অর্ডার নং {order_bn}",
        "আমার নাম্বার {phone_bn}",
        "ডেলিভারি চার্জ কত ঢাকার ভিতরে?",
        "অনেক ধন্যবাদ ভাই",
        "আল্লাহ হাফেজ",
    ),
    _s(
        "en_order",
        "en",
        "order_status",
        "hello",
        "where is my order?",
        "order number is {order}",
        "my phone is {phone}",
        "how long does delivery take outside dhaka?",
        "thanks a lot",
        "bye",
    ),
    _s(
        "banglish_order",
        "banglish",
        "order_status",
        "assalamu alaikum vai",
        "amar order ta kothay ache?",
        "order no {order}",
        "phone number {phone}",
        "bkash e payment kora jay?",
        "dhonnobad vai",
        "allah hafez",
    ),
    _s(
        "bn_order_onego",
        "bn",
        "order_status",
        "হ্যালো",
        "অর্ডার {order_bn} এর কি অবস্থা? আমার নাম্বার {phone_bn}",
        "কবে হাতে পাবো?",
        "ধন্যবাদ আপু",
    ),
    _s(
        "en_order_onego",
        "en",
        "order_status",
        "hi there",
        "what's the status of order {order}, phone {phone}",
        "ok thank you",
        "goodbye",
    ),
    # --- FAQs ------------------------------------------------------------------
    _s(
        "bn_faq",
        "bn",
        "faq",
        "হ্যালো",
        "ডেলিভারি হতে কয়দিন লাগে?",
        "ঢাকার বাইরে ডেলিভারি চার্জ কত?",
        "বিকাশে পেমেন্ট করা যায়?",
        "আপনাদের অফিস কয়টা পর্যন্ত খোলা থাকে?",
        "ধন্যবাদ",
        "বাই",
    ),
    _s(
        "en_faq",
        "en",
        "faq",
        "hi",
        "do you have cash on delivery?",
        "what is the delivery charge inside dhaka?",
        "how can I place an order?",
        "what's your phone number?",
        "thanks",
        "bye",
    ),
    _s(
        "banglish_faq",
        "banglish",
        "faq",
        "hi vai",
        "delivery hote koydin lage?",
        "dhakar baire delivery charge koto?",
        "size kivabe bujhbo?",
        "warranty ache?",
        "thanks vai",
    ),
    # --- returns ---------------------------------------------------------------
    _s(
        "bn_return",
        "bn",
        "return",
        "হাই",
        "রিটার্ন পলিসি কি?",
        "প্রোডাক্ট ফেরত দিতে চাই, সাইজ ছোট হয়েছে",
        "{order_bn}",
        "{phone_bn}",
        REASON_BUTTON,
        "ধন্যবাদ",
    ),
    _s(
        "en_return",
        "en",
        "return",
        "hello",
        "what is your return policy?",
        "I want to return my order, the size doesn't fit",
        "{order}",
        "{phone}",
        REASON_BUTTON,
        "thank you",
    ),
    _s(
        "banglish_return",
        "banglish",
        "return",
        "hello vai",
        "product ferot dewa jabe?",
        "ami product ta ferot dite chai, size mile nai",
        "{order}",
        "{phone}",
        REASON_BUTTON,
        "dhonnobad",
    ),
    # --- product questions -----------------------------------------------------
    _s(
        "bn_product",
        "bn",
        "product",
        "হ্যালো",
        "পাঞ্জাবি আছে?",
        "কালো বোরকার দাম কত?",
        "অর্ডার করবো কিভাবে?",
        "ধন্যবাদ",
    ),
    _s(
        "en_product",
        "en",
        "product",
        "hey",
        "do you have saree in stock?",
        "how much is the hijab?",
        "which payment methods do you accept?",
        "thanks",
    ),
    # --- small talk, a bot question, one out-of-scope ------------------------------
    _s(
        "bn_smalltalk",
        "bn",
        "smalltalk",
        "আসসালামু আলাইকুম",
        "আপনি কি রোবট?",
        "আজকে আবহাওয়া কেমন?",
        "ঠিক আছে, ধন্যবাদ",
        "খোদা হাফেজ",
    ),
    _s(
        "banglish_smalltalk",
        "banglish",
        "smalltalk",
        "hi",
        "apni ki bot naki manush?",
        "ajke khela kobe?",
        "accha thik ache, thanks",
        "bye",
    ),
]

# Conversation mix: how many times each script appears in one rotation.
WEIGHTS: Dict[str, int] = {
    "bn_order": 3,
    "en_order": 2,
    "banglish_order": 2,
    "bn_order_onego": 1,
    "en_order_onego": 1,
    "bn_faq": 2,
    "en_faq": 2,
    "banglish_faq": 2,
    "bn_return": 1,
    "en_return": 1,
    "banglish_return": 1,
    "bn_product": 1,
    "en_product": 1,
    "bn_smalltalk": 1,
    "banglish_smalltalk": 1,
}


def rotation() -> List[Script]:
    """One rotation of the mix, interleaved so neighbours differ in kind and variety."""
    by_name = {s.name: s for s in SCRIPTS}
    pools = [[by_name[n]] * w for n, w in WEIGHTS.items()]
    out: List[Script] = []
    while any(pools):
        for pool in pools:
            if pool:
                out.append(pool.pop())
    return out


@dataclass
class Conversation:
    """One concrete conversation: a script with its order/phone filled in."""

    script: str
    variety: str
    kind: str
    turns: List[str] = field(default_factory=list)


def conversations(orders: Sequence[Tuple[str, str]]) -> List[Conversation]:
    """The rotation with order/phone pairs assigned round-robin from ``orders``."""
    orders = list(orders) or DEMO_ORDERS
    out = []
    for i, script in enumerate(rotation()):
        order, phone = orders[i % len(orders)]
        if script.kind == "return" and RETURNABLE_ORDER in orders:
            order, phone = RETURNABLE_ORDER  # a delivered, returnable order
        out.append(
            Conversation(script.name, script.variety, script.kind, script.render(order, phone))
        )
    return out


# Ten turns whose handling does not depend on what came before (FAQs, products,
# small talk): the long conversation starts AND ends with them, so turns 1-10 and
# 91-100 run the same actions and differ only in how much history lies behind them.
PROBE_TURNS: Tuple[str, ...] = (
    "হ্যালো",
    "ডেলিভারি হতে কয়দিন লাগে?",
    "what is the delivery charge inside dhaka?",
    "bkash e payment kora jay?",
    "পাঞ্জাবি আছে?",
    "রিটার্ন পলিসি কি?",
    "do you have cash on delivery?",
    "size kivabe bujhbo?",
    "আপনি কি রোবট?",
    "ধন্যবাদ",
)


def long_conversation(orders: Sequence[Tuple[str, str]], n_turns: int = 100) -> List[str]:
    """``n_turns`` turns for ONE conversation: the probe turns, then whole conversations
    of the mix back to back (orders with verification, returns, FAQs, ...), padded with
    probe turns, then the probe turns again as the last ten."""
    probe = list(PROBE_TURNS)
    middle_len = max(0, n_turns - 2 * len(probe))
    middle: List[str] = []
    for conv in conversations(orders):
        if len(middle) + len(conv.turns) > middle_len:
            continue
        middle.extend(conv.turns)
    i = 0
    while len(middle) < middle_len:
        middle.append(probe[i % len(probe)])
        i += 1
    return (probe + middle + probe)[:n_turns]
