"""Settings: typed defaults in code, one JSON file in the data folder, env overrides.

The file never holds a secret: the model API key lives in the OS keyring (see `secrets.py`).
Settings carry a version; `_UPGRADES` turns an older file into the current shape.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

log = logging.getLogger("cxkiosk.config")

APP_NAME = "cxkiosk"
SETTINGS_VERSION = 1
PRIVACY_MODES = ("full", "local", "thermal", "off")


def restart(default: Any, what: str) -> Any:
    """A setting the running kiosk reads only at start-up (a device is opened, the classifier
    built); `what` is how the admin panel names it when it asks for a restart."""
    return field(default=default, metadata={"restart": what})


def needs_restart(name: str) -> str:
    """What to call this setting when changing it needs a restart; "" when it applies live."""
    return next((f.metadata.get("restart", "") for f in fields(Settings) if f.name == name), "")


def changed_settings(old: Settings, new: Settings) -> list[str]:
    return [f.name for f in fields(Settings) if getattr(new, f.name) != getattr(old, f.name)]


@dataclass
class Settings:
    version: int = SETTINGS_VERSION
    # Where things are; "" means the default inside the data folder.
    db: str = restart("", "database")  # a path, sqlite:///path or postgresql://user@host/db
    # Sensing
    # auto | camera:N | camera:NAME | file:PATH | images:DIR | thermal:PORT | none
    source: str = restart("auto", "camera source")
    camera_width: int = restart(1280, "resolution")
    camera_height: int = restart(720, "resolution")
    # smallest face worth seeing, camera pixels (sets the search resolution)
    face_min_px: int = restart(40, "face detection")
    face_threshold: float = restart(0.6, "face detection")  # face detector score needed, 0.3..0.95
    # a head turned at most this far from the camera counts as watching
    facing_degrees: float = restart(30.0, "face detection")
    # full | local | thermal | off (nothing leaves the machine by default)
    privacy: str = restart("local", "privacy mode")
    # ethnicity/emotion: see the README before turning on
    sensitive_attributes: bool = restart(False, "sensitive attributes")
    consent_text: str = ("This screen notices who is in front of it to choose what to show. "
                         "No images are stored; only anonymous counts and coarse attributes.")
    # Model provider (the key is in the keyring, never here)
    provider: str = restart("openai", "provider")  # openai | ollama | llamacpp | vllm | lmstudio | custom
    base_url: str = restart("", "base URL")  # "" = the preset's
    model: str = restart("", "model")  # "" = the preset's
    structured_output: bool = restart(True, "structured output")
    model_timeout: float = restart(10.0, "timeout")
    calls_per_hour: int = restart(120, "call caps")
    calls_per_day: int = restart(1000, "call caps")
    refresh_seconds: float = 0.0  # re-profile a standing visitor this often; 0 = never
    # Billboard
    slide_seconds: float = 10.0
    unhealthy_minutes: float = 30.0  # a failed item is skipped this long
    item_cap_per_hour: int = 4  # targeted choice rests an item played this often in the last hour
    qr_enabled: bool = True
    qr_call_to_action: str = "Scan or tap your phone here"
    show_reasons: bool = False  # demo: show why an item was chosen
    # Link push
    # nfcpy path: usb, usb:054c:06c3, tty:USB0:pn532, udp:HOST:PORT, none
    nfc_device: str = restart("usb", "NFC device")
    nfc_mode: str = restart("write", "NFC mode")  # write | emulate
    utm_tags: bool = False
    kiosk_id: str = "kiosk"
    # Admin panel PIN, stored as a salted hash (never the PIN)
    admin_pin_hash: str = ""

    def validate(self) -> list[str]:
        """Human-readable problems; an empty list means the settings can run."""
        problems = []
        if self.privacy not in PRIVACY_MODES:
            problems.append(f"privacy must be one of {', '.join(PRIVACY_MODES)}, not {self.privacy!r}")
        if self.nfc_mode not in ("write", "emulate"):
            problems.append(f"nfc_mode must be write or emulate, not {self.nfc_mode!r}")
        if self.model_timeout <= 0:
            problems.append("model_timeout must be positive")
        if not 12 <= self.face_min_px <= 400:
            problems.append(f"face_min_px must be 12..400 pixels, not {self.face_min_px}")
        if not 0.3 <= self.face_threshold <= 0.95:
            problems.append(f"face_threshold must be 0.3..0.95, not {self.face_threshold}")
        if not 5 <= self.facing_degrees <= 80:
            problems.append(f"facing_degrees must be 5..80, not {self.facing_degrees}")
        return problems


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

    @property
    def settings_file(self) -> Path:
        return self.data / "settings.json"

    @property
    def default_db(self) -> Path:
        return self.data / "content.db"


def _coerce(name: str, raw: Any, default: Any) -> Any:
    """Convert a value read from JSON or the environment to the type of the default."""
    if isinstance(default, bool):
        if isinstance(raw, str):
            if raw.strip().lower() in ("1", "true", "yes", "on"):
                return True
            if raw.strip().lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"{name}: expected true/false, got {raw!r}")
        return bool(raw)
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return str(raw)


def load_settings(paths: Paths, environ: dict[str, str] | None = None) -> Settings:
    """Read settings.json (upgrading it), then apply CXKIOSK_<NAME> environment overrides.

    A missing file gives the defaults; an unreadable one is logged and replaced by defaults in
    memory (the file is left as it is for the operator to inspect).
    """
    data: dict[str, Any] = {}
    try:
        data = json.loads(paths.settings_file.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except FileNotFoundError:
        data = {}
    except (OSError, ValueError) as exc:
        log.error("settings file %s unreadable (%s); using defaults", paths.settings_file, exc)
        data = {}
    version = data.get("version", 0 if data else SETTINGS_VERSION)
    while isinstance(version, int) and version in _UPGRADES:
        data = _UPGRADES[version](dict(data))
        version += 1
        data["version"] = version
    settings = Settings()
    defaults = asdict(settings)
    env = os.environ if environ is None else environ
    for f in fields(Settings):
        if f.name == "version":
            continue
        # The environment wins over the file, the file over the default; a value that does not
        # parse is named once and the next one down is used, so a typo loses nothing.
        candidates = [("CXKIOSK_" + f.name.upper(), env.get(f"CXKIOSK_{f.name.upper()}")),
                      (f.name, data.get(f.name))]
        for where, raw in candidates:
            if raw is None:
                continue
            try:
                setattr(settings, f.name, _coerce(f.name, raw, defaults[f.name]))
                break
            except (TypeError, ValueError):
                log.warning("setting %s=%r is not valid; ignoring it", where, raw)
    return settings


def save_settings(paths: Paths, settings: Settings) -> None:
    """Write atomically (temp file + replace) so a power cut never leaves half a file."""
    paths.create()
    text = json.dumps(asdict(settings), indent=2, sort_keys=True)
    fd, tmp = tempfile.mkstemp(dir=paths.data, prefix=".settings-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, paths.settings_file)
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


PRIVACY_NOTES = {
    "full": "camera on; a cropped image goes to the profiling service",
    "local": "camera on; nothing leaves this screen",
    "thermal": "infrared sensor only; no camera image",
}


def consent_notice(settings: Settings) -> str:
    """The operator's consent text and, always, what the sensing mode means for the visitor."""
    return f"{settings.consent_text}  [{PRIVACY_NOTES.get(settings.privacy, settings.privacy)}]"
