"""Generates the shipped sample clips of Halden & Co. (deterministic): 1280x720, 25 FPS, 8 s.

    python3 -m venv /tmp/mediavenv && /tmp/mediavenv/bin/pip install imageio-ffmpeg pillow numpy
    /tmp/mediavenv/bin/python resources/make_media.py

Each frame is drawn here with Pillow in the shipped font (resources/slides/fonts, Montserrat,
OFL) at 1920x1080, then scaled to 1280x720 (Lanczos) by the encoder: no third-party picture or
footage. 720p, not 1080p, because the billboard converts every decoded frame to an image on
its GUI thread: on this project's 2-core test machine a 1080p clip took over 8 s to show its
first frame while another clip played (the end-to-end visitor test missed its targeted item),
a 720p one 80 ms. Upscaled to a 1080p screen, flat shapes and large type stay clean; fine
detail is softer. The clips are encoded as H.264 (High profile would
save little on flat graphics: Main profile, level 3.1, yuv420p, +faststart), which every
platform's decoder behind QtMultimedia plays (Windows Media Foundation, macOS AVFoundation,
FFmpeg on Linux). The encoder is the ffmpeg binary of the `imageio-ffmpeg` wheel, needed at
build time only: the generated files are committed, so the kiosk needs no encoder. Without it
the script falls back to OpenCV's mp4v (MPEG-4 Part 2), which FFmpeg plays but Windows and
macOS may not; it says so.

Text burned into the clips obeys the same legibility rule as the slides
(tests/test_shipped_content.py): a capital letter at least MIN_CAP_PX tall on a 1080p screen.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
FONTS = HERE / "slides" / "fonts"
W, H, FPS, SECONDS = 1920, 1080, 25, 8.0  # drawn at W x H
OUT_W, OUT_H = 1280, 720  # encoded

# Legibility at 2 m: a capital at least distance/200 = 10 mm tall; a 55" 16:9 screen is 680 mm
# tall for 1080 px, so 10 mm is 15.9 px. Every text size below (in px of a 1080p screen, which
# the 720p clip fills) is checked against it.
MIN_CAP_PX = 16

# Text sizes in px at 1080p (font size, not cap height).
SIZE_BRAND, SIZE_KICKER, SIZE_TITLE, SIZE_SUB = 30, 30, 104, 44

PALETTE = {"cream": (243, 237, 227), "navy": (29, 43, 58), "clay": (184, 88, 62), "sage": (125, 140, 106),
           "gold": (201, 154, 63), "plum": (91, 58, 88), "ink": (23, 33, 43), "sand": (228, 216, 196),
           "sky": (127, 163, 184), "charcoal": (44, 47, 52)}


@dataclass(frozen=True)
class Clip:
    name: str
    kicker: str
    title: tuple[str, str]  # a light line and a bold line
    sub: str
    background: str
    ink: str
    accent: str
    panels: tuple[str, str, str]
    pattern: str  # "pinstripe", "check", "rib", "dots"


CLIPS = [
    Clip("welcome", "Autumn / Winter 2026", ("The new season", "is in store"),
         "Tailoring, workwear and weekend clothes", "cream", "ink", "clay", ("navy", "clay", "sage"), "rib"),
    Clip("offers", "This week only", ("Two Oxford shirts", "for €79"),
         "Merino knitwear 20% off  ·  Free hemming",
         "navy", "cream", "gold", ("clay", "gold", "sand"), "check"),
    # Targeted items (not in the idle loop): what the demo switches to when a visitor walks up.
    Clip("style", "The Style Edition", ("Rust, plum", "and sage"),
         "In merino knits and wool coats",
         "sand", "ink", "plum", ("plum", "clay", "sage"), "dots"),
    Clip("executive", "Executive Line", ("Wool suits", "from €249"),
         "Crease-resistant, cut to fold",
         "charcoal", "cream", "gold", ("navy", "sky", "sand"), "pinstripe"),
    Clip("family", "Room for everyone", ("Sizes 2 to 3XL", "on one floor"),
         "Kids and grown-ups, fitted together", "cream", "ink", "sage", ("sage", "gold", "sky"), "check"),
    Clip("city", "Street Edit", ("Made for", "the city"),
         "Heavyweight cotton, relaxed fits", "clay", "cream", "ink", ("ink", "sand", "navy"), "rib"),
]


def check_layout() -> None:
    """Fail the build when a clip's text would run into its panels (they start at x=1190; the
    text at x=120). A targeted item's tagline shows over the clip, so its text says something
    else."""
    for clip in CLIPS:
        texts = ((clip.title[0], font("Light", SIZE_TITLE)), (clip.title[1], font("SemiBold", SIZE_TITLE)),
                 (clip.sub, font("Regular", SIZE_SUB)))
        for text, f in texts:
            assert f.getlength(text) <= 1190 - 120 - 40, f"{clip.name}: {text!r} is too wide"


def check_legibility() -> None:
    """Fail the build when a text size would draw capitals under MIN_CAP_PX."""
    for weight in ("Light", "Regular", "SemiBold"):
        for size in (SIZE_BRAND, SIZE_KICKER, SIZE_TITLE, SIZE_SUB):
            box = font(weight, size).getbbox("H")
            cap = box[3] - box[1]
            assert cap >= MIN_CAP_PX, f"{weight} {size}px draws capitals {cap}px tall (< {MIN_CAP_PX})"


_fonts: dict[tuple[str, int], ImageFont.FreeTypeFont] = {}


def font(weight: str, size: int) -> ImageFont.FreeTypeFont:
    key = (weight, size)
    if key not in _fonts:
        _fonts[key] = ImageFont.truetype(str(FONTS / f"Montserrat-{weight}.ttf"), size)
    return _fonts[key]


def ease(t: float) -> float:
    """Ease-out cubic on 0..1 (clamped)."""
    t = min(1.0, max(0.0, t))
    return 1 - (1 - t) ** 3


def spaced(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, f: ImageFont.FreeTypeFont,
           fill: tuple[int, ...], tracking: float) -> None:
    """Letter-spaced text (small caps labels)."""
    x, y = xy
    for ch in text:
        draw.text((x, y), ch, font=f, fill=fill)
        x += f.getlength(ch) + tracking


def blend(a: tuple[int, int, int], b: tuple[int, int, int], k: float) -> tuple[int, int, int]:
    return tuple(round(a[i] + (b[i] - a[i]) * k) for i in range(3))  # type: ignore[return-value]


def pattern_layer(kind: str, w: int, h: int, offset: float) -> Image.Image:
    """A fabric-like texture (white, alpha) scrolling by `offset` px."""
    layer = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(layer)
    o = int(offset)
    if kind == "pinstripe":
        for x in range(-60 + o % 60, w, 60):
            d.line([(x, 0), (x, h)], fill=70, width=3)
    elif kind == "rib":
        for x in range(-36 + o % 36, w, 36):
            d.rectangle([x, 0, x + 12, h], fill=38)
    elif kind == "check":
        for x in range(-120 + o % 120, w, 120):
            d.rectangle([x, 0, x + 36, h], fill=34)
        for y in range(-120 + o % 120, h, 120):
            d.rectangle([0, y, w, y + 36], fill=34)
    elif kind == "dots":
        for y in range(-50 + o % 50, h, 50):
            for x in range(25 if (y // 50) % 2 else 0, w, 50):
                d.ellipse([x - 7, y - 7, x + 7, y + 7], fill=60)
    return layer


def frame(clip: Clip, i: int, frames: int) -> Image.Image:
    t = i / FPS
    bg, ink, accent = PALETTE[clip.background], PALETTE[clip.ink], PALETTE[clip.accent]
    img = Image.new("RGB", (W, H), bg)
    d = ImageDraw.Draw(img)
    # Three tall arched panels rise in from below, one after another, on the right.
    for n, name in enumerate(clip.panels):
        k = ease((t - 0.15 * n) / 1.2)
        pw = 230
        left = 1190 + n * pw
        top = int(H - (0.9 - 0.14 * ((n + 1) % 3)) * H * k)
        color = PALETTE[name]
        panel = Image.new("RGB", (pw, H), color)
        tex = pattern_layer(clip.pattern, pw, H, 18 * t * (1 if n % 2 else -1))
        panel.paste(Image.new("RGB", (pw, H), (255, 255, 255)), (0, 0), tex)
        mask = Image.new("L", (pw, H), 0)
        md = ImageDraw.Draw(mask)
        md.rectangle([0, pw // 2, pw, H], fill=255)
        md.ellipse([0, 0, pw, pw], fill=255)
        img.paste(panel, (left, top), mask)
    # The brand, then the text, rising and fading in line by line.
    spaced(d, (120, 80), "HALDEN & CO.", font("SemiBold", SIZE_BRAND), ink, 9)
    lines = [
        (0.5, 300, clip.kicker.upper(), font("SemiBold", SIZE_KICKER), accent, 7.0),
        (0.8, 380, clip.title[0], font("Light", SIZE_TITLE), ink, 0.0),
        (1.0, 495, clip.title[1], font("SemiBold", SIZE_TITLE), ink, 0.0),
        (1.5, 730, clip.sub, font("Regular", SIZE_SUB), ink, 0.0),
    ]
    for start, y, text, f, color, tracking in lines:
        k = ease((t - start) / 0.8)
        if k <= 0:
            continue
        fill = blend(bg, color, k)
        yy = y + (1 - k) * 40
        if tracking:
            spaced(d, (120, yy), text, f, fill, tracking)
        else:
            d.text((120, yy), text, font=f, fill=fill)
    rule = ease((t - 1.3) / 0.9)
    if rule > 0:
        d.rectangle([120, 680, 120 + int(140 * rule), 688], fill=accent)
    # Fade out over the last 0.6 s so the next item takes over from a calm frame.
    tail = (frames - 1 - i) / FPS
    if tail < 0.6:
        img = Image.blend(Image.new("RGB", (W, H), bg), img, max(0.0, tail / 0.6))
    return img


def encoder() -> str | None:
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    return imageio_ffmpeg.get_ffmpeg_exe()


def write_h264(path: Path, clip: Clip, ffmpeg: str) -> None:
    frames = int(SECONDS * FPS)
    cmd = [ffmpeg, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}",
           "-r", str(FPS), "-i", "-",
           "-vf", f"scale={OUT_W}:{OUT_H}:flags=lanczos",
           "-c:v", "libx264", "-profile:v", "main", "-level", "3.1",
           "-pix_fmt", "yuv420p", "-preset", "slow", "-crf", "22", "-tune", "animation",
           "-g", str(FPS * 2), "-movflags", "+faststart", "-threads", "2", str(path)]
    with subprocess.Popen(cmd, stdin=subprocess.PIPE) as proc:
        assert proc.stdin is not None
        for i in range(frames):
            proc.stdin.write(frame(clip, i, frames).tobytes())
        proc.stdin.close()
        if proc.wait() != 0:
            raise SystemExit(f"ffmpeg failed on {path.name}")


def write_mp4v(path: Path, clip: Clip) -> None:
    import cv2

    frames = int(SECONDS * FPS)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (OUT_W, OUT_H))
    for i in range(frames):
        small = frame(clip, i, frames).resize((OUT_W, OUT_H), Image.Resampling.LANCZOS)
        writer.write(np.asarray(small)[:, :, ::-1])
    writer.release()


if __name__ == "__main__":
    check_legibility()
    check_layout()
    (HERE / "media").mkdir(exist_ok=True)
    ffmpeg = encoder()
    if ffmpeg is None:
        print("imageio-ffmpeg is not installed: writing mp4v, which Windows and macOS may not play",
              file=sys.stderr)
    only = set(sys.argv[1:])
    for clip in CLIPS:
        if only and clip.name not in only:
            continue
        out = HERE / "media" / f"{clip.name}.mp4"
        (write_h264(out, clip, ffmpeg) if ffmpeg else write_mp4v(out, clip))
        print(f"written media/{out.name} ({out.stat().st_size // 1024} KB)")
