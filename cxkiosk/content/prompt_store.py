"""Prompt versions in the content database: the active prompt per source, saving a new version,
rolling back. The shipped defaults (profiling's, since the prompts belong to the model) answer
while nothing is stored, and `seed_default_prompts` writes them once so the panel can edit them."""

from __future__ import annotations

from peewee import fn

from cxkiosk.content import database
from cxkiosk.content.database import PROMPT_SOURCES, Prompt
from cxkiosk.profiling.prompts import DEFAULT_PROMPTS


def _check_source(source: str) -> None:
    if source not in PROMPT_SOURCES:
        raise ValueError(f"prompt source must be one of {', '.join(PROMPT_SOURCES)}, not {source!r}")


def active_prompt(source: str) -> str:
    """The text of the active prompt for a source (the shipped default when none is active)."""
    _check_source(source)
    row = (Prompt.select().where((Prompt.source == source) & Prompt.active)
           .order_by(Prompt.version.desc(), Prompt.id.desc()).first())
    if row is not None:
        return row.text
    return next(text for _name, src, text in DEFAULT_PROMPTS if src == source)


def save_prompt(name: str, text: str, source: str) -> None:
    """Save `text` as the next version of prompt `name` and make it the active one for `source`."""
    _check_source(source)
    name, text = (name or "").strip(), (text or "").strip()
    if not name or not text:
        raise ValueError("a prompt needs a name and a text")
    with database.editing(), database.database.atomic():
        last = Prompt.select(fn.MAX(Prompt.version)).where(Prompt.name == name).scalar() or 0
        Prompt.update(active=False).where(Prompt.source == source).execute()
        Prompt.create(name=name, text=text, source=source, active=True, version=last + 1)


def prompts_for(source: str) -> list[Prompt]:
    """Every version of every prompt for one source ("camera", "thermal"), by name, newest first."""
    return list(Prompt.select().where(Prompt.source == source).order_by(Prompt.name, Prompt.version.desc()))


def prompt_versions(name: str) -> list[Prompt]:
    """Every saved version of a prompt, newest first (the admin panel's history)."""
    return list(Prompt.select().where(Prompt.name == name).order_by(Prompt.version.desc()))


def activate_prompt(name: str, version: int) -> None:
    """Make an earlier version active again (roll back an edit)."""
    with database.editing(), database.database.atomic():
        row = Prompt.get_or_none((Prompt.name == name) & (Prompt.version == version))
        if row is None:
            raise ValueError(f"no prompt {name!r} version {version}")
        Prompt.update(active=False).where(Prompt.source == row.source).execute()
        Prompt.update(active=True).where(Prompt.id == row.id).execute()


def seed_default_prompts() -> None:
    """Store the shipped prompts as version 1 of each, the first of each source active, for every
    source that has no prompt yet (its own or an operator's; a kiosk from before the caption
    prompt gets just that one). Read-only: nothing to do."""
    if database.is_readonly():
        return
    have = {source for (source,) in Prompt.select(Prompt.source).distinct().tuples()}
    first_for_source: set[str] = set()
    with database.database.atomic():
        for name, source, text in DEFAULT_PROMPTS:
            if source in have:
                continue
            Prompt.create(name=name, source=source, text=text, active=source not in first_for_source)
            first_for_source.add(source)
