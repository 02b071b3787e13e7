"""The fleet database's password: in the OS keyring (or CXKIOSK_DB_PASSWORD), never in
settings.json, a log line or `check`'s output.

A kiosk's URL names its role and server (postgresql://kiosk_1@db.example.com/cxkiosk); the
password is found under the keyring service "cxkiosk", in an entry named after the role and
the server (`user@host:port/dbname`), so it never follows a changed address. A URL that still
carries a password is used as it is (and `check` warns that it sits in plain text). The same
refusal of unsafe keyrings as the model's API key (cxkiosk.profiling.secrets) applies.
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import keyring
import keyring.errors

from cxkiosk.profiling.secrets import SERVICE, keyring_problem

log = logging.getLogger("cxkiosk.fleet")

ENV_PASSWORD = "CXKIOSK_DB_PASSWORD"  # for CI and containers, where no keyring runs
SERVER_SCHEMES = ("postgresql", "postgres")
DEFAULT_PORT = 5432


class CredentialError(RuntimeError):
    """The password cannot be stored, found or removed; the message says why (never the password)."""


def is_server_url(url: str) -> bool:
    return url.partition("://")[0].lower() in SERVER_SCHEMES and "://" in url


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def url_password(url: str) -> str | None:
    """The password written in the URL itself (user:password@ or ?password=), if any."""
    parts = urlsplit(url)
    return parts.password or _query(url).get("password") or None


def without_password(url: str) -> str:
    """The URL as it may be shown or logged: no password, neither user:password@ nor ?password=
    (a file path comes back as it is)."""
    try:
        if "://" not in url or not url_password(url):
            return url
        parts = urlsplit(url)
    except ValueError:  # not even a URL (a broken IPv6 address): keep the scheme, drop the rest
        return f"{url.partition('://')[0]}://(unreadable address)"
    netloc = parts.netloc.rpartition("@")[2]
    if parts.username is not None:
        netloc = f"{parts.netloc.rpartition('@')[0].partition(':')[0]}@{netloc}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def entry(url: str) -> str:
    """The keyring entry of this URL's role on this server: 'user@host:port/dbname'. Query
    parameters win over the address, as they do where the URL is opened (playhouse.db_url)."""
    if not is_server_url(url):
        raise CredentialError("give a postgresql://USER@HOST/DATABASE URL")
    parts, query = urlsplit(url), _query(url)
    user = query.get("user") or parts.username or ""
    host = (query.get("host") or parts.hostname or "localhost").lower()
    try:
        port = int(query.get("port") or parts.port or DEFAULT_PORT)
    except ValueError:
        raise CredentialError("the URL's port is not a number") from None
    name = query.get("dbname") or parts.path.lstrip("/")
    if not user or not name:
        raise CredentialError("the URL must name the role and the database: postgresql://USER@HOST/DATABASE")
    return f"{user}@{host}:{port}/{name}"


def _backend(backend: Any) -> Any:
    return backend if backend is not None else keyring.get_keyring()


def password_for(url: str, environ: dict[str, str] | None = None, backend: Any = None) -> str | None:
    """The password to send for this URL when it carries none: CXKIOSK_DB_PASSWORD (an
    integrator's explicit choice) or the keyring's entry; None lets libpq try its own (~/.pgpass)."""
    if not is_server_url(url) or url_password(url):
        return None
    env = os.environ if environ is None else environ
    if env.get(ENV_PASSWORD):
        return env[ENV_PASSWORD]
    kb = _backend(backend)
    if keyring_problem(kb) is not None:  # nothing can be stored there, so nothing to read (and no noise)
        return None
    try:
        name = entry(url)
    except CredentialError:
        return None  # the connection says what is wrong with the URL
    try:
        return kb.get_password(SERVICE, name) or None
    except keyring.errors.KeyringError as exc:
        log.warning("cannot read the database password for %s from the OS keyring: %s", name, exc)
        return None


def login_hint(url: str, message: str, environ: dict[str, str] | None = None, backend: Any = None) -> str:
    """What to do about a refused log-in, to follow the server's message ("; ..."), or "": which
    of the password's places was used (CXKIOSK_DB_PASSWORD goes before PGPASSWORD and ~/.pgpass,
    so a kiosk's password left in a shell refuses the owner), never the password itself."""
    low = message.lower()
    where = without_password(url)
    store = f"`cxkiosk fleet password --db {where}`"
    if "no password supplied" in low:
        return f"; store this role's password with {store} or set {ENV_PASSWORD}"
    if "password authentication failed" not in low:
        return ""
    env = dict(os.environ) if environ is None else environ
    if url_password(url):
        return "; the password sent was the one in the URL"
    if env.get(ENV_PASSWORD):
        return (f"; the password sent was {ENV_PASSWORD}'s (it goes before the keyring, PGPASSWORD and "
                f"~/.pgpass): set it to this role's password, or unset it")
    if password_for(url, env, backend):
        return f"; the password sent was the OS keyring's for {entry(url)}: store the right one with {store}"
    return f"; the password sent was PGPASSWORD's or ~/.pgpass's: give this role's, or store it with {store}"


def store_password(url: str, password: str, backend: Any = None) -> str:
    """Keep the password for this URL's role in the OS keyring; returns the entry's name.
    CredentialError when the keyring cannot keep it safely, the URL already holds one, or it is empty."""
    name = entry(url)
    if url_password(url):
        raise CredentialError("the URL itself carries a password; give the URL without it "
                              "(postgresql://USER@HOST/DATABASE)")
    if not password or any(c in password for c in "\r\n\0"):
        raise CredentialError("the password is empty or has a line break in it")
    problem = keyring_problem(backend, secret="the database password", env=ENV_PASSWORD)
    if problem:
        raise CredentialError(problem)
    try:
        _backend(backend).set_password(SERVICE, name, password)
    except keyring.errors.KeyringError as exc:
        raise CredentialError(f"the OS keyring refused the password: {exc}") from exc
    log.info("database password for %s stored in the OS keyring", name)
    return name


def forget_password(url: str, backend: Any = None) -> bool:
    """Remove the stored password for this URL's role; False when none was stored."""
    name = entry(url)
    try:
        _backend(backend).delete_password(SERVICE, name)
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError as exc:
        raise CredentialError(f"the OS keyring refused to delete the password: {exc}") from exc
    log.info("database password for %s removed from the OS keyring", name)
    return True
