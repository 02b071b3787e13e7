"""`thermal:PORT[@BAUD]`: an 8x8 infrared array (Grid-EYE AMG8833 class) over a serial line.

Wire format, one frame per line (what a few lines of Arduino/CircuitPython print for
`amg.pixels`): 64 temperatures in degrees Celsius, comma-separated, row by row from the top-left
pixel as the sensor sees it, ended by "\\n" (a "\\r" is ignored):

    22.5,22.75,23.0, ... ,22.25

Blank lines, boot banners, half lines and values outside -20..120 C are skipped (counted in the
status). The frame is rendered as an upscaled false-colour heatmap (the image other stages and
the model see) and people are counted locally as warm blobs above the background.
PORT is a device (/dev/ttyUSB0, COM3) or any pyserial URL (loop://, socket://host:port).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import cv2
import numpy as np
import serial

from cxkiosk.sensing.sources import Frame, SourceError
from cxkiosk.sensing.sources.camera import Backoff

log = logging.getLogger("cxkiosk.thermal")

GRID = 8
PIXELS = GRID * GRID
DEFAULT_BAUD = 115200
T_MIN, T_MAX = -20.0, 120.0
HEATMAP_SIDE = 320  # pixels of the rendered square image
MAX_BUFFER = 64 * 1024  # a stream with no newline never grows memory without bound


def parse_line(line: bytes | str) -> np.ndarray | None:
    """One line -> an 8x8 float array, or None when it is not a whole, sane frame."""
    if isinstance(line, bytes):
        line = line.decode("ascii", errors="replace")
    parts = [p for p in line.strip().rstrip(",").split(",")]
    if len(parts) != PIXELS:
        return None
    try:
        values = np.array([float(p) for p in parts], dtype=np.float32)
    except ValueError:
        return None
    if not np.isfinite(values).all() or values.min() < T_MIN or values.max() > T_MAX:
        return None
    return values.reshape(GRID, GRID)


def render_heatmap(temps: np.ndarray, side: int = HEATMAP_SIDE, low: float | None = None,
                   high: float | None = None) -> np.ndarray:
    """8x8 Celsius -> side x side BGR false colour (cold dark, warm bright), smooth upscaling."""
    temps = np.asarray(temps, dtype=np.float32)
    low = float(np.median(temps)) - 1.0 if low is None else low
    high = max(low + 4.0, float(temps.max())) if high is None else high  # noise stays dark
    scaled = np.clip((temps - low) / (high - low), 0.0, 1.0)
    big = cv2.resize(scaled, (side, side), interpolation=cv2.INTER_CUBIC)
    gray = (np.clip(big, 0.0, 1.0) * 255).astype(np.uint8)
    return cv2.applyColorMap(gray, cv2.COLORMAP_INFERNO)


def count_people(temps: np.ndarray, delta: float = 1.5, min_pixels: float = 1.0) -> list[tuple[float, float]]:
    """Warm blobs at least `delta` C above the background (the median pixel) -> centres (x, y).

    Centres are in 0..1 of the sensor's field (x right, y down). The grid is upsampled 4x before
    thresholding so two people in neighbouring pixels are not merged by the coarse 8x8 cells, and
    a blob must cover about `min_pixels` sensor pixels so a single hot pixel is noise.
    """
    temps = np.asarray(temps, dtype=np.float32)
    if temps.shape != (GRID, GRID):
        raise ValueError(f"expected an {GRID}x{GRID} array, got {temps.shape}")
    background = float(np.median(temps))
    up = 4
    big = cv2.resize(temps, (GRID * up, GRID * up), interpolation=cv2.INTER_LINEAR)
    mask = (big >= background + delta).astype(np.uint8)
    n, _labels, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    side = GRID * up
    found = []
    for i in range(1, n):
        if stats[i, cv2.CC_STAT_AREA] >= min_pixels * up * up * 0.5:
            cx, cy = centroids[i]
            found.append((round((cx + 0.5) / side, 4), round((cy + 0.5) / side, 4)))
    return sorted(found)


class ThermalSource:
    kind = "thermal"
    poll_interval = 0.02

    def __init__(self, port: str, baud: int = DEFAULT_BAUD, *,
                 opener: Callable[..., serial.SerialBase] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.port, self.baud = port, baud
        self._opener = opener or serial.serial_for_url
        self._clock = clock
        self._backoff = Backoff()
        self._buffer = b""
        self._skipped = 0
        self._frames = 0
        self._retry_at = 0.0
        self._closed = False
        try:
            self._serial: serial.SerialBase | None = self._open()
        except (serial.SerialException, OSError, ValueError) as exc:
            raise SourceError(f"cannot open thermal sensor on {port}: {exc}") from exc

    @classmethod
    def from_spec(cls, arg: str) -> ThermalSource:
        """'COM3', '/dev/ttyUSB0@9600', 'loop://', 'socket://127.0.0.1:7000@115200'."""
        port, _, baud = arg.rpartition("@") if "@" in arg else (arg, "", "")
        if baud and not baud.isdigit():
            raise SourceError(f"thermal baud rate must be a number, not {baud!r}")
        return cls(port or arg, int(baud) if baud else DEFAULT_BAUD)

    def _open(self) -> serial.SerialBase:
        # timeout=0: reads return what is there, never block the capture loop
        return self._opener(self.port, baudrate=self.baud, timeout=0)

    @property
    def status(self) -> str:
        if self._closed:
            return f"thermal {self.port} closed"
        if self._serial is None:
            wait = max(0.0, self._retry_at - self._clock())
            return f"thermal {self.port} unplugged, retrying in {wait:.0f} s"
        text = f"thermal {self.port} open at {self.baud} baud, {self._frames} frames"
        return text + (f", {self._skipped} bad lines skipped" if self._skipped else "")

    def read(self) -> Frame | None:
        if self._closed:
            return None
        if self._serial is None:
            if self._clock() < self._retry_at:
                return None
            try:
                self._serial = self._open()
                self._backoff.reset()
            except (serial.SerialException, OSError, ValueError):
                self._retry_at = self._clock() + self._backoff.next()
                return None
        try:
            waiting = self._serial.in_waiting
            chunk = self._serial.read(waiting or 1)
        except (serial.SerialException, OSError) as exc:
            log.warning("thermal %s read failed: %s", self.port, exc)
            self._drop()
            return None
        if not chunk:
            return None
        self._buffer = (self._buffer + chunk)[-MAX_BUFFER:]
        *lines, self._buffer = self._buffer.split(b"\n")
        newest = None
        for line in lines:
            if not line.strip():
                continue
            temps = parse_line(line)
            if temps is None:
                self._skipped += 1
            else:
                newest = temps  # only the latest frame matters; older ones are dropped
        if newest is None:
            return None
        self._frames += 1
        return Frame(image=render_heatmap(newest), timestamp=self._clock(), temperatures=newest)

    def _drop(self) -> None:
        ser, self._serial = self._serial, None
        self._buffer = b""
        if ser is not None:
            try:
                ser.close()
            except (serial.SerialException, OSError):
                pass
        self._retry_at = self._clock() + self._backoff.next()

    def close(self) -> None:
        self._closed = True
        ser, self._serial = self._serial, None
        if ser is not None:
            ser.close()
