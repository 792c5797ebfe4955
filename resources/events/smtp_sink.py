"""A tiny SMTP server for the demo and the tests (RFC 5321's minimal subset): it accepts every
message and hands it to a callback instead of relaying it.

Commands: EHLO / HELO, MAIL FROM:<…>, RCPT TO:<…> (at most `max_recipients`), DATA (dot-stuffed,
at most `max_size` bytes: else 552), RSET, NOOP, QUIT; anything else is 502, out of order 503.
No TLS, no AUTH: it listens on loopback only, for a demo — never on a public interface.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger("resources.events")

PATH_RE = re.compile(r"^\s*<([^<>\s]*)>(?:\s+.*)?$")
MAX_LINE = 4096


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    rcpt_to: tuple[str, ...]
    data: bytes  # the message as received, CRLF line ends, dots unstuffed


@dataclass
class _Session:
    mail_from: str | None = None
    rcpt_to: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.mail_from, self.rcpt_to = None, []


class SmtpSink:
    def __init__(
        self,
        on_message: Callable[[Envelope], Awaitable[None]],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        hostname: str = "switchboard-sink",
        max_size: int = 1_000_000,
        max_recipients: int = 100,
    ) -> None:
        self.on_message, self.host, self.hostname = on_message, host, hostname
        self.max_size, self.max_recipients = max_size, max_recipients
        self._port = port
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()

    @property
    def port(self) -> int:
        """The bound port (the one asked for, or the free one the system picked for 0)."""
        if self._server is None or not self._server.sockets:
            return self._port
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self._port, limit=MAX_LINE * 2)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._clients):
                writer.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> SmtpSink:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def reply(text: str) -> None:
            writer.write(text.encode("ascii") + b"\r\n")

        session = _Session()
        self._clients.add(writer)
        reply(f"220 {self.hostname} ESMTP ready")
        try:
            while True:
                await writer.drain()
                raw = await reader.readline()
                if not raw:
                    return
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                verb, _, arg = line.partition(" ")
                verb = verb.upper()
                if verb == "EHLO":
                    session.reset()
                    reply(f"250-{self.hostname}\r\n250-SIZE {self.max_size}\r\n250 8BITMIME")
                elif verb == "HELO":
                    session.reset()
                    reply(f"250 {self.hostname}")
                elif verb == "MAIL":
                    found = PATH_RE.match(arg[5:]) if arg[:5].upper() == "FROM:" else None
                    if session.mail_from is not None:
                        reply("503 5.5.1 MAIL already given")
                    elif found is None:
                        reply("501 5.5.4 Syntax: MAIL FROM:<address>")
                    else:
                        session.mail_from = found.group(1)
                        reply("250 2.1.0 OK")
                elif verb == "RCPT":
                    found = PATH_RE.match(arg[3:]) if arg[:3].upper() == "TO:" else None
                    if session.mail_from is None:
                        reply("503 5.5.1 MAIL first")
                    elif found is None or not found.group(1):
                        reply("501 5.5.4 Syntax: RCPT TO:<address>")
                    elif len(session.rcpt_to) >= self.max_recipients:
                        reply("452 4.5.3 Too many recipients")
                    else:
                        session.rcpt_to.append(found.group(1))
                        reply("250 2.1.5 OK")
                elif verb == "DATA":
                    if not session.rcpt_to:
                        reply("503 5.5.1 RCPT first")
                        continue
                    reply("354 End data with <CR><LF>.<CR><LF>")
                    await writer.drain()
                    data = await self._data(reader)
                    if data is None:
                        reply(f"552 5.3.4 Message larger than {self.max_size} bytes")
                    else:
                        await self.on_message(Envelope(str(session.mail_from), tuple(session.rcpt_to), data))
                        reply("250 2.0.0 OK queued")
                    session.reset()
                elif verb == "RSET":
                    session.reset()
                    reply("250 2.0.0 OK")
                elif verb == "NOOP":
                    reply("250 2.0.0 OK")
                elif verb == "QUIT":
                    reply(f"221 2.0.0 {self.hostname} closing")
                    await writer.drain()
                    return
                else:
                    reply("502 5.5.2 Command not implemented")
        except (ValueError, asyncio.LimitOverrunError):
            reply("500 5.5.6 Line too long")
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:
            log.exception("smtp sink: session failed")
            reply("451 4.3.0 Local error")
        finally:
            self._clients.discard(writer)
            try:
                await writer.drain()
                writer.close()
                await writer.wait_closed()
            except (ConnectionError, RuntimeError):
                pass

    async def _data(self, reader: asyncio.StreamReader) -> bytes | None:
        """The message up to the lone dot, unstuffed; None (read to the end) when too large."""
        chunks: list[bytes] = []
        size = 0
        while True:
            raw = await reader.readline()
            if not raw:
                raise asyncio.IncompleteReadError(b"", None)
            if raw in (b".\r\n", b".\n"):
                break
            if raw.startswith(b"."):
                raw = raw[1:]
            size += len(raw)
            if size <= self.max_size:
                chunks.append(raw if raw.endswith(b"\r\n") else raw.rstrip(b"\n") + b"\r\n")
        return b"".join(chunks) if size <= self.max_size else None
