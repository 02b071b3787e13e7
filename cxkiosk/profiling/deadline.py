"""One total deadline and one size limit per model call, and an abort switch, enforced at the
socket level.

The openai client's timeout bounds each socket read, so a server trickling bytes would never
time out; here every socket operation is clamped to the time left, every byte read counts
against REPLY_MAX_BYTES (a server streaming an endless body is cut off long before it fills the
kiosk's memory), and `abort()` (shutdown) wakes a blocked read at once.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

try:  # openai 3.x ships httpx under the name httpx2; 1.x used httpx
    import httpcore2 as httpcore
    import httpx2 as httpx
except ImportError:  # pragma: no cover - depends on the installed openai
    import httpcore  # type: ignore[no-redef]
    import httpx  # type: ignore[no-redef]

log = logging.getLogger("cxkiosk.model")

# A profile reply is a few kB; the HTTP envelope and a verbose server stay far below this.
REPLY_MAX_BYTES = 1024 * 1024


class CallGuard:
    """One total deadline per call and an abort switch, applied at the socket level.

    httpx's timeout bounds each read, not the whole response; clamping every socket operation to
    the time left makes the deadline real. `abort()` shuts the sockets down so a blocked read
    returns at once (closing a socket from another thread does not wake a blocked recv on Linux).
    """

    def __init__(self) -> None:
        self.deadline: float | None = None
        self.total = 0.0  # seconds the current call was given
        self.received = 0  # bytes read in the current call
        self.aborted = threading.Event()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def clamp(self, timeout: float | None, timeout_exc: type[Exception]) -> float | None:
        if self.aborted.is_set():
            raise httpcore.ConnectError("cancelled")
        if self.deadline is None:
            return timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise timeout_exc("total time for the call used up")
        return left if timeout is None else min(timeout, left)

    def track(self, sock: Any, add: bool) -> None:
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            (self._sockets.add if add else self._sockets.discard)(sock)

    def abort(self) -> None:
        self.aborted.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _GuardedStream(httpcore.NetworkStream):
    def __init__(self, inner: Any, guard: CallGuard) -> None:
        self._inner, self._guard = inner, guard
        guard.track(inner.get_extra_info("socket"), True)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = self._inner.read(max_bytes, self._guard.clamp(timeout, httpcore.ReadTimeout))
        self._guard.received += len(data)
        if self._guard.received > REPLY_MAX_BYTES:
            raise httpcore.ReadError(f"reply larger than {REPLY_MAX_BYTES // 1024} kB; cut off")
        return bytes(data)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._guard.clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._guard.track(self._inner.get_extra_info("socket"), False)
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> _GuardedStream:
        timeout = self._guard.clamp(timeout, httpcore.ConnectTimeout)
        return _GuardedStream(self._inner.start_tls(ssl_context, server_hostname, timeout), self._guard)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _GuardedBackend(httpcore.NetworkBackend):
    def __init__(self, inner: Any, guard: CallGuard) -> None:
        self._inner, self._guard = inner, guard

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: Any = None) -> _GuardedStream:
        timeout = self._guard.clamp(timeout, httpcore.ConnectTimeout)
        return _GuardedStream(self._inner.connect_tcp(host, port, timeout, local_address, socket_options),
                              self._guard)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> _GuardedStream:
        timeout = self._guard.clamp(timeout, httpcore.ConnectTimeout)
        return _GuardedStream(self._inner.connect_unix_socket(path, timeout, socket_options), self._guard)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _GuardedTransport(httpx.HTTPTransport):
    """httpx transport whose sockets obey the guard, and whose failures retry within the deadline.

    The openai client honours a server's Retry-After of up to 60 s by sleeping, which no socket
    deadline can cut short: the header is dropped (its own short backoff applies), and with
    under a second (or half the call's time) left, the retry is called off.
    """

    def __init__(self, guard: CallGuard) -> None:
        super().__init__()
        self._guard = guard
        pool = getattr(self, "_pool", None)
        if pool is not None and hasattr(pool, "_network_backend"):
            pool._network_backend = _GuardedBackend(pool._network_backend, guard)
        else:  # pragma: no cover - a future httpx layout; calls still have per-read timeouts
            log.warning("cannot install the total call deadline on this httpx version")

    def handle_request(self, request: Any) -> Any:
        response = super().handle_request(request)
        if response.status_code == 429 or response.status_code >= 500:
            for name in ("retry-after", "retry-after-ms"):
                if name in response.headers:
                    del response.headers[name]
            deadline, total = self._guard.deadline, self._guard.total
            if deadline is not None and deadline - time.monotonic() < min(1.0, total / 2):
                response.headers["x-should-retry"] = "false"
        return response


_importing = threading.Lock()


def openai_module() -> Any:
    """The openai package, imported by one thread at a time: the classifier and the caption
    writer warm up together on their own threads, and two threads importing openai (pydantic
    under it) at once can each see the other's half-made module ("cannot import name ... from
    partially initialized module"), which left a kiosk without its model client."""
    with _importing:
        import openai

    return openai


def guarded_http_client(guard: CallGuard, timeout: float) -> Any:
    openai = openai_module()
    return openai.DefaultHttpxClient(transport=_GuardedTransport(guard), timeout=timeout)
