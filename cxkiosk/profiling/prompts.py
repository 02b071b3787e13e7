"""The default prompts, seeded into the database's Prompt table on first run.

Each is (name, source, text). `source` is what the prompt is for: "camera" or "thermal".
Race/ethnicity and emotion are not asked for by default (see README, privacy).
"""

from __future__ import annotations

SEED_LINES = (
    "Please guess the gender, the age, if wearing glasses, the hair style, the clothing and "
    "whether they face the camera, of each person in the attached image. Never answer like "
    '"unknown" even if you are not confident with the answer. Output only the data, one line '
    "per person, in the following format:\n\n"
    "- male, 40, yes, short, t-shirt, facing\n"
    "- female, 25, no, straight long, suit, not facing\n"
)

JSON_PROFILE = (
    "Look at the people in the attached image. For each person guess gender (male or female), "
    "age (a number), glasses (true/false), hair (a few words), clothing (a few words) and facing "
    "(true if they look towards the camera). Reply with JSON only: "
    '{"count": <number of people>, "people": [{"gender": "female", "age": 25, "glasses": false, '
    '"hair": "straight long", "clothing": "suit", "facing": true}]}'
)

THERMAL = (
    "The attached image is a false-colour heatmap from an 8x8 infrared array sensor looking at a "
    "showroom; warm (red/yellow) blobs are people. How many people are there, where are they "
    "(left, centre, right), and are they standing or moving? Reply with JSON only: "
    '{"count": <number>, "people": [{"position": "left", "activity": "standing"}]}'
)

# The caption prompt's {fields} are filled in by captions/writer.py; whatever the operator writes,
# the reply still goes through the guardrails in code.
CAPTION = (
    "Write one short headline in {language} (at most {limit} characters) for a showroom screen, to go "
    "over this content:\nTitle: {title}\nDescription: {description}\nTagline: {tagline}\n"
    "Who is in front of the screen: {audience}.\n"
    "Speak to what they may be doing, not to who they are: never mention age, gender, looks, body, "
    "ethnicity or any other personal trait. No links, no prices or offers that are not in the text "
    "above. Reply with the headline only."
)

DEFAULT_PROMPTS: tuple[tuple[str, str, str], ...] = (
    ("profile-json", "camera", JSON_PROFILE),
    ("profile-lines", "camera", SEED_LINES),
    ("thermal", "thermal", THERMAL),
    ("caption", "caption", CAPTION),
)
