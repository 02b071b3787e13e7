"""A throw-away PostgreSQL server on loopback, for the fleet tests and the report benchmark:
initdb + pg_ctl as the postgres user (Debian keeps the binaries in /usr/lib/postgresql/N/bin)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


class PostgresUnavailable(RuntimeError):
    """No server binaries here, or not root (needed to run them as postgres)."""


SUPERUSER_PASSWORD = "pg-superuser-test-password"  # only with auth="scram-sha-256"
AUTHS = ("trust", "scram-sha-256")


class Server:
    """A running throw-away server that a test may stop and start again (same port, same data):
    a fleet's server going away and coming back."""

    def __init__(self, bindir: str, folder: str, port: int, auth: str = "trust") -> None:
        self.bindir, self.folder, self.port = bindir, folder, port
        secret = f":{SUPERUSER_PASSWORD}" if auth != "trust" else ""
        self.url = f"postgresql://postgres{secret}@127.0.0.1:{port}/postgres"

    def as_postgres(self, command: str) -> None:
        subprocess.run(["su", "postgres", "-c", command], check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self.as_postgres(f"{self.bindir}/pg_ctl -D {self.folder}/data -o '{options}' -w "
                         f"-l {self.folder}/log start")

    def stop(self) -> None:
        """As a crash or a pulled cable: no goodbye to the clients."""
        self.as_postgres(f"{self.bindir}/pg_ctl -D {self.folder}/data -m immediate stop")


@contextmanager
def postgres_server(auth: str = "trust") -> Iterator[Server]:
    """Start a server in a temporary folder; yields its handle; stops it and removes the folder.

    auth="trust" (the default) lets anyone in as anyone; auth="scram-sha-256" makes TCP
    connections on 127.0.0.1 prove a password (pg_hba.conf host lines), so tests can check that
    a role's password is the one sent: the superuser's is SUPERUSER_PASSWORD, in `url`.
    """
    if auth not in AUTHS:
        raise ValueError(f"auth {auth!r}: one of {', '.join(AUTHS)}")
    found = [os.path.dirname(shutil.which("initdb") or "")] + sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    bindir = next((d for d in found if d and os.path.exists(os.path.join(d, "pg_ctl"))), None)
    if bindir is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        raise PostgresUnavailable("PostgreSQL server binaries (and root, to run them as postgres) "
                                  "not available")
    folder = tempfile.mkdtemp(prefix="cxkiosk-pg-")
    os.chmod(folder, 0o755)
    shutil.chown(folder, "postgres", "postgres")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = Server(bindir, folder, port, auth)
    try:
        if auth == "trust":
            server.as_postgres(f"{bindir}/initdb -D {folder}/data -A trust -U postgres")
        else:
            pwfile = os.path.join(folder, "pwfile")
            with open(pwfile, "w", encoding="utf-8") as out:
                out.write(SUPERUSER_PASSWORD + "\n")
            shutil.chown(pwfile, "postgres", "postgres")
            # The Unix socket stays trusted (pg_ctl's own readiness check uses it); TCP needs a password.
            server.as_postgres(f"{bindir}/initdb -D {folder}/data -U postgres --pwfile={pwfile} "
                               "--auth-local=trust --auth-host=scram-sha-256")
            os.unlink(pwfile)
        server.start()
        yield server
    finally:
        subprocess.run(["su", "postgres", "-c", f"{bindir}/pg_ctl -D {folder}/data -m immediate stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def throwaway_postgres(auth: str = "trust") -> Iterator[str]:
    """Start a server in a temporary folder; yields its URL; stops it and removes the folder."""
    with postgres_server(auth) as server:
        yield server.url
