"""The real-photo evaluation set (tests/data/faces: labels.json, sources in SOURCES.md), read the
same way by the tests and by bench/bench_sensing.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

FACES = Path(__file__).parent / "data" / "faces"
KIOSK_WIDTH = 1280  # the photos are judged as frames of a 720p kiosk camera of the same view
EMPTY_SCENES = ("empty_bedroom_dim.jpg", "empty_kitchen.jpg", "empty_books_desk_text.jpg",
                "empty_pattern_brick.jpg", "empty_animal_cats_mirror.jpg")


@dataclass(frozen=True)
class Labelled:
    file: str
    image: np.ndarray
    faces: tuple[dict, ...]  # every labelled head
    count: int

    @property
    def visible(self) -> tuple[dict, ...]:
        """Faces a face detector can see: not heads from behind, not heads cut off by the edge."""
        return tuple(f for f in self.faces if not f.get("back") and not f.get("partial"))

    @property
    def kiosk_scale(self) -> float:
        """Pixels of a 720p kiosk frame per pixel of this photo."""
        return KIOSK_WIDTH / self.image.shape[1]


def load(with_paste: bool = False) -> list[Labelled]:
    entries = json.loads((FACES / "labels.json").read_text(encoding="utf-8"))
    out = []
    for e in entries:
        if e["file"].startswith("paste_") and not with_paste:
            continue
        image = cv2.imread(str(FACES / e["file"]))
        assert image is not None, e["file"]
        out.append(Labelled(e["file"], image, tuple(e["faces"]), int(e["count"])))
    return out


def iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = ix * iy
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def match(labels: tuple[dict, ...], found: list) -> tuple[list[tuple[dict, object]], list[dict], list]:
    """Greedy by overlap (IoU >= 0.3): (label, detection) pairs, missed labels, false detections."""
    pairs = sorted(((iou(lab["box"], (d.x, d.y, d.w, d.h)), li, di)
                    for li, lab in enumerate(labels) for di, d in enumerate(found)), reverse=True)
    used_l: set[int] = set()
    used_d: set[int] = set()
    hits = []
    for score, li, di in pairs:
        if score < 0.3 or li in used_l or di in used_d:
            continue
        used_l.add(li)
        used_d.add(di)
        hits.append((labels[li], found[di]))
    missed = [lab for i, lab in enumerate(labels) if i not in used_l]
    extra = [d for i, d in enumerate(found) if i not in used_d]
    return hits, missed, extra
