"""The caption guardrails, checked in code after generation (what a prompt asks for is not a
guarantee): a caption that fails any check is discarded with its reason, and the item's own
tagline shows instead.

A caption never names or hints at a personal trait (age, gender, ethnicity, body, health,
religion...), carries no link, e-mail or phone number, promises no price, discount or figure
that is not in the item's own text, stays within its language's length, and uses none of the
operator's banned words.
"""

from __future__ import annotations

import re
import unicodedata

# Characters, not words: Japanese has no spaces.
MAX_LENGTH = {"en": 90, "ja": 40}

# Words that point at who someone is rather than what the item is (English and Japanese).
PERSONAL = (
    # age
    "old", "older", "elderly", "senior", "seniors", "young", "younger", "youth", "teen", "teens",
    "teenager", "teenagers", "kid", "kids", "child", "children", "aged", "age", "ageing", "aging",
    "retired", "retiree", "boomer", "millennial", "middle-aged", "grey", "gray", "wrinkle", "wrinkles",
    # gender
    "man", "men", "woman", "women", "male", "female", "guy", "guys", "gal", "gals", "girl", "girls",
    "boy", "boys", "lady", "ladies", "gentleman", "gentlemen", "sir", "madam", "ma'am", "he", "she",
    "his", "her", "hers", "him", "mum", "mom", "dad", "husband", "wife", "feminine", "masculine",
    # body and looks
    "fat", "thin", "slim", "skinny", "overweight", "plus-size", "tall", "short", "bald", "balding",
    "belly", "body", "figure", "curvy", "skin", "pale", "tan", "beard", "beautiful", "handsome",
    "pretty", "ugly", "attractive", "sexy", "glasses", "wheelchair", "disabled", "pregnant",
    # ethnicity, religion, health
    "asian", "african", "european", "latino", "latina", "hispanic", "black", "white", "race", "ethnic",
    "christian", "muslim", "jewish", "hindu", "buddhist", "sick", "ill", "health", "diabetic",
)
PERSONAL_JA = ("年齢", "歳", "才", "若い", "若者", "高齢", "老", "シニア", "男性", "女性", "男", "女",
               "彼女", "彼", "奥様", "ご主人", "お父さん", "お母さん", "体型", "太", "痩せ", "肌", "美人",
               "イケメン", "眼鏡", "メガネ", "人種", "宗教", "病気", "妊娠")

_URL = re.compile(r"https?://|www\.|\b[\w.-]+\.(?:com|net|org|io|jp|co|shop|app|info)\b|@\w"
                  r"|\b\d{3}[\s-]?\d{3,4}[\s-]?\d{4}\b", re.I)
_MONEY = re.compile(r"[$€£¥￥]\s*\d(?:[\d.,]*\d)?"
                    r"|\d(?:[\d.,]*\d)?\s*(?:%|％|percent|円|yen|dollars?|euros?|pounds?)"
                    r"|\b(?:free|gratis|discount|sale|off)\b|無料|割引|セール", re.I)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+(?:['-][a-z]+)*", text.lower())


def clean(text: str) -> str:
    """The reply as a one-line caption: quotes, markdown and surrounding space removed."""
    line = " ".join((text or "").split())
    line = line.strip().strip("\"'“”‘’「」『』*_#").strip()
    return unicodedata.normalize("NFC", line)


def problem(caption: str, item_text: str, language: str = "en", banned: tuple[str, ...] = ()) -> str:
    """Why this caption may not be shown ("" when it may). `item_text`: the item's own title,
    description and tagline, the only source a price or a figure may come from."""
    if not caption:
        return "empty"
    limit = MAX_LENGTH.get(language, MAX_LENGTH["en"])
    if len(caption) > limit:
        return f"longer than {limit} characters"
    if any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs") for c in caption):
        return "control or invisible characters"
    if _URL.search(caption):
        return "a link, e-mail or phone number"
    words = set(_words(caption))
    own = set(_words(item_text))
    hits = sorted((words & set(PERSONAL)) - own)
    if hits:
        return f"names a personal trait ({hits[0]})"
    hit_ja = next((w for w in PERSONAL_JA if w in caption and w not in item_text), None)
    if hit_ja:
        return f"names a personal trait ({hit_ja})"
    item_low = item_text.lower()
    for match in _MONEY.finditer(caption):
        if match.group(0).lower().strip() not in item_low:
            return f"a price or offer not in the item's text ({match.group(0).strip()})"
    numbers = set(_NUMBER.findall(item_text))
    stray = [n for n in _NUMBER.findall(caption) if n not in numbers]
    if stray:
        return f"a figure not in the item's text ({stray[0]})"
    low = caption.lower()
    for word in banned:
        word = word.strip().lower()
        if word and (word in words or (not word.isascii() and word in low)):
            return f"a banned word ({word})"
    return ""
