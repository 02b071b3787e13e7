"""Builds the shipped default content database, ../content.db (deterministic).

    python resources/make_content_db.py

The content of Halden & Co., a fictional showroom for tailoring, workwear and family clothes.
Idle loop: seven local items (HTML slides and 1080p clips, resources/slides and resources/media),
a complete loop with no network, then three Creative Commons films by the Blender Foundation
on YouTube. Targeted items are local clips, so the demo works offline.

Links are showroom paths ("/offers"): each opens that path on the showroom's own web page, the
`showroom_page` setting (cxkiosk.links.LinkPolicy.resolve). Until it is set, the items play with
no QR code or tag, and `check` says so.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cxkiosk.content import database, prompt_store  # noqa: E402

ITEMS = [
    # title, kind, url, path, idle, targeting (the descriptions are what targeting reads)
    ("Welcome", "slide", "/", "slides/welcome.html", True, {"duration": 10}),
    ("New season film", "video", "/new-season", "media/welcome.mp4", True, {}),
    ("This week's offers", "slide", "/offers", "slides/offers.html", True, {"duration": 12}),
    ("The Autumn Collection", "slide", "/autumn", "slides/collection.html", True, {"duration": 10}),
    ("Offers film", "video", "/offers", "media/offers.mp4", True, {}),
    ("Made to measure", "slide", "/made-to-measure", "slides/fitting.html", True, {"duration": 10}),
    ("Tap or scan", "slide", "/offers?from=kiosk", "slides/tap.html", True, {"duration": 8}),
    ("Big Buck Bunny (Blender Foundation, CC BY 3.0)", "youtube",
     "https://www.youtube.com/watch?v=aqz-KE-bpKQ", "", True, {}),
    ("Sintel (Blender Foundation, CC BY 3.0)", "youtube",
     "https://www.youtube.com/watch?v=eRsGyueVLvQ", "", True, {}),
    ("Tears of Steel (Blender Foundation, CC BY 3.0)", "youtube",
     "https://www.youtube.com/watch?v=R6MlUcmOul8", "", True, {}),
    ("The Style Edition", "video", "/style-edition", "media/style.mp4", False,
     {"genders": "female", "age_min": 25, "age_max": 55, "tagline": "Colour, picked for you",
      "description": "women 25-55, style, colour"}),
    ("Executive Line", "video", "/executive", "media/executive.mp4", False,
     {"genders": "male", "age_min": 35, "age_max": 70, "keywords": "suit,shirt",
      "tagline": "Suits that travel as well as you do", "description": "men 35-70, suit"}),
    ("Room for everyone", "video", "/family", "media/family.mp4", False,
     {"group_min": 2, "tagline": "Every size, one fitting room", "description": "groups and families"}),
    ("Street Edit", "video", "/street", "media/city.mp4", False,
     {"age_min": 16, "age_max": 30, "keywords": "t-shirt,hoodie,sneakers",
      "tagline": "Hoodies, tees and sneakers", "description": "young people, casual"}),
]


def build(target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    database.open_database(str(target))
    for title, kind, url, path, idle, extra in ITEMS:
        database.Content.create(title=title, kind=kind, url=url, path=path, idle=idle, **extra)
    prompt_store.seed_default_prompts()  # the shipped prompts, versioned, as a first run stores them
    db = database.current_database()
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute_sql("PRAGMA journal_mode=DELETE")  # one self-contained file to ship
    db.execute_sql("VACUUM")
    database.close_database()


if __name__ == "__main__":
    out = ROOT / "content.db"
    build(out)
    print(f"written {out} ({out.stat().st_size} bytes, {len(ITEMS)} items)")
