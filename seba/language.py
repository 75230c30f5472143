"""Which language a customer writes in, and which language we answer in.

Per message: Bengali script share decides Bangla; Latin text is Banglish when it
carries romanised-Bangla words from a small lexicon, English when it carries
English function words. Words both use ("order", "ok", "delivery", "bkash") and
digits decide nothing, so "10456" keeps the language of the conversation.

Per conversation (``language_for_events``): the newest message that decides wins; the
channel's report (the web page's language, the Telegram app's) only decides when nothing
the customer wrote did (docs/architecture.md, "Reply language").

Banglish is answered in Bangla script: romanised spelling has no standard (kobe,
kbe, kbay), so a Banglish reply reads as careless in a shop's voice, while every
Banglish writer reads Bangla script — they type Latin because of the keyboard.
"""

import functools
import re
from typing import Any, Iterable, Optional

BN, EN, BANGLISH = "bn", "en", "banglish"
#: The slot the responses' conditions test (domain.yml; never set by the dialogue): SebaNLG
#: fills it for each reply, and the Rasa server sends it to the actions (seba.runtime).
LANGUAGE_SLOT = "language"

_BENGALI_LETTER = re.compile(r"[\u0980-\u09E5\u09F0-\u09FF]")
_LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")

# Romanised Bangla as customers type it (several spellings each).
BANGLISH_WORDS = frozenset(
    """
ami amar amake amr amra amader apni apnar apnara apnader apnake apnr tumi tomar tmr
vai bhai vaia vaiya vaiyya bhaiya bhaia vaiya apu apa afa dada didi mama
ki kি kii kire kisu kichu kico kichui koto kto kot koy kotodin kobe kbe kbay kothay kothai kotay
keno kno kn kivabe kibhabe kibabe kemne kemon kmn kemn kon kun konta kontа kothay
ache ase achhe ace acha asen achen acen achi asi nai nei nay nai naki
hobe hbe hbe hoise hoiche hoyeche hoyche hoy hoi hoilo holo hocche hosse hoche hoyni hoinai
korbo krbo korte krte kore kre koren korun korsi korchi korechi korsen korben kora
chai cai chaitesi chacchi chaisilam dite dibo diben dien den dao dilam disi dise diyeche diye
pabo pbo pai paini painai pelam pacchi pawa paoa pabo paben
lagbe lgbe lage lagse laglo lagche jabe jbe jay jai jacche gese geche gelo jaite
dam daam taka takar tk ta ti te er ekta akta ekti eta ota oita eita segula egula
shob sob sobai ekhon akhon ekhono akhono aj ajke kal kalke porshu din diner mash
ji jee jii ha haa hoo hu uhu ekdom oboshshoi oboshoi obosshoi oitai khaiso golpo hotash vua
nen niben nibo ektu vabi vabbo cholbe khola kokhon kokhn bondho thakbe thake upay hafez allah
dhonnobad dhonyobad donnobad thik tik thikache achha accha acca bhalo valo vlo kharap
kharaf boro choto soto ferot ferat fert batil pathan pathaben pathaise pathiyechen
niye theke sathe shathe songe jonno jnno jodi tahole tahle tai tobe kintu ar abar
parbo parben parena pari bolen bolun bolben bujhi bujhlam bujhte janan janaben jante
chilo silo chhilo hoyto mone dekhen dekhi dekhte janina jani kotha ekhane okhane
vabe bhabe moto mto shundor sundor dorkar lagbena lagbe na kore den koira
jinish jinis malta mal parcel porcel bikash
keu pore kono dile korle hole manush ke moddhe onek nite porjonto hoye eto por vul ei je
koydin ktodin bolbo dibe dewar deya dewa tar gula ashe ashche asche korsilam ekjon kapor
posondo pochondo thak shudhu bole khub dicchen bujhtesi lomba chaile koi khoda hafiz
amanillah fiamanillah jazakallah shukriya sukriya tata
""".split()
)

ENGLISH_WORDS = frozenset(
    """
i i'm im me my mine you u your ur you're yours we our us he she they them their it its
is are was were am be been being do does did don't doesn't didn't have has had
the a an this that these those what when where why how which who whom whose
can could will would should shall may might must want need get got give given
to of for in on at by with from about into over after before until since
not no yes yet still already just only also very much many more most some any
there here then than too so but and or if because while please thanks thank
order ordered received receive arrived arrive deliver delivered status cancel
return refund money back price cost available stock size colour color
""".split()
)

# Words both varieties use: they tell nothing on their own.
NEUTRAL_WORDS = frozenset(
    """
hi hello hey hlw helo ok okay oke okk k hmm hm thank thanks thanku tnx thx pls plz please
order delivery product price size cod bkash nagad rocket sir madam mam maam bro
salam assalamualaikum asslamualaikum walaikum inbox page number phone no
""".split()
)


def _known(word: str, lexicon: frozenset) -> bool:
    """In the lexicon as typed, or with stretched letters squeezed (vaiii, apuu, plzz)."""
    return (
        word in lexicon
        or re.sub(r"(.)\1+", r"\1", word) in lexicon
        or re.sub(r"(.)\1{2,}", r"\1", word) in lexicon
    )


@functools.lru_cache(maxsize=4096)
def detect_variety(text: Optional[str]) -> Optional[str]:
    """'bn', 'en', 'banglish', or None when the text decides nothing."""
    if not text or text.lstrip().startswith("/"):
        return None  # empty, or a button payload such as /affirm: decides nothing
    bengali = len(_BENGALI_LETTER.findall(text))
    words = _LATIN_WORD.findall(text.lower())
    latin = sum(len(w) for w in words)
    if bengali and bengali >= 0.25 * (bengali + latin):
        return BN
    neutral = [w for w in words if _known(w, NEUTRAL_WORDS)]
    banglish = sum(1 for w in words if w not in neutral and _known(w, BANGLISH_WORDS))
    english = sum(
        1
        for w in words
        if w not in neutral and _known(w, ENGLISH_WORDS) and not _known(w, BANGLISH_WORDS)
    )
    if banglish and banglish >= english:
        return BANGLISH
    if english:
        return EN
    if bengali:
        return BN
    # Latin words we know nothing about: English unless they are all neutral.
    unknown = [w for w in words if w not in neutral and len(w) > 1]
    return EN if unknown else None


def reply_language(variety: Optional[str], default: str = BN) -> str:
    """Bangla for Bangla and Banglish, English for English."""
    if variety == EN:
        return EN
    if variety in (BN, BANGLISH):
        return BN
    return default


# Rasa's text and metadata for an intent triggered through the HTTP API (trigger_intent,
# reminders): "EXTERNAL: EXTERNAL_handback", {"is_external": true}. Not the customer's words.
EXTERNAL_PREFIX = "EXTERNAL: "


def _is_external(text: Any, metadata: Any) -> bool:
    return (isinstance(metadata, dict) and bool(metadata.get("is_external"))) or (
        isinstance(text, str) and text.startswith(EXTERNAL_PREFIX)
    )


def _user_events(events: Iterable[Any]):
    """(text, metadata) of the customer's messages, newest first, for Rasa or rasa-sdk
    events (external events such as the agent console's hand back are skipped)."""
    for event in reversed(list(events)):
        if isinstance(event, dict):
            if event.get("event") != "user":
                continue
            text, metadata = event.get("text"), event.get("metadata") or {}
        elif getattr(event, "type_name", None) == "user":
            text, metadata = getattr(event, "text", None), getattr(event, "metadata", None) or {}
        else:
            continue
        if not _is_external(text, metadata):
            yield text, metadata


# Words customers of both varieties use on their own ("cancel", "refund", "size" in a Bangla
# chat; "yes", "done"): alone, or only with neutral words, they keep the conversation's
# language. With other words they count as English as usual ("I want to cancel").
SHARED_WORDS = frozenset(
    """
cancel cancelled return refund status tracking track size colour color price stock available
yes yeah yep yup sure done confirm confirmed received sorry welcome good nice fine great
you u problem bye goodbye morning night
""".split()
)
# Tokens with a digit: numbers, order and tracking codes ("PTH123456"), "10456er".
_CODE_TOKEN = re.compile(r"\S*[0-9\u09E6-\u09EF]\S*")


def decisive_variety(text: Optional[str]) -> Optional[str]:
    """The variety a customer's message sets for the conversation, or None when it decides
    nothing: digits, phone and order numbers, "ok", emoji, a button payload, words both
    varieties use."""
    if not text or text.lstrip().startswith("/"):
        return None  # a button payload
    text = _CODE_TOKEN.sub(" ", text)
    variety = detect_variety(text)
    if variety == EN:
        words = _LATIN_WORD.findall(text.lower())
        if all(_known(w, NEUTRAL_WORDS) or _known(w, SHARED_WORDS) for w in words):
            return None
    return variety


def _telegram_language(code: Any) -> Optional[str]:
    """A Telegram user's app language (``language_code``, IETF: "bn", "en", "en-US")."""
    if isinstance(code, str):
        primary = code.split("-", 1)[0].lower()
        if primary in (BN, EN):
            return primary
    return None


def channel_language(metadata: Any) -> Optional[str]:
    """The language the channel reported with a message: the web page's (``language``, or
    ``customData.language``), a REST app's ``language``, or the Telegram app's. Messenger
    reports none (its webhook carries no locale)."""
    if not isinstance(metadata, dict):
        return None
    custom = metadata.get("customData")
    lang = metadata.get("language")
    if not lang and isinstance(custom, dict):
        lang = custom.get("language")
    if lang in (BN, EN):
        return lang
    telegram = metadata.get("telegram")
    return _telegram_language(telegram.get("language_code")) if isinstance(telegram, dict) else None


def language_for_events(events: Iterable[Any], default: str = BN) -> str:
    """Reply language for a conversation.

    The newest message that decides a variety wins, however old (a phone number, "ok" or a
    button after an English message keeps English; a Bangla message switches to Bangla).
    Only when nothing the customer wrote decided, the language the channel reported with
    its newest message does (the web page's, the Telegram app's); otherwise ``default``.
    """
    reported = None
    for text, metadata in _user_events(events):
        variety = decisive_variety(text)
        if variety:
            return reply_language(variety)
        if reported is None:
            reported = channel_language(metadata)
    return reported or default


def language_for_tracker(tracker: Any, default: str = BN) -> str:
    """Reply language for a Rasa ``DialogueStateTracker`` or a rasa-sdk ``Tracker``."""
    return language_for_events(getattr(tracker, "events", None) or [], default)
