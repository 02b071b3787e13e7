"""Targeting picks the most specific fitting item, tried as a new user would: a seed database of
overlapping descriptions (the seed experiment's own format), imported as it is, and audiences
each with the winner a person would pick."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest

from cxkiosk.content.selection import Selector
from cxkiosk.content.targeting import parse_description
from cxkiosk.content.transfer import import_file
from cxkiosk.values import Audience, Person

SEED = [
    ("Tailored business suits for men in their 40s", "https://youtu.be/AAAAAAAAAA1"),
    ("men 35-70, suit", "https://youtu.be/AAAAAAAAAA2"),
    ("men's casual wear", "https://youtu.be/AAAAAAAAAA3"),
    ("women in their 30s and 40s wearing a suit", "https://youtu.be/AAAAAAAAAA4"),
    ("for women", "https://youtu.be/AAAAAAAAAA5"),
    ("sneakers for teenagers", "https://youtu.be/AAAAAAAAAA6"),
    ("comfortable shoes for seniors", "https://youtu.be/AAAAAAAAAA7"),
    ("family cars for families", "https://youtu.be/AAAAAAAAAA8"),
    ("glasses and frames for adults", "https://youtu.be/AAAAAAAAAA9"),
    ("young women with long hair, 20-30", "https://youtu.be/AAAAAAAAAB1"),
    ("women 20-60", "https://youtu.be/AAAAAAAAAB2"),
    ("couples", "https://youtu.be/AAAAAAAAAB3"),
]
NOON = datetime(2026, 6, 3, 12)


@pytest.fixture
def seeded(db, tmp_path):
    path = tmp_path / "seed.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE youtube_urls (description TEXT, url TEXT)")
    con.executemany("INSERT INTO youtube_urls VALUES (?, ?)", SEED)
    con.commit()
    con.close()
    assert import_file(path).added == len(SEED)
    return db


def person(**kw) -> Person:
    return Person(facing=True, size=0.2, **kw)


CASES = [
    ("man 44 in a suit", [person(gender="male", age=44, clothing="business suit")],
     "Tailored business suits for men in their 40s"),
    ("man 62 in a suit", [person(gender="male", age=62, clothing="suit")], "men 35-70, suit"),
    ("man 28 in a t-shirt", [person(gender="male", age=28, clothing="t-shirt")], "men's casual wear"),
    ("woman 38 in a suit", [person(gender="female", age=38, clothing="suit")],
     "women in their 30s and 40s wearing a suit"),
    ("woman 24, long hair", [person(gender="female", age=24, hair="long straight")],
     "young women with long hair, 20-30"),
    ("woman 55, nothing else known", [person(gender="female", age=55)], "women 20-60"),
    ("teenager", [person(age=15)], "sneakers for teenagers"),
    ("senior man", [person(gender="male", age=72)], "comfortable shoes for seniors"),
    ("adult with glasses", [person(age=33, glasses=True)], "glasses and frames for adults"),
    ("a family of four", [person(gender="female", age=40), person(gender="male", age=42),
                          person(age=10), person(age=8)], "family cars for families"),
    ("a couple", [person(gender="female", age=30), person(gender="male", age=31)], "couples"),
    ("woman of unknown age", [person(gender="female")], "for women"),
]


@pytest.mark.parametrize("name, people, winner", CASES, ids=[c[0] for c in CASES])
def test_the_most_specific_fitting_item_wins(seeded, name, people, winner):
    choice = Selector(no_repeat=False).choose(Audience(count=len(people), people=tuple(people)), NOON)
    assert choice is not None and choice.item.description == winner, (name, choice and choice.reasons)


def test_select_says_why_the_narrower_item_won(seeded):
    ranked = Selector(no_repeat=False).choose_alternatives(
        Audience(count=1, people=(person(gender="male", age=44, clothing="suit"),)), NOON, limit=2)
    assert [c.item.description for c in ranked] == ["Tailored business suits for men in their 40s",
                                                    "men 35-70, suit"]
    assert ranked[0].score > ranked[1].score
    assert "age 44 in 40-49" in ranked[0].reasons and "age 44 in 35-70" in ranked[1].reasons


@pytest.mark.parametrize("text, expect", [
    ("in their 30s and 40s", (30, 49)), ("for teenagers", (13, 19)), ("seniors", (60, None)),
    ("the over-60s", (60, None)), ("late thirties", (36, 39)), ("in their forties", (40, 49)),
    ("20s to 30s", (20, 39)), ("1990s music", (None, None)),
])
def test_descriptions_name_age_groups_as_a_person_reads_them(text, expect):
    t = parse_description(text)
    assert (t.age_min, t.age_max) == expect


def test_descriptions_name_genders_and_groups():
    assert parse_description("for women").genders == "female"
    assert parse_description("families").group_min == 3
    assert parse_description("couples").group_min == parse_description("couples").group_max == 2
