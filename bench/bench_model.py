"""Model profiling figures: parser speed, bytes per call, calls per visit, app overhead.

    .venv/bin/python bench/bench_model.py

Prints tables; asserts nothing. The model server is the test suite's fake OpenAI server on
127.0.0.1, which reports its own processing time, so the overhead column is what the kiosk adds
(image preparation, request building, HTTP, parsing).
"""

from __future__ import annotations

import json
import math
import random
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cxkiosk.config import Settings  # noqa: E402
from cxkiosk.profiling.client import Classifier  # noqa: E402
from cxkiosk.profiling.image import prepare_image  # noqa: E402
from cxkiosk.profiling.replies import parse_reply  # noqa: E402
from cxkiosk.sensing.gate import VisitGate  # noqa: E402
from tests.fake_openai import FakeOpenAI, reply  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


# ---------------------------------------------------------------------------------- replies

GENDERS = ["male", "female", "M", "F", "woman", "man", "boy", "girl", "unknown", "non-binary"]
AGES = [30, "30s", "around 40", "25-30", "late 20s", "unknown", 150, -3, "about 65 years old"]
WORDS = ["short", "long curly", "bald", "t-shirt", "polo shirt", "suit", "see https://x.example",
         "unknown", "a" * 80]


def random_person(rng: random.Random) -> dict:
    person = {"gender": rng.choice(GENDERS), "age": rng.choice(AGES),
              "glasses": rng.choice([True, "no", "yes"]), "hair": rng.choice(WORDS),
              "clothing": rng.choice(WORDS), "facing": rng.choice([True, False, None])}
    if rng.random() < 0.2:
        person["race"] = "asian"
    if rng.random() < 0.1:
        person["url"] = "https://evil.example"
    return person


def generated_replies(n: int, seed: int = 1) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        people = [random_person(rng) for _ in range(rng.choice([0, 1, 1, 1, 2, 3, 6, 30]))]
        data = json.dumps({"count": len(people), "people": people})
        kind = rng.choice(["json", "fenced", "prose", "lines", "refusal", "garbage", "huge"])
        if kind == "json":
            text = data
        elif kind == "fenced":
            text = f"```json\n{data}\n```"
        elif kind == "prose":
            text = f"Sure! Here is my best guess: {data} Let me know if you need more."
        elif kind == "lines":
            text = "\n".join(f"- {p['gender']}, {p['age']}, {'asian, ' if 'race' in p else ''}no, "
                             f"{p['hair']}, {p['clothing']}, facing" for p in people)
        elif kind == "refusal":
            text = "I'm sorry, but I can't help with identifying people's characteristics."
        elif kind == "garbage":
            text = "".join(rng.choice("{}[],:\"' abc123\n") for _ in range(rng.randint(0, 3000)))
        else:
            text = data + " " + "filler " * 5000
        out.append((kind, text))
    return out


def bench_parser() -> None:
    replies = generated_replies(10_000)
    times: list[float] = []
    by_kind: dict[str, list[float]] = {}
    start = time.perf_counter()
    for kind, text in replies:
        t0 = time.perf_counter()
        parse_reply(text)
        dt = (time.perf_counter() - t0) * 1000
        times.append(dt)
        by_kind.setdefault(kind, []).append(dt)
    total = time.perf_counter() - start
    print("\n## Parser: 10,000 generated replies")
    print(f"{'kind':<10}{'n':>6}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for kind, values in sorted(by_kind.items()):
        print(f"{kind:<10}{len(values):>6}{statistics.median(values):>10.3f}{pct(values, 99):>10.3f}"
              f"{max(values):>10.3f}")
    print(f"{'all':<10}{len(times):>6}{statistics.median(times):>10.3f}{pct(times, 99):>10.3f}"
          f"{max(times):>10.3f}")
    print(f"throughput: {len(times) / total:,.0f} replies/s")


# ------------------------------------------------------------------------------------ bytes

def showroom_frame(width: int, height: int, people: int, seed: int = 3) -> tuple[np.ndarray, list]:
    """A textured room with a few person-like figures (no camera on this machine)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(40, 220, (height // 16, width // 16, 3), dtype=np.uint8)
    frame = cv2.GaussianBlur(cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC), (5, 5), 0)
    noise = rng.normal(0, 6, frame.shape)
    frame = np.clip(frame + noise, 0, 255).astype(np.uint8)
    boxes = []
    for i in range(people):
        fw = width // 14
        x = int(width * (0.35 + 0.15 * i))
        y = int(height * 0.25)
        cv2.rectangle(frame, (x - fw // 2, y + fw), (x + fw + fw // 2, height), (60 + 40 * i, 70, 140), -1)
        cv2.ellipse(frame, (x + fw // 2, y + fw // 2), (fw // 2, int(fw * 0.65)), 0, 0, 360,
                    (150, 170, 210), -1)
        boxes.append((x, y - fw // 6, fw, int(fw * 1.3)))
    return frame, boxes


def openai_tokens(width: int, height: int, detail: str) -> int:
    """OpenAI's published image token rule for gpt-4o-mini-class models (85 base, 170 per tile)."""
    if detail == "low":
        return 85
    scale = min(1.0, 2048 / max(width, height))
    w, h = width * scale, height * scale
    scale = min(1.0, 768 / min(w, h))
    w, h = w * scale, h * scale
    return 85 + 170 * math.ceil(w / 512) * math.ceil(h / 512)


def bench_bytes() -> None:
    print("\n## Bytes per call (JPEG q80; request body carries base64, about 4/3 of it)")
    print(f"{'frame':<11}{'people':>7}  {'what is sent':<24}{'pixels':>12}{'JPEG kB':>10}{'tokens*':>9}")
    for width, height in ((1280, 720), (1920, 1080)):
        for people in (1, 2):
            frame, boxes = showroom_frame(width, height, people)
            ok, raw = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])
            high = openai_tokens(width, height, "high")
            rows = [("full frame, as captured", raw.nbytes, (width, height), high)]
            full = prepare_image(frame, [])
            rows.append(("full frame, 512 px", full.jpeg_bytes, (full.width, full.height), 85))
            crop = prepare_image(frame, boxes)
            rows.append(("crop around people", crop.jpeg_bytes, (crop.width, crop.height), 85))
            for label, size, (w, h), tokens in rows:
                print(f"{width}x{height:<6}{people:>7}  {label:<24}{f'{w}x{h}':>12}{size / 1024:>10.1f}"
                      f"{tokens:>9}")
    print("* OpenAI image tokens: 'detail: high' tiles for the captured frame, 'detail: low' (85) otherwise")


# ------------------------------------------------------------------------------ calls/visit

def visitor_updates(friend_at: float | None, seed: int = 5) -> list[tuple[float, int]]:
    """Tracker updates (10 a second for 60 s) for one visitor; 4% lose the face, 2% see a
    passer-by; optionally a friend joins for good at `friend_at` seconds."""
    rng = random.Random(seed)
    updates = []
    for i in range(600):
        t = i / 10
        base = 2 if friend_at is not None and t >= friend_at else 1
        r = rng.random()
        updates.append((t, 0 if r < 0.04 else base + 1 if r < 0.06 else base))
    return updates


def bench_calls_per_visit() -> None:
    scenarios = {"alone": visitor_updates(None), "friend joins at 30 s": visitor_updates(30.0)}
    print("\n## Model calls for one visitor standing 60 s (600 tracker updates, flickering)")
    print(f"{'policy':<44}" + "".join(f"{name:>22}" for name in scenarios))
    policies: list[tuple[str, object]] = [("a call per tracker update", None),
                                          ("a call per count change", None)]
    policies += [(f"VisitGate (settle 2 s, refresh {r or 'off'})", r) for r in (0, 30, 20)]
    for label, refresh in policies:
        row = f"{label:<44}"
        for updates in scenarios.values():
            if label.startswith("a call per tracker"):
                calls = len(updates)
            elif label.startswith("a call per count"):
                calls = 1 + sum(1 for a, b in zip(updates, updates[1:], strict=False) if a[1] != b[1])
            else:
                gate = VisitGate(refresh_seconds=float(refresh))  # type: ignore[arg-type]
                calls = sum(gate.due("visit-1", count, t) for t, count in updates)
            row += f"{calls:>22}"
        print(row)


# ---------------------------------------------------------------------------------- overhead

def bench_overhead(calls: int = 150) -> None:
    frame, boxes = showroom_frame(1280, 720, 1)
    print(f"\n## App overhead over the server's own time ({calls} calls each, fake server on 127.0.0.1)")
    print(f"{'server delay':<14}{'wall p50':>10}{'wall p99':>10}{'server p50':>12}{'overhead p50':>14}"
          f"{'overhead p99':>14}")
    with FakeOpenAI() as server:
        for delay in (0.0, 0.2):
            settings = Settings(privacy="full", provider="custom", base_url=server.base_url, model="bench",
                                calls_per_hour=10**6, calls_per_day=10**6)
            classifier = Classifier(settings)
            classifier.classify(frame, boxes)  # warm-up: client creation, connection
            n = calls if delay == 0 else calls // 5
            server.script(*[reply(delay=delay)] * n)
            walls, servers, overheads = [], [], []
            for _ in range(n):
                t0 = time.perf_counter()
                result = classifier.classify(frame, boxes)
                wall = (time.perf_counter() - t0) * 1000
                assert not result.used_fallback, result.error
                walls.append(wall)
                servers.append(result.server_ms or 0.0)
                overheads.append(wall - (result.server_ms or 0.0))
            classifier.close()
            print(f"{f'{delay * 1000:.0f} ms':<14}{statistics.median(walls):>10.1f}{pct(walls, 99):>10.1f}"
                  f"{statistics.median(servers):>12.1f}{statistics.median(overheads):>14.1f}"
                  f"{pct(overheads, 99):>14.1f}")
    t0 = time.perf_counter()
    for _ in range(100):
        prepare_image(frame, boxes)
    print(f"of which image crop+resize+JPEG+base64: {(time.perf_counter() - t0) * 10:.2f} ms per call")


if __name__ == "__main__":
    bench_parser()
    bench_bytes()
    bench_calls_per_visit()
    bench_overhead()
