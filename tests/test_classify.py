"""The classifier against a real OpenAI-speaking HTTP server on 127.0.0.1 with scripted replies."""

from __future__ import annotations

import base64
import json
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from cxkiosk.config import Settings
from cxkiosk.profiling import prompts
from cxkiosk.profiling.client import Classifier
from cxkiosk.profiling.image import crop_box, prepare_image
from cxkiosk.profiling.limits import CALLS_FILE, CircuitBreaker
from cxkiosk.profiling.providers import PRESETS, ProviderError, resolve_provider
from cxkiosk.sensing.gate import VisitGate
from cxkiosk.values import Audience, Person
from tests.fake_openai import FakeOpenAI, flood, hang, json_reply, reject_schema, reply, status, trickle

LOCAL = Audience(count=1, people=(Person(gender="male", age=41, x=0.5, size=0.2),), source="local")
FACE = (600, 200, 120, 140)


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def frame():
    # A textured frame (JPEG size depends on content; a flat frame would hide the crop's saving).
    rng = np.random.default_rng(7)
    small = rng.integers(0, 255, (72, 128, 3), dtype=np.uint8)
    return cv2.resize(small, (1280, 720), interpolation=cv2.INTER_LINEAR)


def make(server: FakeOpenAI, data_dir=None, **overrides) -> Classifier:
    values = dict(privacy="full", provider="custom", base_url=server.base_url, model="fake-vlm",
                  model_timeout=1.0)
    values.update(overrides)
    return Classifier(Settings(**values), data_dir)


def sent_image(request: dict) -> np.ndarray:
    content = request["body"]["messages"][0]["content"]
    url = next(part["image_url"]["url"] for part in content if part["type"] == "image_url")
    assert url.startswith("data:image/jpeg;base64,")
    data = base64.b64decode(url.split(",", 1)[1])
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def test_valid_json_reply_becomes_the_audience(server, frame):
    server.script(json_reply({"count": 2, "people": [{"gender": "F", "age": "30s", "glasses": True},
                                                     {"gender": "male", "age": 61}]}))
    result = make(server).classify(frame, [FACE], LOCAL)
    assert not result.used_fallback and result.error == ""
    assert [(p.gender, p.age) for p in result.audience.people] == [("female", 35), ("male", 61)]
    assert result.audience.source == "model:fake-vlm"
    assert result.tokens > 0 and result.bytes_sent > 0 and result.server_ms is not None
    body = server.requests[0]["body"]
    assert body["model"] == "fake-vlm"
    assert body["response_format"]["type"] == "json_schema"
    assert body["messages"][0]["content"][0]["text"] == prompts.JSON_PROFILE


def test_sends_a_downscaled_crop_around_people_not_the_full_frame(server, frame):
    classifier = make(server)
    cropped = classifier.classify(frame, [FACE], LOCAL)
    full = classifier.classify(frame, [], LOCAL)
    crop_img, full_img = sent_image(server.requests[0]), sent_image(server.requests[1])
    assert max(full_img.shape[:2]) <= 512 and max(crop_img.shape[:2]) <= 512
    assert full_img.shape[1] / full_img.shape[0] == pytest.approx(1280 / 720, rel=0.02)
    assert crop_img.shape[1] / crop_img.shape[0] != pytest.approx(1280 / 720, rel=0.1)
    assert cropped.bytes_sent < full.bytes_sent


def test_crop_keeps_the_people_and_stays_inside_the_frame():
    x0, y0, x1, y1 = crop_box((720, 1280, 3), [(10, 600, 50, 60), (1200, 20, 70, 80)])
    assert (x0, y0) == (0, 0) and (x1, y1) == (1280, 720)
    x0, y0, x1, y1 = crop_box((720, 1280, 3), [FACE])
    assert x0 <= 600 and y0 <= 200 and x1 >= 720 and y1 >= 340 and y1 - 340 > 200 - y0  # room for clothes
    with pytest.raises(ValueError):
        prepare_image(np.zeros((0, 0, 3), np.uint8))


@pytest.mark.parametrize("image,boxes", [(None, []), (np.zeros((0, 5, 3), np.uint8), []),
                                         (np.zeros((10, 10, 3), np.uint8), [("a", None, 3, 4)])])
def test_a_bad_frame_or_box_costs_no_call_and_no_crash(server, image, boxes):
    result = make(server).classify(image, boxes, LOCAL)
    assert result.used_fallback and "image unusable" in result.error and server.requests == []


def test_seed_lines_when_structured_output_is_off(server, frame):
    server.script(reply("- male, 30, asian, no, short, polo shirt\n- female, 25, no, long, dress"))
    result = make(server, structured_output=False).classify(frame, [FACE], LOCAL)
    body = server.requests[0]["body"]
    assert "response_format" not in body
    assert body["messages"][0]["content"][0]["text"] == prompts.SEED_LINES
    assert [p.gender for p in result.audience.people] == ["male", "female"]
    assert all(p.ethnicity is None for p in result.audience.people)


@pytest.mark.expect_log('rejected structured output')
def test_server_rejecting_json_schema_gets_the_question_again_without_it(server, frame):
    server.script(reject_schema(), reply("- female, 50, yes, grey, coat"), reply())
    classifier = make(server)
    first = classifier.classify(frame, [FACE], LOCAL)
    assert not first.used_fallback and first.audience.people[0].age == 50
    classifier.classify(frame, [FACE], LOCAL)
    assert ["response_format" in r["body"] for r in server.requests] == [True, False, False]


@pytest.mark.parametrize("step,expect", [
    (reply("¯\\_(ツ)_/¯ {{{ not json"), "reply unusable"),
    (reply("I'm sorry, but I can't help with identifying people."), "refusal"),
    (hang(30), "no answer within 1 s"),
    (trickle(every=0.25, chunk=4), "no answer within 1 s"),  # each read is quick, the whole is not
])
@pytest.mark.expect_log('model call failed')
def test_unusable_or_late_replies_fall_back_to_the_local_audience(server, frame, step, expect):
    server.script(step, step)
    result = make(server).classify(frame, [FACE], LOCAL)
    assert result.used_fallback and result.audience == LOCAL
    assert expect in result.error


@pytest.mark.parametrize("code,expect", [(500, "server error 500"), (429, "rate limited")])
@pytest.mark.expect_log('model call failed')
def test_server_errors_are_retried_once_then_fall_back(server, frame, code, expect):
    server.script(status(code), status(code), reply())
    result = make(server).classify(frame, [FACE], LOCAL)
    assert len(server.requests) == 2  # one call, one retry, no more
    assert result.used_fallback and result.audience == LOCAL and expect in result.error


@pytest.mark.expect_log('model call failed')
def test_a_long_retry_after_does_not_hold_the_call_past_its_deadline(server, frame):
    server.script(*[status(429, headers={"retry-after": "59"})] * 2)
    classifier = make(server, model_timeout=2.0)
    results = []
    worker = threading.Thread(target=lambda: results.append(classifier.classify(frame, [FACE], LOCAL)))
    worker.start()
    worker.join(20)  # the openai client alone would sleep 59 s before its retry
    assert not worker.is_alive()
    assert results[0].used_fallback and "rate limited" in results[0].error


def test_one_retry_recovers_from_a_single_500(server, frame):
    server.script(status(500), reply())
    result = make(server).classify(frame, [FACE], LOCAL)
    assert not result.used_fallback and len(server.requests) == 2


def test_a_reply_naming_a_url_changes_nothing_but_attributes(server, frame):
    server.script(json_reply({"count": 1, "url": "https://evil.example/promo", "item_id": 99,
                              "people": [{"gender": "female", "clothing": "https://evil.example/promo"}]}))
    result = make(server).classify(frame, [FACE], LOCAL)
    assert not result.used_fallback
    assert "evil" not in json.dumps(result.audience.to_dict(sensitive=True))
    assert result.audience.people[0].gender == "female" and result.audience.people[0].clothing is None


def test_sensitive_attributes_are_dropped_unless_enabled(server, frame):
    data = {"count": 1, "people": [{"gender": "male", "race": "asian", "emotion": "happy"}]}
    server.script(json_reply(data), json_reply(data))
    off = make(server).classify(frame, [FACE], LOCAL).audience.people[0]
    on = make(server, sensitive_attributes=True).classify(frame, [FACE], LOCAL).audience.people[0]
    assert (off.ethnicity, off.emotion) == (None, None)
    assert (on.ethnicity, on.emotion) == ("asian", "happy")
    assert "ethnicity" not in json.dumps(server.requests[0]["body"]["response_format"])
    assert "ethnicity" in json.dumps(server.requests[1]["body"]["response_format"])


@pytest.mark.expect_log('model call failed', r'model failed \d+ times in a row')
def test_circuit_breaker_stops_calling_then_tries_again_after_cool_down(server, frame):
    now = [1000.0]
    classifier = make(server)
    classifier.breaker = CircuitBreaker(threshold=3, cooldown=60, clock=lambda: now[0])
    server.script(*[status(500)] * 6)
    for _ in range(3):
        classifier.classify(frame, [FACE], LOCAL)
    made = len(server.requests)
    paused = classifier.classify(frame, [FACE], LOCAL)
    assert len(server.requests) == made and paused.used_fallback and "paused" in paused.error
    now[0] += 61
    server.script(reply())
    trial = classifier.classify(frame, [FACE], LOCAL)
    assert not trial.used_fallback and len(server.requests) == made + 1
    assert classifier.breaker.blocked() == ""


def test_call_caps_survive_a_restart(server, frame, data_dir):
    now = [1_700_000_000.0]
    settings = dict(calls_per_hour=2, calls_per_day=3)
    first = Classifier(Settings(privacy="full", provider="custom", base_url=server.base_url, model="m",
                                **settings), data_dir, clock=lambda: now[0])
    first.classify(frame, [FACE], LOCAL)
    first.classify(frame, [FACE], LOCAL)
    assert json.loads((data_dir / CALLS_FILE).read_text())["calls"]
    restarted = Classifier(Settings(privacy="full", provider="custom", base_url=server.base_url, model="m",
                                    **settings), data_dir, clock=lambda: now[0])
    blocked = restarted.classify(frame, [FACE], LOCAL)
    assert len(server.requests) == 2 and blocked.used_fallback and "hourly call cap" in blocked.error
    now[0] += 3601
    assert not restarted.classify(frame, [FACE], LOCAL).used_fallback
    assert "daily call cap" in restarted.classify(frame, [FACE], LOCAL).error
    now[0] += 86400
    assert not restarted.classify(frame, [FACE], LOCAL).used_fallback


@pytest.mark.expect_log('call counter .* unreadable')
def test_a_damaged_call_counter_is_reported_and_replaced(server, frame, data_dir, caplog):
    (data_dir / CALLS_FILE).write_text("{not json")
    result = make(server, data_dir).classify(frame, [FACE], LOCAL)
    assert not result.used_fallback
    assert "unreadable" in caplog.text
    assert len(json.loads((data_dir / CALLS_FILE).read_text())["calls"]) == 1


@pytest.mark.parametrize("privacy,source,calls", [("local", "camera", 0), ("off", "camera", 0),
                                                  ("thermal", "camera", 0), ("thermal", "thermal", 1),
                                                  ("full", "camera", 1)])
def test_privacy_mode_decides_what_leaves_the_machine(server, frame, privacy, source, calls):
    result = make(server, privacy=privacy).classify(frame, [FACE], LOCAL, source)
    assert len(server.requests) == calls
    if not calls:
        assert result.used_fallback and result.audience == LOCAL and result.bytes_sent == 0


def test_thermal_source_uses_the_thermal_prompt_and_whole_heatmap(server):
    heat = cv2.applyColorMap(cv2.resize(np.arange(64, dtype=np.uint8).reshape(8, 8) * 4, (320, 320),
                                        interpolation=cv2.INTER_NEAREST), cv2.COLORMAP_JET)
    server.script(json_reply({"count": 1, "people": [{"position": "right", "activity": "standing"}]}))
    result = make(server, privacy="thermal").classify(heat, [(0, 0, 10, 10)], None, "thermal")
    body = server.requests[0]["body"]
    assert body["messages"][0]["content"][0]["text"] == prompts.THERMAL and "response_format" not in body
    assert sent_image(server.requests[0]).shape[:2] == (320, 320)
    assert result.audience.count == 1 and result.audience.people[0].x > 0.5


def test_openai_preset_sends_detail_low_and_the_key(server, frame):
    classifier = Classifier(Settings(privacy="full", provider="openai", base_url=server.base_url),
                            api_key="sk-test-key-123456789")
    classifier.classify(frame, [FACE], LOCAL)
    request = server.requests[0]
    image = next(p for p in request["body"]["messages"][0]["content"] if p["type"] == "image_url")
    assert image["image_url"]["detail"] == "low"
    assert request["headers"]["authorization"] == "Bearer sk-test-key-123456789"
    assert request["body"]["model"] == "gpt-4o-mini"


def test_local_servers_get_no_detail_and_a_dummy_key(server, frame):
    make(server).classify(frame, [FACE], LOCAL)
    image = next(p for p in server.requests[0]["body"]["messages"][0]["content"] if p["type"] == "image_url")
    assert "detail" not in image["image_url"]


def test_openai_without_a_key_makes_no_call(server, frame, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    classifier = Classifier(Settings(privacy="full", provider="openai", base_url=server.base_url))
    result = classifier.classify(frame, [FACE], None)
    assert "no API key" in classifier.problem and "no API key" in result.error
    assert server.requests == [] and result.audience.count == 1  # the detected box still counts


@pytest.mark.expect_log('reading the camera prompt failed')
def test_prompt_comes_from_the_given_source_and_survives_its_failure(server, frame):
    custom = Classifier(Settings(privacy="full", provider="custom", base_url=server.base_url, model="m"),
                        prompt=lambda source: f"operator prompt for {source}")
    custom.classify(frame, [FACE], LOCAL)

    def broken(source):
        raise RuntimeError("database is locked")

    failing = Classifier(Settings(privacy="full", provider="custom", base_url=server.base_url, model="m"),
                         prompt=broken)
    assert not failing.classify(frame, [FACE], LOCAL).used_fallback
    texts = [r["body"]["messages"][0]["content"][0]["text"] for r in server.requests]
    assert texts == ["operator prompt for camera", prompts.JSON_PROFILE]


@pytest.mark.expect_log('model call failed')
def test_abort_ends_a_hanging_call_at_once(server, frame):
    server.script(hang(60), hang(60))
    classifier = make(server, model_timeout=60.0)
    results = []
    worker = threading.Thread(target=lambda: results.append(classifier.classify(frame, [FACE], LOCAL)))
    worker.start()
    while not server.requests:
        threading.Event().wait(0.01)
    classifier.abort()
    worker.join(10)  # far below the 60 s the server would hang
    assert not worker.is_alive()
    assert results[0].used_fallback and results[0].error == "classifier stopped"
    assert classifier.classify(frame, [FACE], LOCAL).error == "classifier stopped"


@pytest.mark.expect_log('model call failed')
def test_logs_hold_neither_image_nor_key(server, frame, caplog):
    caplog.set_level("DEBUG")
    server.script(status(500), status(500), reply())
    classifier = Classifier(Settings(privacy="full", provider="openai", base_url=server.base_url),
                            api_key="sk-secret-abcdefghijkl")
    classifier.classify(frame, [FACE], LOCAL)
    classifier.classify(frame, [FACE], LOCAL)
    assert "base64" not in caplog.text and "sk-secret" not in caplog.text


def test_visit_gate_ignores_flicker_and_calls_on_changes_that_hold():
    gate = VisitGate(refresh_seconds=0, settle=2, min_gap=5)
    assert gate.check("v1", 1, 0.0) == 0  # a new visit: call now
    assert gate.check("v1", 1, 1.0) is None  # same group: nothing to do
    assert gate.check("v1", 0, 1.1) is None  # a lost face is not a new audience
    assert gate.check("v1", 2, 1.2) > 0  # a passer-by: wait and see
    assert gate.check("v1", 1, 1.3) is None  # gone again: no call
    assert gate.check("v1", 2, 3.0) > 0
    assert gate.check("v1", 2, 5.5) == 0  # held 2.5 s, 5.5 s after the last call
    assert gate.check("v2", 1, 5.6) == 0  # another visit
    refresh = VisitGate(refresh_seconds=20)
    assert [refresh.due("v", 1, t) for t in (0, 10, 20, 30, 40)] == [True, False, True, False, True]


def test_provider_presets_and_bad_settings():
    assert resolve_provider("ollama").base_url == "http://localhost:11434/v1"
    assert resolve_provider("openai").needs_key and not resolve_provider("lmstudio").needs_key
    assert resolve_provider("vllm", model="my-vlm").model == "my-vlm"
    assert set(PRESETS) == {"openai", "ollama", "llamacpp", "vllm", "lmstudio", "custom"}
    for bad in (dict(name="nope"), dict(name="custom"), dict(name="ollama", base_url="ftp://x/v1")):
        with pytest.raises(ProviderError):
            resolve_provider(**bad)


# ------------------------------------------------------------------------------ the command line

@pytest.fixture
def image_file(tmp_path, frame):
    path = tmp_path / "visitor.jpg"
    cv2.imwrite(str(path), frame)
    return path


def run_cli(*argv: str) -> int:
    from main import main

    return main(["classify", *argv])


def test_cli_prints_audience_json_and_latency(server, image_file, data_dir, capsys):
    server.script(json_reply({"count": 1, "people": [{"gender": "man", "age": "late 20s", "facing": "yes"}]}))
    code = run_cli(str(image_file), "--data-dir", str(data_dir), "--privacy", "full", "--provider", "custom",
                   "--base-url", server.base_url, "--model", "fake-vlm")
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["count"] == 1 and data["people"][0] == {"gender": "male", "age": 28, "glasses": None,
                                                        "hair": None, "clothing": None, "facing": True}
    assert data["latency_ms"] > 0 and data["model"] == "fake-vlm" and "latency" in err


def test_cli_local_privacy_profiles_a_real_photo_here_and_sends_nothing(server, data_dir, capsys):
    # Two women (Pexels, CC0; tests/data/faces): one near, turned to her phone; one further back,
    # facing the camera. Local mode: one person per face, left to right, nothing sent anywhere.
    photo = Path(__file__).parent / "data" / "faces" / "two_women_phones_far.jpg"
    code = run_cli(str(photo), "--data-dir", str(data_dir), "--privacy", "local",
                   "--base-url", server.base_url)
    out = capsys.readouterr().out
    assert code == 0 and server.requests == []
    data = json.loads(out)
    assert data["count"] == 2 and len(data["people"]) == 2
    far, near = data["people"]  # left to right as they stand in the picture
    assert far["facing"] is True and near["facing"] is False
    assert far["gender"] == "female"
    assert near["age"] is None and near["gender"] is None  # too turned for a sane guess


@pytest.mark.parametrize("argv,message", [
    (["missing.jpg"], "image not found"),
    (["{image}", "--privacy", "full", "--provider", "nosuch"], "unknown provider"),
    (["{image}", "--privacy", "full", "--provider", "custom", "--model", "m"], "needs a base URL"),
    (["{image}", "--privacy", "full", "--timeout", "-1"], "--timeout: must be 1..120"),
])
def test_cli_bad_input_is_one_line_and_exit_2(image_file, data_dir, capsys, argv, message):
    argv = [a.replace("{image}", str(image_file)) for a in argv]
    code = run_cli(*argv, "--data-dir", str(data_dir))
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


@pytest.mark.expect_log('model call failed')
def test_cli_reports_a_failed_model_call(server, image_file, data_dir, capsys):
    server.script(status(500), status(500))
    code = run_cli(str(image_file), "--data-dir", str(data_dir), "--privacy", "full", "--provider", "custom",
                   "--base-url", server.base_url, "--model", "m")
    assert code == 1 and "model call failed: server error 500" in capsys.readouterr().err


def test_the_openai_key_is_not_handed_to_a_server_on_this_machine(server, frame, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-secret-123456")
    Classifier(Settings(privacy="full", provider="custom", base_url=server.base_url, model="m")).classify(
        frame, [FACE], LOCAL)
    assert "sk-openai" not in server.requests[0]["headers"]["authorization"]


@pytest.mark.expect_log('model call failed')
def test_an_endless_reply_is_cut_off_by_size_long_before_the_deadline(server, frame):
    import resource

    server.script(flood(400), flood(400))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    result = make(server, model_timeout=60.0).classify(frame, [FACE], LOCAL)
    assert time.monotonic() - started < 30
    assert result.used_fallback and result.audience == LOCAL
    assert "larger than" in result.error
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100  # the kiosk read at most about a megabyte of it


@pytest.mark.parametrize("text", [
    '{"count": NaN, "people": [{"gender": "female", "age": Infinity, "x": NaN, "size": -Infinity}]}',
    '{"count": 1e999, "people": [{"gender": "female", "age": -1e999}]}',
    '{"count": Infinity, "people": [{"gender": "female", "age": NaN, "facing": NaN}]}',
])
def test_nan_and_infinity_in_a_reply_are_unknowns_not_a_crash(server, frame, text):
    server.script(reply(text))
    result = make(server).classify(frame, [FACE], LOCAL)
    assert not result.used_fallback
    person = result.audience.people[0]
    assert person.gender == "female" and person.age is None and person.x is None
    assert result.audience.count == 1
