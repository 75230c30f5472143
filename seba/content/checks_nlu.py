"""Checks of the NLU examples (data/nlu/*.yml) that Rasa's validation does not make.

- few_examples: every intent and FAQ key has enough examples in Bangla, English, Banglish;
- duplicate_example: the same example (after normalisation) under two intents;
- near_duplicate: two examples of different intents that are almost the same;
- example_too_long / invisible_characters / empty_example: examples the bot never sees;
- unknown_intent / unknown_entity: an intent or entity that domain.yml does not declare.
"""

import unicodedata
from collections import Counter, defaultdict
from typing import Dict, List, Optional, Set

import numpy as np
from rasa.shared.core.constants import DEFAULT_INTENTS
from scipy import sparse

from seba.content import limits
from seba.content.index import Example, Index
from seba.content.problems import Problem, bn, error, excerpt, warning
from seba.inbound import clean
from seba.text import to_ascii_digits

VARIETY_EN = {
    "bn": "Bangla (Bengali script)",
    "en": "English",
    "banglish": "Banglish (Bangla in Latin letters)",
}
VARIETY_BN = {"bn": "বাংলা (বাংলা হরফে)", "en": "ইংরেজি", "banglish": "বাংলিশ (ইংরেজি হরফে বাংলা)"}


def normalise(text: str) -> str:
    """Case, whitespace, punctuation, symbols and Bengali/ASCII digits do not count
    (a text of symbols only, such as "👍", is kept as it is, less its spaces)."""
    text = to_ascii_digits(unicodedata.normalize("NFC", clean(text))).casefold()
    text = text.replace("\u200c", "").replace("\u200d", "")  # zero-width (non-)joiners
    kept = [" " if unicodedata.category(c)[0] in "PSZC" else c for c in text]
    words = " ".join("".join(kept).split())
    return words or "".join(text.split())


def _where(example: Example) -> str:
    return f"{example.file}:{example.line}" if example.line else example.file


def _too_few(key, variety, have, need, loc) -> Problem:
    missing = need - have
    return error(
        "few_examples",
        loc[0],
        loc[1],
        f"«{key}» has {have} {VARIETY_EN[variety]} examples; it needs at least {need}.",
        f"«{key}»-এ {VARIETY_BN[variety]} উদাহরণ আছে {bn(have)}টি; কমপক্ষে {bn(need)}টি লাগবে।",
        f"Add {missing} more {VARIETY_EN[variety]} example(s) under «{key}», written the way "
        "customers write: different words, short and long, with and without typos.",
        f"«{key}»-এর নিচে আরও {bn(missing)}টি {VARIETY_BN[variety]} উদাহরণ যোগ করুন — "
        "কাস্টমার যেভাবে লেখেন সেভাবে: ভিন্ন ভিন্ন শব্দে, ছোট-বড় বাক্যে, বানান ভুলসহ।",
    )


def check_few_examples(index: Index) -> List[Problem]:
    counts: Dict[str, Counter] = defaultdict(Counter)
    for example in index.examples:
        counts[example.key][example.variety] += 1
    bases_with_keys = {key.split("/", 1)[0] for key in index.blocks if "/" in key}
    problems = []
    for key in index.blocks:
        varieties = limits.ONE_LANGUAGE.get(key, frozenset(limits.MIN_EXAMPLES))
        for variety, need in limits.MIN_EXAMPLES.items():
            have = counts[key][variety]
            if variety in varieties and have < need:
                problems.append(_too_few(key, variety, have, need, index.blocks[key][0]))
    for name, loc in index.intents.items():
        if (
            name in index.blocks
            or name in bases_with_keys
            or name in limits.NO_EXAMPLES
            or name in DEFAULT_INTENTS
        ):
            continue
        problems.append(
            error(
                "few_examples",
                loc[0],
                loc[1],
                f"The intent «{name}» is in domain.yml but has no examples, so the bot can never "
                "recognise it.",
                f"«{name}» ইনটেন্টটি domain.yml-এ আছে, কিন্তু এর কোনো উদাহরণ নেই — বট এটি কখনো "
                "চিনতে পারবে না।",
                f"Add examples for «{name}» in data/nlu/ (Bangla, English and "
                f"Banglish), or remove it "
                "from domain.yml if it is not used. If a program sets it, a developer adds it to "
                "NO_EXAMPLES in seba/content/limits.py.",
                f"data/nlu/-এ «{name}»-এর উদাহরণ দিন (বাংলা, ইংরেজি ও বাংলিশে), অথবা ব্যবহার না হলে "
                "domain.yml থেকে বাদ দিন। কোনো প্রোগ্রাম এটি সেট করলে ডেভেলপার এটিকে "
                "seba/content/limits.py-এর NO_EXAMPLES-এ যোগ করবেন।",
            )
        )
    return problems


def check_example_text(index: Index, max_chars: int) -> List[Problem]:
    problems = []
    for ex in index.examples:
        if len(ex.text) > max_chars:
            problems.append(
                error(
                    "example_too_long",
                    ex.file,
                    ex.line,
                    f"This example of «{ex.key}» is {len(ex.text):,} characters long; the bot does "
                    f"not read messages over {max_chars:,} (shop.yml messages.max_chars): "
                    f"{excerpt(ex.text)}",
                    f"«{ex.key}»-এর এই উদাহরণটি {bn(len(ex.text))} অক্ষরের; {bn(max_chars)} অক্ষরের "
                    f"বেশি লম্বা মেসেজ বট পড়েই না (shop.yml messages.max_chars): {excerpt(ex.text)}",
                    "Shorten it to what a customer would really write, or delete it.",
                    "কাস্টমার আসলে যতটুকু লেখেন ততটুকু রেখে ছোট করুন, অথবা মুছে দিন।",
                )
            )
        if clean(ex.text) != ex.text:
            problems.append(
                error(
                    "invisible_characters",
                    ex.file,
                    ex.line,
                    f"This example of «{ex.key}» contains invisible control characters (shown as "
                    f"\\u…): {excerpt(ex.text)}. The bot removes them from messages, so "
                    f"it never sees "
                    "the example as written.",
                    f"«{ex.key}»-এর এই উদাহরণে অদৃশ্য কন্ট্রোল ক্যারেক্টার আছে (\\u… হিসেবে দেখানো): "
                    f"{excerpt(ex.text)}। বট মেসেজ থেকে এগুলো বাদ দেয়, তাই উদাহরণটি যেভাবে লেখা সেভাবে "
                    "কখনো দেখে না।",
                    "Delete the example and type it again by hand (do not paste it).",
                    "উদাহরণটি মুছে নিজে আবার টাইপ করুন (কপি-পেস্ট করবেন না)।",
                )
            )
        if not normalise(ex.text):
            problems.append(
                error(
                    "empty_example",
                    ex.file,
                    ex.line,
                    f"An example of «{ex.key}» has no words: {excerpt(ex.raw)}.",
                    f"«{ex.key}»-এর একটি উদাহরণে কোনো শব্দ নেই: {excerpt(ex.raw)}।",
                    "Write the customer's words after '- ', or delete the line.",
                    "'- '-এর পরে কাস্টমারের কথাটি লিখুন, অথবা লাইনটি মুছে দিন।",
                )
            )
    return problems


def check_duplicates(index: Index) -> List[Problem]:
    first: Dict[str, Example] = {}
    problems = []
    for ex in index.examples:
        norm = normalise(ex.text)
        if not norm:
            continue
        seen = first.setdefault(norm, ex)
        if seen is not ex and seen.key != ex.key:
            problems.append(
                error(
                    "duplicate_example",
                    ex.file,
                    ex.line,
                    f"{excerpt(ex.text)} is an example of «{ex.key}» and also of «{seen.key}» "
                    f"({_where(seen)}); the bot cannot learn two answers to the same words.",
                    f"{excerpt(ex.text)} উদাহরণটি «{ex.key}»-এও আছে, «{seen.key}»-এও আছে "
                    f"({_where(seen)}); একই কথার দুটো মানে বট শিখতে পারে না।",
                    f"Decide what a customer means by it and keep it under that intent "
                    f"only: delete "
                    f"it here or at {_where(seen)}.",
                    f"কাস্টমার এ কথায় আসলে কী বোঝান ঠিক করুন, আর শুধু সেই ইনটেন্টে রাখুন: এখান থেকে "
                    f"অথবা {_where(seen)} থেকে মুছে দিন।",
                )
            )
    return problems


def _trigrams(norm: str) -> Set[str]:
    grams = set()
    for word in norm.split():
        padded = f" {word} "
        grams.update(padded[i : i + 3] for i in range(max(len(padded) - 2, 1)))
    return grams


def _similar_pairs(examples: List[Example], norms: List[str]):
    """(i, j, similarity) for i < j of different intents, similarity >= the warning line."""
    vocab: Dict[str, int] = {}
    rows, cols = [], []
    for row, norm in enumerate(norms):
        for gram in _trigrams(norm):
            rows.append(row)
            cols.append(vocab.setdefault(gram, len(vocab)))
    if not vocab:
        return []
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(norms), len(vocab))
    )
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    shared = sparse.triu(matrix @ matrix.T, k=1).tocoo()
    similarity = shared.data / (sizes[shared.row] + sizes[shared.col] - shared.data)
    keep = similarity >= limits.NEAR_DUPLICATE_WARNING
    return [
        (int(i), int(j), float(s))
        for i, j, s in zip(shared.row[keep], shared.col[keep], similarity[keep], strict=True)
        if examples[i].key != examples[j].key
    ]


def check_near_duplicates(index: Index, max_chars: int) -> List[Problem]:
    examples, norms, seen = [], [], set()
    for ex in index.examples:
        norm = normalise(ex.text)
        if norm and norm not in seen and len(ex.text) <= max_chars:
            seen.add(norm)  # exact duplicates are check_duplicates' business
            examples.append(ex)
            norms.append(norm)
    problems = []
    for i, j, similarity in sorted(_similar_pairs(examples, norms)):
        words_i, words_j = set(norms[i].split()), set(norms[j].split())
        if (words_i ^ words_j) & limits.NEGATIONS:
            continue  # "ekdom" / "ekdom na": the pair teaches the difference
        a, b = examples[i], examples[j]
        percent = round(similarity * 100)
        if similarity >= limits.NEAR_DUPLICATE_ERROR:
            make, fix_en, fix_bn = (
                error,
                (
                    f"They differ only by spelling or word order. Keep the one whose "
                    f"intent is right "
                    f"and delete the other (here, or at {_where(a)})."
                ),
                (
                    f"দুটোর পার্থক্য শুধু বানান বা শব্দের ক্রমে। যেটির ইনটেন্ট ঠিক সেটি রেখে অন্যটি মুছে দিন "
                    f"(এখান থেকে, অথবা {_where(a)} থেকে)।"
                ),
            )
        else:
            make, fix_en, fix_bn = (
                warning,
                (
                    "If they mean the same thing, keep one. If they differ by the word "
                    "that decides "
                    "the intent, they are fine: add a few more examples of both that "
                    "show that word."
                ),
                (
                    "দুটোর মানে একই হলে একটি রাখুন। যে শব্দটি ইনটেন্ট ঠিক করে সেটিতেই যদি পার্থক্য থাকে, "
                    "তাহলে ঠিক আছে: সেই শব্দসহ দুই ইনটেন্টেই আরও কয়েকটি উদাহরণ দিন।"
                ),
            )
        problems.append(
            make(
                "near_duplicate",
                b.file,
                b.line,
                f"{excerpt(b.text)} («{b.key}») is {percent}% the same as {excerpt(a.text)} "
                f"(«{a.key}», {_where(a)}).",
                f"{excerpt(b.text)} («{b.key}») আর {excerpt(a.text)} («{a.key}», {_where(a)}) "
                f"প্রায় একই ({bn(percent)}% মিল)।",
                fix_en,
                fix_bn,
            )
        )
    return problems


def check_declared(index: Index) -> List[Problem]:
    """NLU intents and annotated entities that domain.yml does not declare."""
    if not index.has_domain:
        return []
    problems = []
    for key, locs in index.blocks.items():
        base = key.split("/", 1)[0]
        if base and base in index.intents:
            continue
        problems.append(
            error(
                "unknown_intent",
                locs[0][0],
                locs[0][1],
                f"The intent «{base}» has examples here but is not listed under 'intents:' in "
                "domain.yml.",
                f"«{base}» ইনটেন্টের উদাহরণ এখানে আছে, কিন্তু domain.yml-এর 'intents:' তালিকায় নেই।",
                f"Check the spelling of «{base}» against domain.yml, or add '- {base}' under "
                "'intents:' in domain.yml.",
                f"domain.yml-এর সাথে «{base}» নামের বানান মিলিয়ে দেখুন, অথবা domain.yml-এর 'intents:'-এর "
                f"নিচে '- {base}' যোগ করুন।",
            )
        )
    for ex in index.examples:
        for entity in ex.entities:
            if entity not in index.entities:
                problems.append(unknown_entity(entity, ex.file, ex.line))
    return problems


def unknown_entity(entity: str, file: str, line: Optional[int]) -> Problem:
    return error(
        "unknown_entity",
        file,
        line,
        f"The entity «{entity}» is not listed under 'entities:' in domain.yml.",
        f"«{entity}» এনটিটিটি domain.yml-এর 'entities:' তালিকায় নেই।",
        f"Check the spelling of «{entity}» against domain.yml's 'entities:' list, or ask a "
        "developer to add the entity.",
        f"domain.yml-এর 'entities:' তালিকার সাথে «{entity}» নামের বানান মিলিয়ে দেখুন, অথবা "
        "নতুন এনটিটি যোগ করতে ডেভেলপারকে বলুন।",
    )


def run(index: Index, max_chars: int) -> List[Problem]:
    return (
        check_few_examples(index)
        + check_example_text(index, max_chars)
        + check_duplicates(index)
        + check_near_duplicates(index, max_chars)
        + check_declared(index)
    )
