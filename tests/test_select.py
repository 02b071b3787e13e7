"""Targeted selection: gender, age edges, schedules across midnight, groups, repeat avoidance,
frequency caps, empty audiences, unplayable items, determinism, and the select command."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

import main
from cxkiosk.content.database import Content, close_database, open_database
from cxkiosk.content.records import log_play
from cxkiosk.content.selection import Selector
from cxkiosk.values import Audience, Person

NOON = datetime(2025, 6, 4, 12, 0)  # a Wednesday


def add(title: str, **fields) -> int:
    fields.setdefault("kind", "web")
    fields.setdefault("url", f"https://example.com/{title.replace(' ', '-')}")
    return Content.create(title=title, **fields).id


def one(**person) -> Audience:
    return Audience(count=1, people=(Person(**person),), source="test")


def chosen_title(audience: Audience, at: datetime = NOON, selector: Selector | None = None) -> str | None:
    choice = (selector or Selector()).choose(audience, at)
    return choice.item.title if choice else None


def test_gender_and_reasons(db):
    add("for women", genders="female")
    add("for men", genders="male")
    add("for everyone")  # no targeting: idle playlist only
    choice = Selector().choose(one(gender="female", age=34), NOON)
    assert choice.item.title == "for women"
    assert choice.trigger == "targeted" and choice.reasons == ("female matches",) and choice.score == 1.0
    assert chosen_title(one(gender="male")) == "for men"


def test_all_matching_attributes_count_and_are_explained(db):
    add("suit women 25-40", genders="female", age_min=25, age_max=40, keywords="suit,glasses")
    add("women", genders="female", weight=1.5)
    choice = Selector().choose(one(gender="female", age=34, clothing="business suit", glasses=True), NOON)
    assert choice.item.title == "suit women 25-40"
    assert choice.reasons == ("female matches", "age 34 in 25-40", "suit keyword", "glasses keyword")
    # 4 attributes, the age point weighted by the fit: 0.5 * 10/15 narrow + 0.25 * 0.8 centred
    assert choice.score == pytest.approx(4 + 0.5 * 10 / 15 + 0.25 * 0.8, abs=1e-3)


@pytest.mark.parametrize(("age", "expected"), [
    (24, None), (25, "25-40"), (40, "25-40"), (41, None), (None, None)])
def test_age_edges_are_inclusive(db, age, expected):
    add("25-40", age_min=25, age_max=40)
    assert chosen_title(one(age=age)) == expected


def test_contradicting_rule_is_a_hard_filter(db):
    add("young women, suits", genders="female", age_max=30, keywords="suit")
    # the suit matches, but a 50-year-old man contradicts both the gender and the age rule
    assert chosen_title(one(gender="male", age=50, clothing="suit")) is None
    # an unknown gender does not contradict; the keyword is enough to target
    assert chosen_title(one(clothing="suit")) == "young women, suits"


def test_schedule_across_midnight(db):
    add("night owls", age_min=18, hour_from=22, hour_to=2)
    add("daytime", age_min=18, hour_from=8, hour_to=20)
    adult = one(age=30)
    assert chosen_title(adult, NOON) == "daytime"
    assert chosen_title(adult, datetime(2025, 6, 4, 23, 30)) == "night owls"
    assert chosen_title(adult, datetime(2025, 6, 5, 1, 59)) == "night owls"
    assert chosen_title(adult, datetime(2025, 6, 5, 2, 0)) is None
    assert chosen_title(adult, datetime(2025, 6, 5, 21, 0)) is None


def test_disabled_and_out_of_dates_items_never_target(db):
    add("disabled", genders="female", enabled=False)
    add("expired", genders="female", date_to=(NOON - timedelta(days=1)).date())
    add("zero weight", genders="female", weight=0)
    assert chosen_title(one(gender="female")) is None


def test_group_targets_the_facing_nearest_person_or_the_majority(db):
    add("for women", genders="female")
    add("for men", genders="male")
    add("men's group", genders="male", group_min=2, keywords="backpack")
    group = Audience(count=3, people=(
        Person(gender="male", facing=False, size=0.9),
        Person(gender="female", facing=True, size=0.3),  # facing: the one to target
        Person(gender="male", facing=True, size=0.1),
    ))
    ranked = Selector().choose_alternatives(group, NOON, limit=5)
    titles = [c.item.title for c in ranked]
    # the group item scores majority gender + group size; the facing woman gets hers next
    assert titles == ["men's group", "for women"]
    assert ranked[0].reasons == ("group majority male matches", "group of 3 in 2+")
    # a lone visitor never gets the group item
    assert chosen_title(one(gender="male")) == "for men"
    # among people all facing, the nearest (largest face) is targeted
    two = Audience(count=2, people=(Person(gender="female", facing=True, size=0.2),
                                    Person(gender="male", facing=True, size=0.6)))
    Content.delete().where(Content.title == "men's group").execute()
    assert chosen_title(two) == "for men"


def test_no_immediate_repeat_and_least_recently_played_wins_ties(db):
    a = add("a", genders="female")
    b = add("b", genders="female")
    c = add("c", genders="female")
    selector = Selector(max_per_hour=10)
    woman = one(gender="female")
    assert chosen_title(woman, NOON, selector) == "a"  # never played; lowest id breaks the tie
    log_play(a, a, NOON - timedelta(minutes=30), NOON - timedelta(minutes=29), "completed")
    log_play(b, b, NOON - timedelta(minutes=20), NOON - timedelta(minutes=19), "completed")
    log_play(c, c, NOON - timedelta(minutes=10), NOON - timedelta(minutes=9), "completed")
    # c just played (no repeat), a played longest ago
    assert [x.item.title for x in selector.choose_alternatives(woman, NOON)] == ["a", "b"]
    log_play(a, a, NOON - timedelta(minutes=5), NOON - timedelta(minutes=4), "completed")
    assert chosen_title(woman, NOON, selector) == "b"
    # history after `at` is not seen: at 11:45 only a and b had played, b last
    assert chosen_title(woman, NOON - timedelta(minutes=15), selector) == "c"


def test_frequency_cap_per_hour_rests_an_item(db):
    only = add("only one", genders="male")
    other = add("other", kind="web", url="https://example.com/other")
    for minutes in (50, 40):
        log_play(only, only, NOON - timedelta(minutes=minutes), None, "completed")
    log_play(other, None, NOON - timedelta(minutes=1), None, "completed")  # so "only one" is not last
    man = one(gender="male")
    assert chosen_title(man, NOON, Selector(max_per_hour=3)) == "only one"
    assert chosen_title(man, NOON, Selector(max_per_hour=2)) is None
    # an hour later the cap has lifted
    assert chosen_title(man, NOON + timedelta(minutes=45), Selector(max_per_hour=2)) == "only one"


def test_nobody_or_nothing_matching_leaves_the_idle_playlist(db):
    add("for women", genders="female")
    assert Selector().choose(Audience(), NOON) is None
    assert Selector().choose(one(gender="male"), NOON) is None
    assert Selector().choose_alternatives(Audience(), NOON) == []


def test_unplayable_best_plays_the_next_and_still_pushes_the_best_link(db):
    add("best", genders="female", age_min=20, age_max=40)
    add("second", genders="female")
    woman = one(gender="female", age=30)
    choice = Selector().choose(woman, NOON, playable=lambda item: item.title != "best")
    assert choice.item.title == "second"
    assert choice.chosen.title == "best" and choice.pushed_item.title == "best"
    assert Selector().choose(woman, NOON, playable=lambda item: False) is None
    plain = Selector().choose(woman, NOON)
    assert plain.chosen is None and plain.pushed_item.title == "best"


def test_same_inputs_same_choice(db):
    for n in range(12):
        add(f"item {n}", genders="female" if n % 2 else "", age_min=20 + n,
            keywords="glasses" if n % 3 else "")
    audience = one(gender="female", age=33, glasses=True)
    first = Selector().choose_alternatives(audience, NOON, limit=10)
    assert first and first == Selector().choose_alternatives(audience, NOON, limit=10)


def run_cli(*argv) -> int:
    return main.main(list(argv))


def test_select_command(tmp_path, capsys):
    db_path = tmp_path / "kiosk.db"
    open_database(str(db_path))
    add("suit women", genders="female", age_min=25, age_max=40, keywords="suit",
        url="https://youtu.be/AAAAAAAAAAA", kind="youtube")
    close_database()
    common = ["--data-dir", str(tmp_path / "data"), "--db", str(db_path)]
    audience = json.dumps({"count": 1, "people": [{"gender": "female", "age": 34, "clothing": "suit"}]})

    assert run_cli("select", "--audience", audience, "--at", "2025-06-04T12:00", *common) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["title"], out["kind"], round(out["score"])) == ("suit women", "youtube", 4)  # 3 + age fit
    assert out["url"] == "https://www.youtube.com/watch?v=AAAAAAAAAAA"
    assert out["reasons"] == ["female matches", "age 34 in 25-40", "suit keyword"]

    assert run_cli("select", "--audience", '{"count": 0, "people": []}', *common) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["id"] is None and "idle playlist" in out["reasons"][0]

    for bad in (["--audience", "{nope"], ["--audience", "[1]"], ["--audience", audience, "--at", "noon"]):
        assert run_cli("select", *bad, *common) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err and ("--audience" in err or "--at" in err)


def test_cap_comes_from_settings(db, tmp_path):
    from cxkiosk.config import Paths, load_settings

    settings = load_settings(Paths.for_data_dir(tmp_path), environ={"CXKIOSK_ITEM_CAP_PER_HOUR": "1"})
    item = add("capped", genders="male")
    other = add("other")
    log_play(item, item, NOON - timedelta(minutes=30), None, "completed")
    log_play(other, None, NOON - timedelta(minutes=1), None, "completed")
    assert chosen_title(one(gender="male"), NOON, Selector.from_settings(settings)) is None
    assert chosen_title(one(gender="male"), NOON, Selector()) == "capped"
