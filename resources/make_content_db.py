"""Builds the shipped default content database, ../content.db (deterministic).

    python resources/make_content_db.py

Idle loop: a welcome slide, two local videos (play offline) and three Creative Commons films
by the Blender Foundation on YouTube. Targeted items use local videos so the demo works with
no network; their links point at example.com pages for the showroom to replace.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cxkiosk.content import database, prompt_store  # noqa: E402

PAGE = "https://www.example.com/showroom"
ITEMS = [
    # title, kind, url, path, idle, targeting
    ("Welcome", "slide", f"{PAGE}/welcome", "slides/welcome.png", True, {"duration": 8}),
    ("Welcome film", "video", f"{PAGE}/new-season", "media/welcome.mp4", True, {}),
    ("This week's offers", "video", f"{PAGE}/offers", "media/offers.mp4", True, {}),
    ("Big Buck Bunny (Blender Foundation, CC BY 3.0)", "youtube",
     "https://www.youtube.com/watch?v=aqz-KE-bpKQ", "", True, {}),
    ("Sintel (Blender Foundation, CC BY 3.0)", "youtube",
     "https://www.youtube.com/watch?v=eRsGyueVLvQ", "", True, {}),
    ("Tears of Steel (Blender Foundation, CC BY 3.0)", "youtube",
     "https://www.youtube.com/watch?v=R6MlUcmOul8", "", True, {}),
    ("The Style Edition", "video", f"{PAGE}/style-edition", "media/style.mp4", False,
     {"genders": "female", "age_min": 25, "age_max": 55, "tagline": "Colours picked for you",
      "description": "women 25-55, style, colour"}),
    ("Executive Line", "video", f"{PAGE}/executive", "media/executive.mp4", False,
     {"genders": "male", "age_min": 35, "age_max": 70, "keywords": "suit,shirt",
      "tagline": "Comfort for the long drive", "description": "men 35-70, suit"}),
    ("Room for everyone", "video", f"{PAGE}/family", "media/family.mp4", False,
     {"group_min": 2, "tagline": "Seven seats, one price", "description": "groups and families"}),
    ("City Runabout", "video", f"{PAGE}/city", "media/city.mp4", False,
     {"age_min": 16, "age_max": 30, "keywords": "t-shirt,hoodie,sneakers",
      "tagline": "Park anywhere", "description": "young people, casual"}),
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
