"""Model replies are untrusted input: every shape parses to valid values or to 'nothing usable'."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxkiosk.attributes import AGE_MAX, AGE_MIN, TEXT_MAX
from cxkiosk.profiling.replies import REPLY_MAX, parse_reply
from cxkiosk.values import PEOPLE_MAX, Audience


def people(text: str, sensitive: bool = False):
    parsed = parse_reply(text, sensitive=sensitive)
    assert parsed.audience is not None, parsed.notes
    return parsed.audience.people


def test_seed_line_with_race_column_drops_race_by_default():
    (p,) = people("- male, 30, asian, no, short, polo shirt")
    assert (p.gender, p.age, p.glasses, p.hair, p.clothing) == ("male", 30, False, "short", "polo shirt")
    assert p.ethnicity is None


def test_seed_line_keeps_race_only_when_operator_enabled_it():
    (p,) = people("- male, 30, asian, no, short, polo shirt", sensitive=True)
    assert p.ethnicity == "asian" and p.glasses is False


def test_default_prompt_lines_with_facing_column():
    a, b = people("- male, 40, yes, short, t-shirt, facing\n"
                  "- female, 25, no, straight long, suit, not facing")
    assert (a.gender, a.age, a.glasses, a.facing) == ("male", 40, True, True)
    assert (b.gender, b.hair, b.clothing, b.facing) == ("female", "straight long", "suit", False)


def test_json_in_code_fence_inside_prose_with_synonyms_and_age_words():
    text = ("Sure! Here is what I see:\n```json\n"
            '{"count": 3, "people": [{"gender": "Woman", "age": "30s", "glasses": "yes"},'
            ' {"sex": "M", "age": "around 40"}, {"gender": "boy", "age": "25-30"}]}'
            "\n```\nHope it helps.")
    parsed = parse_reply(text)
    assert parsed.format == "json"
    assert parsed.audience is not None and parsed.audience.count == 3
    assert [(p.gender, p.age) for p in parsed.audience.people] == [("female", 35), ("male", 40), ("male", 28)]


def test_bare_list_and_single_person_object():
    assert [p.gender for p in people('[{"gender": "F"}, {"gender": "man"}]')] == ["female", "male"]
    (p,) = people('{"gender": "girl", "age": 150, "glasses": "maybe", "emotion": "happy"}')
    assert (p.gender, p.age, p.glasses, p.emotion) == ("female", AGE_MAX, None, None)


@pytest.mark.parametrize("text", ["I'm sorry, I can't help with identifying people in images.",
                                  "I cannot determine the age or gender of people.", "", "   ", "unknown",
                                  "asdf qwer {{{ ]]] zxcv", None, 42])
def test_refusals_garbage_and_empty_are_not_usable(text):
    parsed = parse_reply(text)
    assert parsed.audience is None and parsed.notes


def test_nobody_reply_is_an_empty_audience_not_a_failure():
    parsed = parse_reply("There is nobody in the image.")
    assert parsed.audience is not None and parsed.audience.empty


def test_missing_extra_and_unknown_fields():
    (p,) = people('{"people": [{"gender": "unknown", "age": null, "hair": "n/a", "favourite_colour": "red",'
                  ' "clothing": "black hoodie"}]}')
    assert (p.gender, p.age, p.hair, p.clothing) == (None, None, None, "black hoodie")


def test_a_reply_naming_a_link_carries_no_link_anywhere():
    text = ('{"count": 1, "url": "https://evil.example/x", "content_id": 7, "people": [{"gender": "male",'
            ' "clothing": "see https://evil.example/buy", "hair": "www.evil.example"}]}')
    audience = parse_reply(text).audience
    assert audience is not None
    dumped = json.dumps(audience.to_dict(sensitive=True))
    assert "evil" not in dumped and "content_id" not in dumped
    assert audience.people[0].gender == "male"


def test_runaway_reply_is_capped():
    many = json.dumps({"people": [{"gender": "male"}] * 500, "count": 10**9})
    audience = parse_reply(many).audience
    assert audience is not None and len(audience.people) == PEOPLE_MAX and audience.count == PEOPLE_MAX
    lines = "\n".join(f"- female, {20 + i % 50}, no, long, dress" for i in range(200))
    assert len(people(lines)) == PEOPLE_MAX


def test_huge_and_deeply_nested_replies_do_not_crash():
    assert parse_reply("[" * 100_000).audience is None
    parsed = parse_reply('{"people": [' + '{"gender": "male"},' * 50_000 + "]}")
    assert any("truncated" in note for note in parsed.notes)
    # A long reply whose answer comes first still counts: only the tail is cut.
    audience = parse_reply('{"count": 1, "people": [{"gender": "male"}]}' + " " * (REPLY_MAX * 2)).audience
    assert audience is not None and audience.people[0].gender == "male"


def test_thermal_reply_positions_become_x():
    audience = parse_reply('{"count": 2, "people": [{"position": "left", "activity": "standing"},'
                           ' {"position": "right", "activity": "moving"}]}').audience
    assert audience is not None and audience.count == 2
    left, right = audience.people
    assert left.x is not None and right.x is not None and left.x < right.x


# ------------------------------------------------------------------------------- properties

def assert_valid(audience: Audience | None, sensitive: bool = False) -> None:
    if audience is None:
        return
    assert 0 <= audience.count <= PEOPLE_MAX and audience.count >= len(audience.people)
    for p in audience.people:
        assert p.gender in (None, "male", "female")
        assert p.age is None or (isinstance(p.age, int) and AGE_MIN <= p.age <= AGE_MAX)
        for flag in (p.glasses, p.facing):
            assert flag is None or isinstance(flag, bool)
        for text in (p.hair, p.clothing, p.ethnicity, p.emotion):
            assert text is None or (isinstance(text, str) and len(text) <= TEXT_MAX and "://" not in text)
        for unit in (p.x, p.size):
            assert unit is None or 0.0 <= unit <= 1.0
        if not sensitive:
            assert p.ethnicity is None and p.emotion is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=30)
WORDS = ["male", "F", "woman", "30s", "25-30", "yes", "no", "unknown", "asian"]
FIELDS = ("gender", "sex", "age", "glasses", "hair", "clothing", "facing", "race", "emotion", "position")
person_dicts = st.fixed_dictionaries({}, optional={k: json_values | st.sampled_from(WORDS) for k in FIELDS})
replies_json = st.fixed_dictionaries(
    {}, optional={"count": json_values, "people": st.lists(person_dicts, max_size=25)})
wrappers = st.sampled_from(
    ["{}", "```json\n{}\n```", "Here you go: {} Thanks!", "```\n{}```", "{}\n- male, 30"])
seed_lines = st.lists(st.lists(st.text(alphabet=st.characters(blacklist_characters=",\n"), max_size=12) |
                               st.sampled_from(["male", "female", "30", "40s", "yes", "no", "facing"]),
                               min_size=0, max_size=8).map(lambda f: "- " + ", ".join(f)), max_size=25)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400), st.booleans())
def test_any_text_never_raises_and_gives_valid_values(text, sensitive):
    parsed = parse_reply(text, sensitive=sensitive)
    assert parsed.format in ("json", "lines", "none")
    assert not any(n.startswith("parser error") for n in parsed.notes)  # handled, not caught
    assert_valid(parsed.audience, sensitive)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replies_json, wrappers, st.booleans())
def test_any_json_shape_in_any_wrapper_gives_valid_values(data, wrapper, sensitive):
    # json.dumps writes NaN and Infinity as a model server may: they mean "unknown"
    parsed = parse_reply(wrapper.replace("{}", json.dumps(data)), sensitive=sensitive)
    assert not any(n.startswith("parser error") for n in parsed.notes)  # handled, not caught
    assert_valid(parsed.audience, sensitive)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(seed_lines, st.booleans())
def test_any_seed_lines_give_valid_values(lines, sensitive):
    parsed = parse_reply("\n".join(lines), sensitive=sensitive)
    assert_valid(parsed.audience, sensitive)
