"""Reading targeting out of free text, and matching attribute keywords against a visitor.

The seed experiment's content table is just `(description, url)`, with descriptions such as
"women in their 30s wearing a suit". `parse_description` turns that into the structured targeting
the selector filters on (genders, age range, group size, keywords), so an imported seed database
targets sensibly with no manual editing. `keyword_matches` is the one place deciding whether an
item keyword ("suit", "glasses", "long hair") fits a person's attributes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cxkiosk.attributes import AGE_MAX
from cxkiosk.values import Person

_MALE = {"male", "males", "man", "men", "boy", "boys", "guy", "guys", "gentleman", "gentlemen", "he", "his",
         "him", "father", "dad", "husband", "businessman", "businessmen"}
_FEMALE = {"female", "females", "woman", "women", "girl", "girls", "lady", "ladies", "she", "her", "mother",
           "mom", "mum", "wife", "businesswoman", "businesswomen"}

# Word -> (age_min, age_max); None leaves that end open.
_AGE_WORDS: dict[str, tuple[int | None, int | None]] = {
    "child": (3, 12), "children": (3, 12), "kid": (3, 12), "kids": (3, 12),
    "teen": (13, 19), "teens": (13, 19), "teenager": (13, 19), "teenagers": (13, 19),
    "student": (16, 25), "students": (16, 25), "young": (18, 30), "youth": (15, 24),
    "adult": (18, None), "adults": (18, None), "middle-aged": (40, 60),
    "senior": (60, None), "seniors": (60, None), "elderly": (65, None), "retired": (60, None),
}

# Canonical keyword -> phrases meaning it. Longer phrases are tried first.
VOCABULARY: dict[str, tuple[str, ...]] = {
    # clothing
    "suit": ("suit", "suits", "business attire", "formal wear"),
    "t-shirt": ("t-shirt", "t-shirts", "tshirt", "tee"),
    "polo shirt": ("polo shirt", "polo"),
    "shirt": ("shirt", "shirts", "blouse"),
    "jacket": ("jacket", "blazer"),
    "coat": ("coat", "overcoat", "trench coat"),
    "dress": ("dress", "dresses", "gown"),
    "skirt": ("skirt",),
    "jeans": ("jeans", "denim"),
    "hoodie": ("hoodie", "hooded sweatshirt"),
    "sweater": ("sweater", "jumper", "cardigan"),
    "sportswear": ("sportswear", "sports wear", "tracksuit", "athletic wear", "gym clothes"),
    "uniform": ("uniform",),
    "casual": ("casual",),
    "formal": ("formal",),
    "hat": ("hat", "cap", "beanie"),
    "tie": ("tie", "necktie"),
    # glasses
    "glasses": ("glasses", "eyeglasses", "spectacles", "specs"),
    "sunglasses": ("sunglasses", "shades"),
    # hair
    "long hair": ("long hair", "long-haired"),
    "short hair": ("short hair", "short-haired", "crew cut"),
    "bald": ("bald",),
    "curly": ("curly", "curly hair"),
    "ponytail": ("ponytail",),
    "blonde": ("blonde", "blond"),
    "gray hair": ("gray hair", "grey hair", "grey-haired", "gray-haired", "white hair"),
    "beard": ("beard", "bearded"),
    # activity
    "running": ("running", "jogging", "runner", "runners"),
    "walking": ("walking",),
    "shopping": ("shopping", "shopper", "shoppers", "shopping bag"),
    "phone": ("phone", "smartphone", "on the phone"),
    "stroller": ("stroller", "pram", "baby"),
    "backpack": ("backpack", "rucksack"),
}

_GROUP_WORDS: dict[str, tuple[int | None, int | None]] = {
    "alone": (1, 1), "solo": (1, 1), "single": (1, 1), "individual": (1, 1),
    "couple": (2, 2), "couples": (2, 2), "pair": (2, 2), "pairs": (2, 2),
    "family": (3, None), "families": (3, None), "group": (3, None), "groups": (3, None),
    "friends": (2, None), "crowd": (4, None),
}


@dataclass(frozen=True)
class Targeting:
    genders: str = ""  # "", "male", "female" or "female,male"
    age_min: int | None = None
    age_max: int | None = None
    keywords: str = ""  # comma-separated canonical keywords
    group_min: int | None = None
    group_max: int | None = None


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:[-'][a-z0-9]+)*", text.lower())


def _phrase_pattern(phrase: str) -> str:
    # Whole words only, plurals included: "hoodie" finds "hoodies", "suit" never finds "suitcase".
    return rf"(?<![a-z0-9-]){re.escape(phrase)}(?:e?s)?(?![a-z0-9-])"


def _phrase_in(phrase: str, text: str) -> bool:
    return re.search(_phrase_pattern(phrase), text) is not None


def parse_keywords(text: str) -> list[str]:
    """Canonical keywords found in `text`, in vocabulary order; 'polo shirt' is not also 'shirt'."""
    low = " ".join(text.lower().split())
    found: list[str] = []
    for canonical, phrases in VOCABULARY.items():
        for phrase in sorted(phrases, key=len, reverse=True):
            if _phrase_in(phrase, low):
                found.append(canonical)
                low = re.sub(_phrase_pattern(phrase), " ", low)
                break
    return found


_DECADE_WORDS = {"twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6, "seventies": 7,
                 "eighties": 8}
_DECADE = r"(?:(\d)0\s*'?s|(" + "|".join(_DECADE_WORDS) + r"))"


def _decade(digit: str | None, word: str | None) -> int:
    return int(digit) * 10 if digit else _DECADE_WORDS[word or ""] * 10


def parse_ages(text: str) -> tuple[int | None, int | None]:
    """Age range in text: '30s' -> 30-39, '20-30', 'aged 35' -> 30-40, 'over 50', 'teenagers',
    'in their 30s and 40s' -> 30-49, 'forties', 'the over-60s' -> 60+."""
    low = text.lower()
    m = re.search(r"\b(\d{1,3})\s*(?:-|–|to)\s*(\d{1,3})\b(?!\s*'?s)", low)
    if m:
        lo, hi = sorted((int(m.group(1)), int(m.group(2))))
        return _clamp(lo), _clamp(hi)
    m = re.search(r"\b(?:over|above)[\s-]*(\d{2})\s*'?s\b", low)  # "the over-60s"
    if m:
        return _clamp(int(m.group(1))), None
    m = re.search(rf"\b{_DECADE}\s*(?:and|or|to|&|-|–)\s*(?:their\s+|the\s+)?(?:early\s+|mid\s+|late\s+)?"
                  rf"{_DECADE}", low)
    if m:
        lo, hi = sorted((_decade(m.group(1), m.group(2)), _decade(m.group(3), m.group(4))))
        return _clamp(lo), _clamp(hi + 9)
    m = re.search(r"\b(early|mid|late)?[\s-]*(" + "|".join(_DECADE_WORDS) + r")\b", low)
    if m:
        base = _decade(None, m.group(2))
        part = m.group(1)
        return {"early": (base, base + 3), "mid": (base + 3, base + 6), "late": (base + 6, base + 9)}.get(
            part or "", (base, base + 9))
    m = re.search(r"\b(early|mid|late)?[\s-]*(\d)0\s*'?s\b", low)
    if m:
        base = int(m.group(2)) * 10
        part = m.group(1)
        if part == "early":
            return base, base + 3
        if part == "mid":
            return base + 3, base + 6
        if part == "late":
            return base + 6, base + 9
        return _clamp(base), _clamp(base + 9)
    m = re.search(r"\b(?:over|above|older than|at least)\s+(\d{1,3})\b|\b(\d{1,3})\s*\+", low)
    if m:
        return _clamp(int(m.group(1) or m.group(2))), None
    m = re.search(r"\b(?:under|below|younger than|up to)\s+(\d{1,3})\b", low)
    if m:
        return None, _clamp(int(m.group(1)))
    # A single age: "aged 35", "35 years old", or a field of the seed's line format "male, 30, ...".
    m = re.search(r"\b(?:age|aged)\s*(\d{1,2})\b|\b(\d{1,2})\s*(?:years?[\s-]*old|yo)\b"
                  r"|(?:^|,)\s*(\d{1,2})\s*(?:,|$)", low)
    if m:
        age = int(next(g for g in m.groups() if g))
        return _clamp(age - 5), _clamp(age + 5)
    for word in _words(low):
        if word in _AGE_WORDS:
            return _AGE_WORDS[word]
    return None, None


def _clamp(age: int) -> int:
    return max(0, min(AGE_MAX, age))


def parse_description(text: str) -> Targeting:
    """Structured targeting read from a free-text description (the seed's only field)."""
    text = re.sub(r"(?<=[a-z])'s?(?![a-z])", "", text or "", flags=re.I)  # "men's", "ladies'" -> men, ladies
    words = set(_words(text))
    male, female = bool(words & _MALE), bool(words & _FEMALE)
    genders = "male" if male and not female else "female" if female and not male else ""
    group_min = group_max = None
    for word in _words(text):
        if word in _GROUP_WORDS:
            group_min, group_max = _GROUP_WORDS[word]
            break
    age_min, age_max = parse_ages(text)
    if group_min and group_min >= 2 and (age_min, age_max) == _AGE_WORDS["kids"]:
        age_min = age_max = None  # "family with kids": the adults in front of the screen are not 3-12
    return Targeting(genders=genders, age_min=age_min, age_max=age_max,
                     keywords=",".join(parse_keywords(text)), group_min=group_min, group_max=group_max)


def normalize_keywords(value: str | list[str] | tuple[str, ...] | None) -> str:
    """'Suit, Long hair ,suit' -> 'suit,long hair'; keeps the author's words, lower-case, unique."""
    if value is None:
        return ""
    parts = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    seen: dict[str, None] = {}  # ordered and linear, however many words a file holds
    for part in parts:
        word = " ".join(part.strip().lower().split())
        if word:
            seen.setdefault(word, None)
    return ",".join(seen)


_NEGATIONS = ("no ", "without ", "not ")

# Styles a person wears through one of these garments: a t-shirt is casual, a suit is formal.
STYLES: dict[str, tuple[str, ...]] = {
    "casual": ("t-shirt", "polo shirt", "hoodie", "jeans", "sweater", "sportswear"),
    "formal": ("suit", "tie", "dress"),
}


def keyword_matches(keyword: str, person: Person) -> bool:
    """Whether an item keyword fits what is known of a person (unknown never matches)."""
    keyword = keyword.strip().lower()
    if keyword in ("glasses", "eyeglasses", "spectacles"):
        return person.glasses is True
    if keyword in ("no glasses", "without glasses"):
        return person.glasses is False
    text = " ".join(x for x in (person.clothing, person.hair) if x)
    if not text:
        return False
    if keyword in VOCABULARY and any(_phrase_in(p, text) for p in VOCABULARY[keyword]):
        return True
    if keyword in STYLES and any(keyword_matches(garment, person) for garment in STYLES[keyword]):
        return True
    # Free keywords: every word of the keyword appears (ignoring 'hair'): 'long hair' ~ 'straight long'.
    wanted = [w for w in _words(keyword) if w != "hair"]
    have = set(_words(text))
    return bool(wanted) and all(w in have for w in wanted)


_AUDIENCE_NOUNS = {"female": "women", "male": "men"}


def describe(t: Targeting) -> str:
    """Whom an item is made for, in a visitor's words: "women 25-55, suit", "groups of 3+".
    It names the item's own targeting, never anything guessed about the person in front of it."""
    who = _AUDIENCE_NOUNS.get(t.genders, "")
    if t.age_min is not None and t.age_max is not None:
        ages = f"{t.age_min}–{t.age_max}"
    elif t.age_min is not None:
        ages = f"{t.age_min}+"
    elif t.age_max is not None:
        ages = f"under {t.age_max + 1}"
    else:
        ages = ""
    if ages:
        who = f"{who or 'ages'} {ages}" if not ages.startswith("under") else f"{who or 'people'} {ages}"
    parts = [who] if who else []
    low, high = t.group_min, t.group_max
    if (low or 0) >= 2 or (high or 0) >= 2:
        low = low or 1
        parts.append(f"groups of {low}" if low == high else
                     f"groups of {low}+" if high is None else f"groups of {low}–{high}")
    parts.extend(k for k in t.keywords.split(",") if k)
    return ", ".join(parts)
