"""What the consent notice on the billboard says, filled in for the privacy mode in force.

A visitor in front of a sensing screen must be told who is responsible (the controller), why,
what is sensed, whether anything leaves the machine, what is and is not kept, and where to read
more (EU AI Act Art. 50(3) for emotion recognition and biometric categorisation, GDPR Art. 13
for any personal data). The operator words the notice as a template (`consent_text`); the facts
come from the privacy mode, never from the operator, so a template cannot make the screen
claim less than it does: a fact the template leaves out is added after it.

Plain Python: the billboard (ui/overlays.py) draws what `consent_notice` returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cxkiosk.config import Privacy, Settings
from cxkiosk.links import HTTPS_ONLY, LinkError, normalize_url

# The fields a template may use; anything else in braces is left as written.
FIELDS = ("controller", "sensed", "leaves", "stored", "not_stored", "link")
DEFAULT_CONTROLLER = "The operator"  # until the operator names the controller (Privacy tab)
NO_LINK = "ask the staff"

DEFAULT_TEMPLATE = ("{controller} uses {sensed} here to pick what this screen shows and to count "
                    "its audience. {leaves}\n"
                    "Stored: {stored}. Never stored: {not_stored}. Privacy notice: {link}.")

_PROVIDERS = {"openai": "OpenAI"}  # anything else is the operator's own model server

_FACTS = {
    "full": {
        "title": "Camera in use",
        "sensed": "a camera",
        "leaves": "A cropped picture of the people in front of it is sent to {provider} to "
                  "estimate age, gender and clothing; it is not kept.",
        "stored": "how many people looked and for how long, with coarse guesses (age, gender, "
                  "clothing)",
        "not_stored": "pictures, faces or anything that identifies you",
    },
    "local": {
        "title": "Camera in use",
        "sensed": "a camera",
        "leaves": "Everything is worked out on this computer: no picture leaves it.",
        "stored": "how many people looked and for how long, with coarse guesses (age, gender)",
        "not_stored": "pictures, faces or anything that identifies you",
    },
    "thermal": {
        "title": "Heat sensor in use",
        "sensed": "a heat sensor (no camera)",
        "leaves": "It senses warmth only, never a picture; its 8x8 heat map is sent to "
                  "{provider} to count people.",
        "stored": "how many people were here and for how long",
        "not_stored": "pictures, heat maps or anything that identifies you",
    },
}


@dataclass(frozen=True)
class ConsentNotice:
    """The notice as the billboard shows it: a title, the filled text, the privacy link (for
    its QR code; "" when none is set or the link policy refuses it)."""

    title: str
    text: str
    link: str = ""


def privacy_link(settings: Settings) -> tuple[str, str]:
    """The privacy notice's link as the link policy accepts it, and "" or why it is refused."""
    raw = settings.privacy_link.strip()
    if not raw:
        return "", ""
    try:
        return normalize_url(raw, HTTPS_ONLY), ""
    except LinkError as exc:
        return "", f"privacy link refused: {exc}"


def shown_link(link: str) -> str:
    """A link as a visitor reads it off a screen: no scheme, no trailing slash."""
    return re.sub(r"^https://", "", link).rstrip("/")


def fill(template: str, values: dict[str, str]) -> str:
    """Replace the known {fields} only: an operator's stray brace or a {0} stays text, and
    nothing like str.format's attribute access can run."""
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def consent_notice(settings: Settings) -> ConsentNotice | None:
    """The notice for these settings; None when nothing senses (privacy mode off)."""
    mode = Privacy.of(settings).mode
    facts = _FACTS.get(mode)
    if facts is None:
        return None
    link, _refused = privacy_link(settings)
    provider = _PROVIDERS.get(settings.provider, "the operator's model server")
    values = {
        "controller": settings.consent_controller.strip() or DEFAULT_CONTROLLER,
        "sensed": facts["sensed"],
        "leaves": facts["leaves"].replace("{provider}", provider),
        "stored": facts["stored"],
        "not_stored": facts["not_stored"],
        "link": shown_link(link) if link else NO_LINK,
    }
    template = settings.consent_text.strip() or DEFAULT_TEMPLATE
    text = fill(template, values).strip()
    used = set(re.findall(r"\{(\w+)\}", template))
    added = []
    if "controller" not in used:
        added.append(f"Responsible: {values['controller']}.")
    if "leaves" not in used:
        added.append(values["leaves"])
    if "stored" not in used:
        added.append(f"Stored: {values['stored']}.")
    if "not_stored" not in used:
        added.append(f"Never stored: {values['not_stored']}.")
    if "link" not in used:
        added.append(f"Privacy notice: {values['link']}.")
    if added:
        text = f"{text}\n{' '.join(added)}" if text else " ".join(added)
    return ConsentNotice(title=facts["title"], text=text, link=link)
