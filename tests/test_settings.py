"""Settings: what needs a restart is declared beside each setting; bounds; env overrides."""

from __future__ import annotations

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
