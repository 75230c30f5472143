"""The service layer the custom actions call: orders, cancellation, returns, refunds, products.

Functions take a SQLAlchemy session (``seba.db.session_scope()``) and never commit; they flush
so that new rows have ids. Every database error surfaces as ``ShopUnavailable``.
Customer text (order numbers, phones, product mentions) may be Bangla, English or Banglish,
with Bengali digits: it is normalised here, callers pass it as typed.
"""

import datetime as dt
import difflib
import functools
import threading
import unicodedata
import weakref
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from seba.db import ShopUnavailable, local_now, local_today
from seba.db.models import (
    RETURN_REASONS,
    Order,
    OrderItem,
    Product,
    Refund,
    ReturnRequest,
)
from seba.text import mask_phone, normalize_order_number, normalize_phone, to_bengali_digits

__all__ = [
    "ShopUnavailable",
    "ReturnCheck",
    "verify_order",
    "can_cancel",
    "cancel_order",
    "returnable_items",
    "return_eligibility",
    "create_return_request",
    "latest_refund",
    "find_products",
    "order_items_text",
]

RETURN_CHECK_REASONS = (
    "ok",
    "not_delivered",
    "window_passed",
    "not_returnable",
    "already_requested",
    "cancelled",
)


def _guard(fn):
    """DBAPI errors (server down, locked file, missing table) become ShopUnavailable."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DBAPIError as exc:
            raise ShopUnavailable(str(exc.orig or exc)) from exc

    return wrapper


# -- orders ----------------------------------------------------------------------------------


@_guard
def verify_order(session: Session, order_number: str, phone: str) -> Optional[Order]:
    """The order if ``order_number`` and ``phone`` both match it, else None.

    Both may be raw customer text ("#১০৪৫৬", "+880 1711-000001"). The result is the same
    whether the number or the phone was wrong, so it reveals nothing about other orders.
    """
    number = normalize_order_number(str(order_number or ""))
    phone_number = normalize_phone(str(phone or ""))
    if not number or not phone_number:
        return None
    query = select(Order).where(Order.number == number, Order.phone == phone_number)
    return session.execute(query).scalar_one_or_none()


def can_cancel(order: Order, settings) -> bool:
    """Whether the customer may still cancel (shop.yml ``orders.cancellable_statuses``)."""
    return order.status in settings.cancellable_statuses


@_guard
def cancel_order(
    session: Session, order: Order, settings, now: Optional[dt.datetime] = None
) -> Order:
    """Cancel the order; a prepaid (non-COD) paid order gets a pending refund of its total.

    Raises ValueError when the order's status no longer allows cancelling.
    """
    if not can_cancel(order, settings):
        raise ValueError(f"order {order.number} cannot be cancelled (status {order.status})")
    now = now or local_now()
    order.status = "cancelled"
    order.cancelled_at = now
    if order.payment_status == "paid" and order.payment_method != "cod":
        method = (
            order.payment_method if order.payment_method in ("bkash", "nagad", "card") else "bank"
        )
        order.refunds.append(
            Refund(
                amount=order.total,
                method=method,
                status="pending",
                created_at=now,
                account=mask_phone(order.phone) if method in ("bkash", "nagad") else None,
                expected_by=now.date() + dt.timedelta(days=settings.refund_days),
            )
        )
        order.payment_status = "refund_pending"
    session.flush()
    return order


# -- returns ---------------------------------------------------------------------------------


@dataclass
class ReturnCheck:
    """Whether an order can be returned.

    ``reason``: one of RETURN_CHECK_REASONS. ``days_left``: days left in the return window
    (0 = today is the last day) when the order is delivered and still inside it, else None.
    ``items``: the order's returnable OrderItems.
    """

    eligible: bool
    reason: str
    days_left: Optional[int]
    items: list = field(default_factory=list)


def returnable_items(order: Order, settings) -> List[OrderItem]:
    """Items whose product is returnable: the stored flag and the current shop.yml both allow it."""
    return [
        item
        for item in order.items
        if item.product is not None
        and item.product.returnable
        and item.product.category not in settings.non_returnable_categories
    ]


@_guard
def return_eligibility(
    session: Session, order: Order, settings, today: Optional[dt.date] = None
) -> ReturnCheck:
    """Check, from the order's data, whether a return may be requested now."""
    items = returnable_items(order, settings)
    if order.status == "cancelled":
        return ReturnCheck(False, "cancelled", None, items)
    if order.return_requests or order.status == "returned":
        return ReturnCheck(False, "already_requested", None, items)
    if order.status != "delivered" or order.delivered_at is None:
        return ReturnCheck(False, "not_delivered", None, items)
    today = today or local_today()
    days_left = settings.return_window_days - (today - order.delivered_at.date()).days
    if days_left < 0:
        return ReturnCheck(False, "window_passed", None, items)
    if not items:
        return ReturnCheck(False, "not_returnable", days_left, items)
    return ReturnCheck(True, "ok", days_left, items)


@_guard
def create_return_request(
    session: Session,
    order: Order,
    reason: str,
    details: str,
    sender_id: Optional[str] = None,
    channel: Optional[str] = None,
    *,
    settings=None,
    today: Optional[dt.date] = None,
) -> ReturnRequest:
    """Record a return request (status ``requested``) with a reference like ``RT-10457-1``.

    Raises ValueError for an unknown reason code, or when the order is not eligible; then
    ``str(error)`` is the ReturnCheck reason (e.g. ``window_passed``).
    """
    if reason not in RETURN_REASONS:
        raise ValueError(f"unknown return reason {reason!r}")
    if settings is None:
        from seba.settings import load_settings

        settings = load_settings()
    check = return_eligibility(session, order, settings, today)
    if not check.eligible:
        raise ValueError(check.reason)
    n = len(order.return_requests) + 1
    while session.execute(
        select(ReturnRequest.id).where(ReturnRequest.reference == f"RT-{order.number}-{n}")
    ).first():
        n += 1
    request = ReturnRequest(
        reference=f"RT-{order.number}-{n}",
        reason=reason,
        details=(details or "").strip() or None,
        status="requested",
        sender_id=sender_id,
        channel=channel,
    )
    order.return_requests.append(request)
    session.flush()
    return request


@_guard
def latest_refund(session: Session, order: Order) -> Optional[Refund]:
    """The order's most recent refund, or None."""
    query = (
        select(Refund)
        .where(Refund.order_id == order.id)
        .order_by(Refund.created_at.desc(), Refund.id.desc())
        .limit(1)
    )
    return session.execute(query).scalar_one_or_none()


@_guard
def order_items_text(order: Order, lang: str = "bn") -> str:
    """The items for a reply: "Black Georgette Borka (size 54), Matte Lipstick × 2".

    Bangla uses the Bangla names and Bengali digits.
    """
    parts = []
    for item in order.items:
        text = item.product.name(lang) if item.product else "?"
        if item.size:
            text += f" (size {item.size})" if lang == "en" else f" (সাইজ {item.size})"
        if item.quantity > 1:
            text += f" × {item.quantity}"
        parts.append(text if lang == "en" else to_bengali_digits(text))
    return ", ".join(parts)


# -- product search --------------------------------------------------------------------------
#
# Customer text and catalogue phrases are folded the same way (NFC, common Bangla spelling
# variants, lower case) and tokenised with spaCy's blank Bangla tokenizer. Each text token is
# mapped onto the catalogue vocabulary (exact, minus a Bangla/Banglish suffix like "-টা",
# "-er", or a close spelling), then a PhraseMatcher finds names and keywords.
# Score: full name >> keyword (longer is more specific) + shared words (e.g. a colour).

NAME_WEIGHT = 100
KEYWORD_WEIGHT = 20
TOKEN_WEIGHT = 5
MAX_SEARCH_CHARS = 1000  # a chat message; bounds the fuzzy matching work
_SUFFIXES = (
    "গুলো",
    "গুলা",
    "গুলি",
    "খানা",
    "টার",
    "টির",
    "টাও",
    "টাই",
    "টা",
    "টি",
    "টো",
    "এর",
    "ের",
    "কে",
    "তে",
    "র",
    "ও",
    "ই",
    "gulo",
    "gula",
    "tar",
    "tir",
    "ta",
    "ti",
    "er",
    "ke",
    "te",
    "r",
    "s",
)
_STOP = {
    "for",
    "and",
    "with",
    "of",
    "the",
    "an",
    "set",
    "pack",
    "size",
    "ও",
    "সেট",
    "এবং",
    "টি",
}
# ী/ূ are often typed as ি/ু; zero-width (non-)joiners vary by keyboard.
_FOLD = str.maketrans({"ী": "ি", "ূ": "ু", "\u200c": None, "\u200d": None, "’": "'"})
_COLOUR_SPELLINGS = {
    "black": "kalo",
    "white": "sada shada",
    "red": "lal",
    "blue": "nil neel",
    "pink": "golapi",
    "green": "sobuj shobuj",
    "yellow": "holud",
    "golden": "sonali gold",
    "silver": "rupali",
    "brown": "badami",
    "maroon": "meroon",
    "sky": "akashi",
    "navy": "navy",
}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).translate(_FOLD).lower()


@functools.lru_cache(maxsize=1)
def _nlp():
    import spacy  # imported lazily: slow, and only product search needs it

    return spacy.blank("bn")


def _words(text: str) -> List[str]:
    return [t.text for t in _nlp().make_doc(_fold(text or "")) if not t.is_space]


def _content(word: str) -> bool:
    return (
        len(word) > 1
        and word not in _STOP
        and any(c.isalpha() for c in word)
        and not any(c.isdigit() for c in word)
    )


class _ProductIndex:
    """PhraseMatcher and vocabulary over one catalogue state."""

    def __init__(self, key: Tuple, rows) -> None:
        from spacy.matcher import PhraseMatcher
        from spacy.tokens import Doc

        nlp = _nlp()
        self.key = key
        self.phrases: Dict[str, Dict[int, int]] = {}  # phrase -> {product id: score}
        self.tokens: Dict[int, Set[str]] = {}
        for pid, name_bn, name_en, keywords, colour_bn, colour_en in rows:
            entries = [(name_bn, NAME_WEIGHT), (name_en, NAME_WEIGHT)] + [
                (k, KEYWORD_WEIGHT) for k in (keywords or "").split(",") if k.strip()
            ]
            tokens: Set[str] = set()
            for phrase, weight in entries:
                words = _words(phrase)
                if not words:
                    continue
                scores = self.phrases.setdefault("\x1f".join(words), {})
                scores[pid] = max(scores.get(pid, 0), weight + 2 * len(words))
                tokens.update(w for w in words if _content(w))
            for colour in (colour_bn, colour_en):
                tokens.update(w for w in _words(colour or "") if _content(w))
            for word in _words(colour_en or ""):
                tokens.update(_COLOUR_SPELLINGS.get(word, "").split())
            self.tokens[pid] = tokens
        self.vocab = set().union(*self.tokens.values()) if self.tokens else set()
        for phrase in self.phrases:
            self.vocab.update(phrase.split("\x1f"))
        self._fuzzy_targets = sorted(w for w in self.vocab if _content(w) and len(w) >= 4)
        self._canonical: Dict[str, str] = {}
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for phrase in self.phrases:
            self.matcher.add(phrase, [Doc(nlp.vocab, words=phrase.split("\x1f"))])

    def canonical(self, word: str) -> str:
        """The catalogue word meant by ``word``: "বোরকাটা" -> "বোরকা", "panjabee" -> "panjabi"."""
        if word in self.vocab or not _content(word):
            return word
        if word not in self._canonical:
            found = word
            for suffix in _SUFFIXES:
                stem = word[: -len(suffix)]
                if word.endswith(suffix) and len(stem) >= 2 and stem in self.vocab:
                    found = stem
                    break
            else:
                if len(word) >= 5:
                    cutoff = 0.8 if len(word) >= 8 else 0.85
                    close = difflib.get_close_matches(word, self._fuzzy_targets, 1, cutoff)
                    found = close[0] if close else word
            if len(self._canonical) > 20000:
                self._canonical.clear()
            self._canonical[word] = found
        return self._canonical[word]

    def scores(self, text: str) -> Dict[int, int]:
        from spacy.tokens import Doc

        words = [self.canonical(w) for w in _words(text)]
        if not words:
            return {}
        doc = Doc(_nlp().vocab, words=words)
        strings = _nlp().vocab.strings
        found: Dict[Tuple[int, int], str] = {
            (start, end): strings[match_id] for match_id, start, end in self.matcher(doc)
        }
        # A match inside a longer one does not count ("শার্ট" inside "টি-শার্ট").
        spans = {
            span: phrase
            for span, phrase in found.items()
            if not any(o != span and o[0] <= span[0] and span[1] <= o[1] for o in found)
        }
        scores: Dict[int, int] = {}
        claimed: Dict[int, Set[int]] = {}  # token position -> products whose phrase covers it
        for (start, end), phrase in spans.items():
            for pid, score in self.phrases[phrase].items():
                scores[pid] = scores.get(pid, 0) + score
                for i in range(start, end):
                    claimed.setdefault(i, set()).add(pid)
        for pid, tokens in self.tokens.items():
            shared = {
                w
                for i, w in enumerate(words)
                if w in tokens and _content(w) and (i not in claimed or pid in claimed[i])
            }
            # Without a name/keyword match, two shared words are needed ("black georgette").
            if shared and (pid in scores or len(shared) >= 2):
                scores[pid] = scores.get(pid, 0) + TOKEN_WEIGHT * len(shared)
        return scores


_index_lock = threading.Lock()
_indexes: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _product_index(session: Session) -> _ProductIndex:
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    # Rebuilt when the catalogue changes: rows added/removed, updated_at bumped by the ORM, or
    # text lengths changed (catches most edits made with plain SQL too).
    text_length = (
        func.length(Product.name_bn)
        + func.length(Product.name_en)
        + func.length(Product.keywords)
        + func.coalesce(func.length(Product.colour_en), 0)
    )
    key = tuple(
        session.execute(
            select(
                func.count(Product.id),
                func.max(Product.id),
                func.max(Product.updated_at),
                func.sum(text_length),
            )
        ).one()
    )
    with _index_lock:
        index = _indexes.get(engine)
        if index is None or index.key != key:
            rows = session.execute(
                select(
                    Product.id,
                    Product.name_bn,
                    Product.name_en,
                    Product.keywords,
                    Product.colour_bn,
                    Product.colour_en,
                )
            ).all()
            index = _indexes[engine] = _ProductIndex(key, rows)
        return index


def warm_up(url: Optional[str] = None) -> None:
    """Load spaCy's Bengali tokenizer and build the product matcher now (the action server
    calls it at start-up), so that the first product question is answered at once."""
    from seba.db import session_scope

    _nlp()
    with session_scope(url) as session:
        _product_index(session)


@_guard
def find_products(session: Session, text: str, limit: int = 3) -> List[Product]:
    """Catalogue products mentioned in ``text`` (Bangla, English or Banglish), best first.

    "কালো বোরকা", "black borka", "borkata" -> black borkas first; a more specific match wins,
    in-stock products first on ties. Empty when nothing in the text names a product.
    """
    if not text or not text.strip() or limit <= 0:
        return []
    scores = _product_index(session).scores(text[:MAX_SEARCH_CHARS])
    if not scores:
        return []
    products = session.execute(select(Product).where(Product.id.in_(scores))).scalars().all()
    products.sort(key=lambda p: (-scores[p.id], not p.in_stock, p.id))
    return products[:limit]
