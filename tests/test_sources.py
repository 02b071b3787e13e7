"""Frame sources: specs, video replay, image folders, camera reopen/backoff, thermal serial."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
import serial

from cxkiosk.sensing.sources import SourceError, open_source, parse_spec
from cxkiosk.sensing.sources.camera import Backoff, CameraSource, backends_for
from cxkiosk.sensing.sources.images import ImageFolderSource
from cxkiosk.sensing.sources.thermal import ThermalSource, count_people, parse_line, render_heatmap
from cxkiosk.sensing.sources.video import VideoFileSource

DATA = Path(__file__).parent / "data"


class Clock:
    def __init__(self, t: float = 100.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def numbered_video(path: Path, frames: int = 20, fps: int = 10) -> Path:
    """Frame i is a flat grey of brightness 10*i, so a test can tell which frame it got."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (64, 48))
    for i in range(frames):
        writer.write(np.full((48, 64, 3), 10 * i, np.uint8))
    writer.release()
    return path


def index_of(frame) -> int:
    return round(float(frame.image.mean()) / 10)


# --- specs -------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", ["webcam", "camera:", "file", "thermal", "ftp://x"])
def test_unknown_spec_is_one_clear_message(spec):
    with pytest.raises(SourceError, match="camera:N.*file:PATH.*none"):
        parse_spec(spec)


def test_none_and_auto():
    source = open_source("none")
    assert source.kind == "none" and source.read() is None and "off" in source.status
    assert parse_spec("auto") == ("camera", "0")
    assert parse_spec("thermal:loop://@9600") == ("thermal", "loop://@9600")


def test_missing_file_and_folder_are_clear_errors(tmp_path):
    with pytest.raises(SourceError, match="not found"):
        open_source(f"file:{tmp_path / 'nope.mp4'}")
    (tmp_path / "junk.mp4").write_bytes(b"not a video")
    with pytest.raises(SourceError, match="cannot read video"):
        open_source(f"file:{tmp_path / 'junk.mp4'}")
    with pytest.raises(SourceError, match="no images"):
        open_source(f"images:{tmp_path}")


# --- file: ---------------------------------------------------------------------------------------

def test_video_replays_at_its_frame_rate_dropping_missed_frames_and_loops(tmp_path):
    clock = Clock()
    source = open_source(f"file:{numbered_video(tmp_path / 'n.avi')}")
    source.close()
    source = VideoFileSource(tmp_path / "n.avi", clock=clock)
    assert source.kind == "file" and source.fps == pytest.approx(10)
    assert index_of(source.read()) == 0
    assert source.read() is None  # nothing new until the next frame is due
    clock.t += 0.1
    assert index_of(source.read()) == 1
    clock.t += 0.55  # a slow consumer missed frames 2..6: it gets the one due now, like a camera
    assert index_of(source.read()) == 6
    clock.t += 1.5  # past the end (20 frames = 2 s): the clip loops
    assert index_of(source.read()) == 1
    source.close()


def test_video_in_media_time_gives_every_frame_once(tmp_path):
    source = VideoFileSource(numbered_video(tmp_path / "n.avi", frames=12), realtime=False, loop=False)
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
    assert [index_of(f) for f in frames] == list(range(12))
    assert frames[-1].timestamp - frames[0].timestamp == pytest.approx(1.1)
    assert "ended" in source.status
    source.close()


# --- images: -------------------------------------------------------------------------------------

def test_image_folder_shows_each_image_in_turn_and_skips_broken_ones(tmp_path):
    cv2.imwrite(str(tmp_path / "a.png"), np.full((30, 40, 3), 50, np.uint8))
    (tmp_path / "b.jpg").write_bytes(b"\xff\xd8 broken")
    cv2.imwrite(str(tmp_path / "c.png"), np.full((30, 40, 3), 200, np.uint8))
    (tmp_path / "notes.txt").write_text("not an image")
    clock = Clock()
    source = ImageFolderSource(tmp_path, seconds=2.0, clock=clock)
    first = source.read()
    assert first.image.mean() == pytest.approx(50)
    assert source.read() is None
    clock.t += 2.0
    second = source.read()
    assert second.image.mean() == pytest.approx(200)
    assert "b.jpg" in source.status
    clock.t += 2.0
    assert source.read().image.mean() == pytest.approx(50)  # back to the start


# --- camera: -------------------------------------------------------------------------------------

class FakeDevice:
    """A webcam that can be plugged and unplugged."""

    def __init__(self, plugged: bool) -> None:
        self.plugged = plugged
        self.opens = 0
        self.reads = 0
        self.asked: dict[int, float] = {}


class FakeCapture:
    def __init__(self, device: FakeDevice) -> None:
        self.device = device
        device.opens += 1
        self.open = device.plugged

    def isOpened(self) -> bool:  # noqa: N802 - cv2.VideoCapture's name
        return self.open

    def set(self, prop: int, value: float) -> bool:
        self.device.asked[prop] = value
        return True

    def get(self, prop: int) -> float:
        return {cv2.CAP_PROP_FRAME_WIDTH: 640, cv2.CAP_PROP_FRAME_HEIGHT: 480}.get(prop, 0)

    def read(self):
        if not (self.open and self.device.plugged):
            return False, None
        self.device.reads += 1
        return True, np.zeros((480, 640, 3), np.uint8)

    def release(self) -> None:
        self.open = False


def camera(device: FakeDevice, clock: Clock) -> CameraSource:
    return CameraSource("0", width=1280, height=720, factory=lambda dev, api: FakeCapture(device),
                        clock=clock, backoff=Backoff(1.0, 8.0), platform="linux")


def test_camera_opens_with_resolution_and_warm_up_reads():
    device, clock = FakeDevice(plugged=True), Clock()
    source = camera(device, clock)
    assert device.asked == {cv2.CAP_PROP_FRAME_WIDTH: 1280, cv2.CAP_PROP_FRAME_HEIGHT: 720}
    assert device.reads == 3  # warm-up once, at open
    assert source.status == "camera 0 open 640x480"
    assert source.read().image.shape == (480, 640, 3)
    assert device.reads == 4


@pytest.mark.expect_log(r'camera \d+ (unplugged|not found)')
def test_camera_absent_at_start_retries_with_growing_delays_without_spinning():
    device, clock = FakeDevice(plugged=False), Clock()
    source = camera(device, clock)
    assert device.opens == 1 and "not found, retrying in 1 s" in source.status
    for _ in range(100):  # a capture loop polling while the camera is gone
        assert source.read() is None
    assert device.opens == 1  # no reopen before the delay is up
    clock.t += 1.0
    source.read()
    assert device.opens == 2 and "retrying in 2 s" in source.status
    clock.t += 2.0
    source.read()
    clock.t += 4.0
    source.read()
    clock.t += 8.0
    source.read()
    clock.t += 8.0  # capped
    source.read()
    assert device.opens == 6 and "retrying in 8 s" in source.status


@pytest.mark.expect_log(r'camera \d+ (unplugged|not found)')
def test_camera_unplugged_then_back_resumes():
    device, clock = FakeDevice(plugged=True), Clock()
    source = camera(device, clock)
    assert source.read() is not None
    device.plugged = False
    assert [source.read() for _ in range(3)] == [None, None, None]
    assert source.status == "camera 0 unplugged, retrying in 1 s"
    device.plugged = True
    assert source.read() is None  # still waiting out the delay
    clock.t += 1.0
    assert source.read() is not None
    assert source.status == "camera 0 open 640x480"
    source.close()
    assert source.read() is None and "closed" in source.status


def test_camera_backends_per_os():
    assert backends_for("win32") == [cv2.CAP_MSMF, cv2.CAP_DSHOW]
    assert backends_for("darwin") == [cv2.CAP_AVFOUNDATION]
    assert backends_for("linux") == [cv2.CAP_V4L2]


def test_camera_by_name_on_windows_uses_directshow():
    seen = []
    CameraSource("Logitech BRIO", factory=lambda dev, api: seen.append((dev, api)) or FakeCapture(
        FakeDevice(True)), platform="win32").close()
    assert seen == [("video=Logitech BRIO", cv2.CAP_DSHOW)]


# --- thermal: ------------------------------------------------------------------------------------

def grid(*spots: tuple[int, int], base: float = 22.0, warm: float = 30.0) -> np.ndarray:
    temps = np.full((8, 8), base, np.float32)
    for r, c in spots:
        temps[r:r + 2, c:c + 2] = warm
    return temps


def test_parse_line_accepts_whole_frames_only():
    line = ",".join(["22.5"] * 64)
    assert parse_line(line).shape == (8, 8)
    assert parse_line(line + ",\r\n") is not None
    assert parse_line(b"") is None
    assert parse_line(",".join(["22.5"] * 63)) is None
    assert parse_line(line.replace("22.5", "x", 1)) is None
    assert parse_line(line.replace("22.5", "900", 1)) is None  # a sensor cannot read 900 C
    assert parse_line(line.replace("22.5", "nan", 1)) is None


@pytest.mark.parametrize("spots, expected", [((), 0), (((3, 3),), 1), (((1, 0), (4, 6)), 2),
                                             (((0, 0), (6, 3), (0, 6)), 3)])
def test_count_people_finds_warm_blobs(spots, expected):
    people = count_people(grid(*spots) + np.random.default_rng(1).normal(0, 0.2, (8, 8)))
    assert len(people) == expected
    for (r, c), (x, y) in zip(sorted(spots, key=lambda s: s[1]), people, strict=True):
        assert abs(x - (c + 1) / 8) < 0.1 and abs(y - (r + 1) / 8) < 0.1


def test_a_one_pixel_flicker_is_noise_but_a_distant_warm_body_counts():
    temps = grid()
    temps[4, 4] = 24.0  # +2 C on one pixel: sensor noise
    assert count_people(temps) == []
    temps[4, 4] = 28.0  # +6 C on one pixel: someone a few metres away
    assert len(count_people(temps)) == 1


def test_heatmap_is_an_upscaled_false_colour_image_brighter_where_warm():
    image = render_heatmap(grid((0, 0)))
    assert image.shape == (320, 320, 3) and image.dtype == np.uint8
    assert image[:40, :40].mean() > image[-80:, -80:].mean() + 100


def test_thermal_stream_through_a_pty_counts_people_and_tolerates_bad_lines():
    master, slave = os.openpty()
    try:
        source = open_source(f"thermal:{os.ttyname(slave)}@115200")
        assert source.kind == "thermal" and "open at 115200" in source.status
        os.write(master, (DATA / "thermal_stream.txt").read_bytes())
        counts = []
        for _ in range(200):
            frame = source.read()
            if frame is not None:
                counts.append(len(count_people(frame.temperatures)))
                assert frame.image.shape == (320, 320, 3)
                if counts[-1] == 2:
                    break
        assert counts[-1] == 2  # the newest frame wins; bad lines were skipped, not fatal
        assert "bad lines skipped" in source.status
        source.close()
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.expect_log('read failed')
def test_thermal_loop_url_and_reconnect_after_unplug():
    clock = Clock()
    ports = []

    def opener(url, **kw):
        port = serial.serial_for_url("loop://", **kw)
        ports.append(port)
        return port

    source = ThermalSource("loop://", opener=opener, clock=clock)
    ports[-1].write(b"\n\ngarbage\n" + ",".join(f"{v:.1f}" for v in grid((2, 2)).flat).encode() + b"\n")
    frame = source.read()
    assert len(count_people(frame.temperatures)) == 1
    ports[-1].close()  # unplugged: the next read fails
    assert source.read() is None and "unplugged" in source.status
    assert source.read() is None and len(ports) == 1  # waits before reopening
    clock.t += 1.0
    source.read()
    assert len(ports) == 2 and "open" in source.status
    source.close()


def test_thermal_bad_port_is_a_clear_error():
    with pytest.raises(SourceError, match="cannot open thermal sensor on /dev/nonexistent-tty"):
        open_source("thermal:/dev/nonexistent-tty")
    with pytest.raises(SourceError, match="baud"):
        open_source("thermal:COM3@fast")
