"""Settings: what needs a restart is declared beside each setting; bounds; env overrides."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from cxkiosk.config import Paths, Settings, changed_settings, load_settings, needs_restart, save_settings


def test_devices_and_the_model_need_a_restart_while_the_billboard_applies_live():
    assert needs_restart("source") == "camera source" and needs_restart("face_min_px") == "face detection"
    assert needs_restart("privacy") == "privacy mode" and needs_restart("nfc_device") == "NFC device"
    assert needs_restart("qr_call_to_action") == "" and needs_restart("show_reasons") == ""
    assert needs_restart("no_such_setting") == ""
    # every setting is either live or names itself for the restart message
    assert all(isinstance(f.metadata.get("restart", ""), str) for f in fields(Settings))


def test_changed_settings_names_exactly_what_differs():
    old = Settings()
    new = Settings(face_min_px=24, qr_enabled=False)
    assert changed_settings(old, new) == ["face_min_px", "qr_enabled"]
    assert changed_settings(old, Settings()) == []


@pytest.mark.expect_log('is not valid; ignoring it')
def test_face_detection_settings_round_trip_and_bad_values_are_named(tmp_path):
    paths = Paths.for_data_dir(tmp_path)
    save_settings(paths, Settings(face_min_px=24, face_threshold=0.7, facing_degrees=45.0))
    loaded = load_settings(paths, environ={"CXKIOSK_FACING_DEGREES": "20"})
    assert (loaded.face_min_px, loaded.face_threshold, loaded.facing_degrees) == (24, 0.7, 20.0)
    problems = Settings(face_min_px=2, face_threshold=1.5, facing_degrees=90).validate()
    assert any("face_min_px" in p for p in problems) and any("face_threshold" in p for p in problems)
    assert any("facing_degrees" in p for p in problems)
    assert load_settings(paths, environ={"CXKIOSK_FACE_MIN_PX": "many"}).face_min_px == 24  # kept, warned


# --- hostile and unlucky settings files ------------------------------------------------------------


def write_raw(paths, text: str) -> None:
    paths.create()
    paths.settings_file.write_text(text, encoding="utf-8")


@pytest.mark.expect_log("is not valid; ignoring it")
@pytest.mark.parametrize("name, raw", [
    ("model_timeout", "1e9"), ("model_timeout", "NaN"), ("model_timeout", "Infinity"),
    ("model_timeout", "-5"), ("model_timeout", "0"), ("calls_per_hour", "1e400"),
    ("calls_per_hour", "-1"), ("camera_width", "99999999999999999999"), ("camera_width", "3.5"),
    ("face_threshold", "true"), ("slide_seconds", "\"ten\""), ("privacy", "\"everything\""),
    ("nfc_mode", "[\"write\"]"), ("kiosk_id", "{\"a\": 1}"), ("kiosk_id", "\"" + "k" * 500 + "\""),
    ("qr_call_to_action", "\"Scan\\u0000me\""), ("item_cap_per_hour", "0"),
    ("show_reasons", "\"perhaps\""), ("qr_enabled", "2"),
])
def test_an_out_of_range_or_wrong_typed_value_is_named_and_the_default_runs(tmp_path, caplog, name, raw):
    paths = Paths.for_data_dir(tmp_path)
    write_raw(paths, f'{{"version": 1, "{name}": {raw}, "kiosk_id": "hall-2"}}' if name != "kiosk_id"
              else f'{{"version": 1, "{name}": {raw}, "slide_seconds": 7}}')
    loaded = load_settings(paths, environ={})
    assert getattr(loaded, name) == getattr(Settings(), name)
    assert loaded.validate() == []
    assert any(name in r.getMessage() for r in caplog.records)
    # the rest of the file still counts
    assert loaded.kiosk_id == "hall-2" if name != "kiosk_id" else loaded.slide_seconds == 7


@pytest.mark.expect_log("is not valid; ignoring it")
def test_an_environment_override_out_of_range_falls_back_to_the_file(tmp_path):
    paths = Paths.for_data_dir(tmp_path)
    write_raw(paths, '{"version": 1, "model_timeout": 20}')
    assert load_settings(paths, environ={"CXKIOSK_MODEL_TIMEOUT": "inf"}).model_timeout == 20.0


def test_validate_names_each_bad_field_once():
    bad = Settings(model_timeout=float("nan"), calls_per_day=-3, privacy="all", consent_text="x" * 5000)
    problems = bad.validate()
    assert len(problems) == 4
    for name in ("model_timeout", "calls_per_day", "privacy", "consent_text"):
        assert sum(p.startswith(name) for p in problems) == 1


@pytest.mark.expect_log("unreadable")
@pytest.mark.parametrize("text", ['{"version": 1, "kiosk_id": "hall-2", "db": ', "[1, 2]",
                                  "\x00\xff garbage"])
def test_saving_never_writes_over_a_file_it_could_not_read(tmp_path, text):
    paths = Paths.for_data_dir(tmp_path)
    write_raw(paths, text)
    loaded = load_settings(paths, environ={})
    assert loaded == Settings()  # the defaults run meanwhile
    new = Settings(**{**vars(loaded), "qr_call_to_action": "Tap here"})
    assert save_settings(paths, new, old=loaded) == ["qr_call_to_action"]
    kept = list(tmp_path.glob("settings.json.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == text  # nothing lost
    saved = json.loads(paths.settings_file.read_text(encoding="utf-8"))
    assert saved == {"version": 1, "qr_call_to_action": "Tap here"}  # only what the operator set


def test_a_save_keeps_the_files_other_settings_and_does_not_persist_overrides(tmp_path):
    paths = Paths.for_data_dir(tmp_path)
    write_raw(paths, '{"version": 1, "kiosk_id": "hall-2", "source": "camera:1", "future_key": 5}')
    loaded = load_settings(paths, environ={"CXKIOSK_PRIVACY": "full"})
    loaded.source = "file:/tmp/demo.mp4"  # as a --source flag does
    new = Settings(**{**vars(loaded), "show_reasons": True})
    new.source = loaded.source
    save_settings(paths, new, old=loaded)
    saved = json.loads(paths.settings_file.read_text(encoding="utf-8"))
    assert saved == {"version": 1, "kiosk_id": "hall-2", "source": "camera:1", "future_key": 5,
                     "show_reasons": True}


def test_a_bad_value_is_refused_at_save_and_the_file_is_unchanged(tmp_path):
    paths = Paths.for_data_dir(tmp_path)
    write_raw(paths, '{"version": 1, "kiosk_id": "hall-2"}')
    loaded = load_settings(paths, environ={})
    with pytest.raises(ValueError, match="model_timeout"):
        save_settings(paths, Settings(**{**vars(loaded), "model_timeout": 1e9}), old=loaded)
    assert paths.settings_file.read_text(encoding="utf-8") == '{"version": 1, "kiosk_id": "hall-2"}'


def test_a_read_only_data_folder_fails_the_save_cleanly(tmp_path):
    import os

    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    paths = Paths.for_data_dir(tmp_path)
    write_raw(paths, '{"version": 1}')
    paths.data.chmod(0o500)
    try:
        with pytest.raises(OSError):
            save_settings(paths, Settings(kiosk_id="x"), old=Settings())
        assert paths.settings_file.read_text(encoding="utf-8") == '{"version": 1}'
        assert [p.name for p in paths.data.iterdir()] == ["settings.json"]  # no temp file left
    finally:
        paths.data.chmod(0o700)
