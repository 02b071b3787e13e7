"""Settings: typed defaults in code, one JSON file in the data folder, env overrides.

The file never holds a secret: the model API key lives in the OS keyring (see `secrets.py`).
Settings carry a version; `_UPGRADES` turns an older file into the current shape.
"""

from __future__ import annotations

import json
import logging
import math
import os
import stat
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import platformdirs

from cxkiosk.links import origin_problem, showroom_page_problem

log = logging.getLogger("cxkiosk.config")

APP_NAME = "cxkiosk"
SETTINGS_VERSION = 1
PRIVACY_MODES = ("full", "local", "thermal", "off")


def setting(default: Any, *, restart: str = "", bounds: tuple[float, float] | None = None,
            choices: tuple[str, ...] = (), max_len: int = 0,
            check: Callable[[Any], str] | None = None) -> Any:
    """A setting with what the code must know about it, declared beside it.

    `restart`: the running kiosk reads it only at start-up (a device is opened, the classifier
    built); the admin panel names it so when it asks for a restart. `bounds`, `choices` and
    `max_len`: what a valid value is, checked at load and at save (`problem`). `check`: why a
    value is not valid ("" when it is), for a rule that lives in its own policy (links.py).
    """
    return field(default=default, metadata={"restart": restart, "bounds": bounds, "choices": choices,
                                            "max_len": max_len, "check": check})


def restart(default: Any, what: str, **limits: Any) -> Any:
    return setting(default, restart=what, **limits)


def needs_restart(name: str) -> str:
    """What to call this setting when changing it needs a restart; "" when it applies live."""
    return next((f.metadata.get("restart", "") for f in fields(Settings) if f.name == name), "")


def bounds(name: str) -> tuple[float, float]:
    """A numeric setting's valid range, for a field that offers only valid values."""
    found = _field(name).metadata.get("bounds")
    if found is None:
        raise ValueError(f"setting {name} has no bounds")
    return found


def changed_settings(old: Settings, new: Settings) -> list[str]:
    return [f.name for f in fields(Settings) if getattr(new, f.name) != getattr(old, f.name)]


@dataclass
class Settings:
    version: int = SETTINGS_VERSION
    # Where things are; "" means the default inside the data folder.
    db: str = restart("", "database", max_len=1000)  # a path, sqlite:///path or postgresql://user@host/db
    # Sensing
    # auto | camera:N | camera:NAME | file:PATH | images:DIR | thermal:PORT | none
    source: str = restart("auto", "camera source", max_len=1000)
    camera_width: int = restart(1280, "resolution", bounds=(160, 7680))
    camera_height: int = restart(720, "resolution", bounds=(120, 4320))
    # smallest face worth seeing, camera pixels (sets the search resolution)
    face_min_px: int = restart(40, "face detection", bounds=(12, 400))
    # face detector score needed
    face_threshold: float = restart(0.6, "face detection", bounds=(0.3, 0.95))
    # a head turned at most this far from the camera counts as watching
    facing_degrees: float = restart(30.0, "face detection", bounds=(5, 80))
    # nothing leaves the machine by default
    privacy: str = restart("local", "privacy mode", choices=PRIVACY_MODES)
    # ethnicity/emotion: see the README before turning on
    sensitive_attributes: bool = restart(False, "sensitive attributes")
    # the consent notice's wording, with {fields} (cxkiosk/consent.py); "" = the built-in template
    consent_text: str = setting("", max_len=600)
    # Model provider (the key is in the keyring, never here)
    # openai | ollama | llamacpp | vllm | lmstudio | custom (checked by profiling.providers)
    provider: str = restart("openai", "provider", max_len=40)
    base_url: str = restart("", "base URL", max_len=1000)  # "" = the preset's
    model: str = restart("", "model", max_len=200)  # "" = the preset's
    structured_output: bool = restart(True, "structured output")
    model_timeout: float = restart(10.0, "timeout", bounds=(1, 120))  # seconds for a whole call
    calls_per_hour: int = restart(120, "call caps", bounds=(0, 3600))
    calls_per_day: int = restart(1000, "call caps", bounds=(0, 86400))
    refresh_seconds: float = setting(0.0, bounds=(0, 3600))  # re-profile a standing visitor; 0 = never
    # Billboard
    slide_seconds: float = setting(10.0, bounds=(1, 3600))
    unhealthy_minutes: float = setting(30.0, bounds=(0, 1440))  # a failed item is skipped this long
    # a headline written for the visitors over a targeted item (when a model is in use)
    captions: bool = restart(True, "captions")
    caption_language: str = restart("en", "captions", choices=("en", "ja"))
    caption_banned: str = restart("", "captions", max_len=2000)  # comma-separated words never shown
    # share of visits shown the idle loop instead of their targeted item, to measure targeting
    holdout_share: float = restart(0.1, "holdout share", bounds=(0, 0.5))
    # targeted choice rests an item played this often in the last hour
    item_cap_per_hour: int = setting(4, bounds=(1, 60))
    qr_enabled: bool = True
    # the QR card's text with no NFC reader working (see qr_call_to_action_nfc)
    qr_call_to_action: str = setting("Scan with your phone camera", max_len=80)
    show_reasons: bool = False  # demo: show why an item was chosen
    # Link push
    # nfcpy path: usb, usb:054c:06c3, tty:USB0:pn532, udp:HOST:PORT, none
    nfc_device: str = restart("usb", "NFC device", max_len=200)
    nfc_mode: str = restart("write", "NFC mode", choices=("write", "emulate"))
    utm_tags: bool = False
    kiosk_id: str = setting("kiosk", max_len=40)
    # Plain-http links allowed for these hosts only (comma-separated; an intranet CMS): every
    # other link pushed to a phone must be https.
    http_hosts: str = setting("", max_len=500)
    # Admin panel PIN, stored as a salted hash (never the PIN)
    admin_pin_hash: str = setting("", max_len=200)
    # YouTube on site (item health and the embedder check)
    # the https origin the YouTube player page poses as (its address, the IFrame API's `origin`
    # and the Referer YouTube sees); a showroom may use its own domain where YouTube answers 153
    youtube_origin: str = restart("https://cxkiosk.localhost", "YouTube origin", max_len=200,
                                  check=origin_problem)
    # First-run set-up (ui/setup/; whether it is done is a marker file, see first_run.py)
    # what people call this screen (window title, logs); kiosk_id is what links carry
    kiosk_name: str = restart("", "kiosk name", max_len=60)
    # --- Fleet (a postgresql:// `db`): how often the kiosk copies content, sends its rows and
    # writes its heartbeat; content edited anywhere plays everywhere within this.
    fleet_sync_seconds: float = restart(15.0, "fleet", bounds=(2, 3600))
    # --- Log retention (issue #15, operator tools) ---
    # days proof of play, visits and taps are kept; older rows are deleted at start and daily,
    # 0 keeps them forever. A year: the report's comparisons and a campaign's proof of play.
    retention_days: int = setting(365, bounds=(0, 3650))
    # --- Overlays that tell the truth (issue #15): the consent notice and the QR card ---
    # who is responsible for the sensing (the GDPR controller), named on the consent notice
    consent_controller: str = setting("", max_len=120)
    # https link to the full privacy notice: on the consent notice, as text and a small QR code
    privacy_link: str = setting("", max_len=500)
    # the QR card's text while an NFC reader works (an older settings.json's qr_call_to_action
    # stays the text without one)
    qr_call_to_action_nfc: str = setting("Scan or tap your phone here", max_len=80)
    # Shipped content: the showroom's own web page (https). Items whose link is a path such as
    # "/offers" open that path on it; while it is empty they play with no QR code or tag.
    showroom_page: str = setting("", max_len=500, check=showroom_page_problem)
    # --- Unattended operation (issue #16): start at login, daily restart ---
    # `supervise` starts at login (`autostart on|off` and the admin panel write the OS entry and this)
    start_at_login: bool = setting(False)
    # local hour (0-23) the kiosk quits for a fresh start by `supervise`; -1 = never
    daily_restart_hour: int = restart(-1, "daily restart", bounds=(-1, 23))
    # --- Unattended operation (issue #16): the web view over days ---
    # hours a web player's page (the YouTube player lives across items) runs before it is
    # replaced by a fresh one, between items, so its memory does not grow for days
    web_reload_hours: float = restart(6.0, "web reload", bounds=(0.05, 168))
    # seconds between log lines on how late the GUI thread answers (a screen that freezes);
    # 0 = not measured (it costs a wake-up every 20 ms; the soak benchmark turns it on)
    stall_report_seconds: float = restart(0.0, "stall watch", bounds=(0, 86400))

    def validate(self) -> list[str]:
        """Human-readable problems, one per field; an empty list means the settings can run."""
        return [msg for f in fields(Settings) if (msg := problem(f.name, getattr(self, f.name)))]


def _field(name: str) -> Any:
    return next(f for f in fields(Settings) if f.name == name)


def problem(name: str, value: Any) -> str:
    """Why `value` is not valid for setting `name` ("" when it is): type, finite, bounds, choices."""
    f = _field(name)
    kind = type(f.default)
    meta = f.metadata
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok = isinstance(value, str)
    if not ok:
        return f"{name} must be {_KIND_NAMES[kind]}, not {value!r}"
    if kind in (int, float) and not math.isfinite(value):
        return f"{name} must be a finite number, not {value!r}"
    bounds = meta.get("bounds")
    if bounds and not bounds[0] <= value <= bounds[1]:
        low, high = (_number(b) for b in bounds)
        return f"{name} must be {low}..{high}, not {_number(value)}"
    choices = meta.get("choices")
    if choices and value not in choices:
        return f"{name} must be one of {', '.join(choices)}, not {value!r}"
    limit = meta.get("max_len") or 0
    if kind is str:
        if limit and len(value) > limit:
            return f"{name} must be at most {limit} characters, not {len(value)}"
        if any(unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t" for c in value):
            return f"{name} must not contain control or invisible characters"
    check = meta.get("check")
    if check is not None and (reason := check(value)):
        return f"{name} {reason}, not {value!r}"
    return ""


_KIND_NAMES = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _upgrade_0_to_1(data: dict[str, Any]) -> dict[str, Any]:
    # Version 0 was the seed experiment's flat file: only 'camera' and 'api_url' keys.
    if "camera" in data:
        data["source"] = f"camera:{data.pop('camera')}"
    if "api_url" in data:
        data["base_url"] = data.pop("api_url")
    return data


_UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _upgrade_0_to_1}


@dataclass(frozen=True)
class Paths:
    """Every folder the kiosk writes to; `--data-dir` puts them all under one folder."""

    data: Path
    logs: Path

    @classmethod
    def for_data_dir(cls, data_dir: str | os.PathLike[str] | None = None) -> Paths:
        if data_dir:
            base = Path(data_dir).expanduser().resolve()
            return cls(data=base, logs=base / "logs")
        return cls(data=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
                   logs=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)))

    def create(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        self.media.mkdir(exist_ok=True)

    @property
    def media(self) -> Path:
        """Where the operator puts local videos and slides (item paths are relative to it)."""
        return self.data / "media"

    @property
    def settings_file(self) -> Path:
        return self.data / "settings.json"

    @property
    def default_db(self) -> Path:
        return self.data / "content.db"


def _coerce(raw: Any, default: Any) -> Any:
    """A value read from JSON or the environment as the type of the default (ValueError if it is
    not one); bounds are `problem`'s."""
    if isinstance(raw, (dict, list)):
        raise ValueError("not a single value")
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValueError("expected true/false")
    if isinstance(default, int):
        if isinstance(raw, bool):
            raise ValueError("expected a whole number")
        try:
            number = float(raw)
        except ValueError:
            raise ValueError("expected a whole number") from None
        if not number.is_integer():
            raise ValueError("expected a whole number")
        return int(number)
    if isinstance(default, float):
        if isinstance(raw, bool):
            raise ValueError("expected a number")
        try:
            return float(raw)
        except ValueError:
            raise ValueError("expected a number") from None
    if not isinstance(raw, str):
        raise ValueError("expected text")
    return raw


def read_settings_file(paths: Paths) -> tuple[dict[str, Any], str]:
    """What settings.json holds (upgraded to the current version), and "" or why it could not
    be read. A missing file is an empty one."""
    try:
        data = json.loads(read_small_file(paths.settings_file))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except FileNotFoundError:
        return {}, ""
    except (OSError, ValueError, RecursionError) as exc:
        return {}, str(exc) or type(exc).__name__
    version = data.get("version", 0 if data else SETTINGS_VERSION)
    while isinstance(version, int) and version in _UPGRADES:
        data = _UPGRADES[version](dict(data))
        version += 1
        data["version"] = version
    return data, ""


def file_problems(paths: Paths) -> list[str]:
    """What is wrong in settings.json itself (unreadable, values that are ignored), named for
    `check`: the kiosk runs on the defaults for those meanwhile."""
    data, unreadable = read_settings_file(paths)
    if unreadable:
        return [f"{paths.settings_file} unreadable ({unreadable}); the defaults run"]
    found = []
    defaults = asdict(Settings())
    for f in fields(Settings):
        if f.name == "version" or f.name not in data:
            continue
        try:
            reason = problem(f.name, _coerce(data[f.name], defaults[f.name]))
        except (TypeError, ValueError, OverflowError) as exc:
            reason = f"{f.name}: {exc}"
        if reason:
            found.append(f"{reason} (ignored; the default runs)")
    return found


def load_settings(paths: Paths, environ: dict[str, str] | None = None) -> Settings:
    """Read settings.json (upgrading it), then apply CXKIOSK_<NAME> environment overrides.

    Every value is checked (type, finite, bounds, choices); one that is not valid is named in the
    log and the next one down is used: the environment wins over the file, the file over the
    default. An unreadable file is logged and left as it is; the defaults run meanwhile, and
    `save_settings` keeps the file aside rather than writing over it.
    """
    data, unreadable = read_settings_file(paths)
    if unreadable:
        log.error("settings file %s unreadable (%s); using the defaults until it is fixed",
                  paths.settings_file, unreadable)
    settings = Settings()
    defaults = asdict(settings)
    env = os.environ if environ is None else environ
    for f in fields(Settings):
        if f.name == "version":
            continue
        candidates = [("CXKIOSK_" + f.name.upper(), env.get(f"CXKIOSK_{f.name.upper()}")),
                      (f.name, data.get(f.name))]
        for where, raw in candidates:
            if raw is None:
                continue
            try:
                value = _coerce(raw, defaults[f.name])
            except (TypeError, ValueError, OverflowError) as exc:
                log.warning("setting %s=%.80r is not valid; ignoring it (%s)", where, raw, exc)
                continue
            if reason := problem(f.name, value):
                log.warning("setting %s is not valid; ignoring it (%s)", where, reason)
                continue
            setattr(settings, f.name, value)
            break
    return settings


def save_settings(paths: Paths, settings: Settings, old: Settings | None = None) -> list[str]:
    """Write the settings the operator changed (those differing from `old`, the settings as they
    were loaded; all of them when `old` is None) over what settings.json holds; returns their
    names.

    Only changed values are written, so a command-line flag or an environment override in force
    is not made permanent by a save. A file that cannot be read is never written over: it is
    renamed aside (settings.json.unreadable-<time>) and the log says so. The write is atomic,
    so a power cut never leaves half a file.
    """
    changed = [f.name for f in fields(Settings)] if old is None else changed_settings(old, settings)
    for name in changed:
        if reason := problem(name, getattr(settings, name)):
            raise ValueError(reason)
    paths.create()
    data, unreadable = read_settings_file(paths)
    if unreadable:
        aside = paths.settings_file.with_name(
            f"{paths.settings_file.name}.unreadable-{datetime.now():%Y%m%d-%H%M%S}")
        os.replace(paths.settings_file, aside)
        log.error("settings file %s was unreadable (%s); kept it as %s and saved only what was "
                  "changed", paths.settings_file, unreadable, aside.name)
    data.update({name: getattr(settings, name) for name in changed})
    data["version"] = SETTINGS_VERSION
    write_atomically(paths.settings_file, json.dumps(data, indent=2, sort_keys=True) + "\n")
    return changed


SMALL_FILE_MAX = 1024 * 1024  # settings and state files are a few kB


def read_small_file(path: Path, limit: int = SMALL_FILE_MAX) -> str:
    """A settings or state file's text: only a regular file (never a FIFO or a device, which
    would hang or fill memory), at most `limit` bytes. FileNotFoundError when absent; other
    problems as OSError or ValueError with the reason."""
    if not stat.S_ISREG(os.stat(path).st_mode):  # before opening: a FIFO would block the open
        raise ValueError("not a regular file")
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit // 1024} kB")
    return data.decode("utf-8")


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to a temp file beside `path`, then replace it (never half a file)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Privacy:
    """What the privacy mode allows, decided once from the settings: every stage asks this value
    instead of comparing mode strings.

    | mode    | senses                  | local age/gender | may leave the machine        |
    | full    | camera (or a heat map)  | yes              | a crop around the people     |
    | local   | camera (or a heat map)  | yes              | nothing                      |
    | thermal | an infrared array only  | no               | the 8x8 heat map, no image   |
    | off     | nothing                 | no               | nothing                      |
    """

    mode: str = "local"
    sensitive: bool = False  # ethnicity/emotion kept (the operator turned it on)

    @classmethod
    def of(cls, settings: Settings) -> Privacy:
        mode = settings.privacy if settings.privacy in PRIVACY_MODES else "local"  # unknown: safest on
        return cls(mode, bool(settings.sensitive_attributes))

    def allows_source(self, kind: str) -> bool:
        """May a source of this kind ("camera", "file", "images", "thermal", "none") be opened?"""
        if kind == "none" or self.mode == "off":
            return False
        return kind == "thermal" if self.mode == "thermal" else True

    @property
    def estimates_locally(self) -> bool:
        """Age and gender guessed on this machine from camera pictures."""
        return self.mode in ("full", "local")

    @property
    def uses_model(self) -> bool:
        """A model profiles visitors (so the chain waits for its answer)."""
        return self.mode in ("full", "thermal")

    def refusal(self, kind: str, spec: str) -> str:
        """Why a configured source is not opened although sensing is on (e.g. a camera in
        thermal mode, where no camera picture may be taken at all); "" when nothing is refused."""
        if kind == "none" or self.mode == "off" or self.allows_source(kind):
            return ""
        return f"privacy mode {self.mode} uses an infrared sensor only; {spec} is not opened"

    def may_send(self, kind: str) -> bool:
        """May a picture from a source of this kind go to the model?"""
        return self.uses_model and self.allows_source(kind)
