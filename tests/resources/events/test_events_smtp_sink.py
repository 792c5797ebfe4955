"""The demo SMTP sink over real sockets: the conversation's replies, dot-unstuffing, the limits,
and smtplib's whole exchange."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from email.message import EmailMessage

import pytest

from resources.events.smtp_sink import Envelope, SmtpSink


@pytest.fixture
async def sink() -> AsyncIterator[tuple[SmtpSink, list[Envelope]]]:
    got: list[Envelope] = []

    async def keep(envelope: Envelope) -> None:
        got.append(envelope)

    async with SmtpSink(keep, port=0, max_size=100, max_recipients=2) as server:
        yield server, got


class Talk:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def reply(self) -> list[str]:
        lines = []
        while True:
            line = (await self.reader.readline()).decode().rstrip("\r\n")
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return lines

    async def say(self, *lines: str) -> list[str]:
        for line in lines:
            self.writer.write(line.encode() + b"\r\n")
        await self.writer.drain()
        return await self.reply()


async def talk(server: SmtpSink) -> Talk:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    t = Talk(reader, writer)
    assert await t.reply() == ["220 switchboard-sink ESMTP ready"]
    return t


async def test_the_conversation(sink: tuple[SmtpSink, list[Envelope]]) -> None:
    server, got = sink
    t = await talk(server)
    assert await t.say("EHLO client.example") == ["250-switchboard-sink", "250-SIZE 100", "250 8BITMIME"]
    assert await t.say("RCPT TO:<a@x.example>") == ["503 5.5.1 MAIL first"]
    assert await t.say("DATA") == ["503 5.5.1 RCPT first"]
    assert await t.say("MAIL FROM:a@x.example") == ["501 5.5.4 Syntax: MAIL FROM:<address>"]
    assert await t.say("MAIL FROM:<a@x.example> SIZE=10") == ["250 2.1.0 OK"]
    assert await t.say("MAIL FROM:<b@x.example>") == ["503 5.5.1 MAIL already given"]
    assert await t.say("RCPT TO:<>") == ["501 5.5.4 Syntax: RCPT TO:<address>"]
    assert await t.say("rcpt to:<b@y.example>") == ["250 2.1.5 OK"]
    assert await t.say("RCPT TO:<c@y.example>") == ["250 2.1.5 OK"]
    assert await t.say("RCPT TO:<d@y.example>") == ["452 4.5.3 Too many recipients"]
    assert await t.say("NOOP") == ["250 2.0.0 OK"]
    assert await t.say("VRFY a") == ["502 5.5.2 Command not implemented"]
    assert await t.say("DATA") == ["354 End data with <CR><LF>.<CR><LF>"]
    assert await t.say("Subject: hi", "", "..hidden dot", "line", ".") == ["250 2.0.0 OK queued"]
    assert got == [
        Envelope("a@x.example", ("b@y.example", "c@y.example"), b"Subject: hi\r\n\r\n.hidden dot\r\nline\r\n")
    ]
    assert await t.say("RCPT TO:<b@y.example>") == ["503 5.5.1 MAIL first"]  # DATA ended the transaction
    assert await t.say("MAIL FROM:<a@x.example>") == ["250 2.1.0 OK"]
    assert await t.say("RSET") == ["250 2.0.0 OK"]
    assert await t.say("RCPT TO:<b@y.example>") == ["503 5.5.1 MAIL first"]
    assert await t.say("HELO old.example") == ["250 switchboard-sink"]
    assert await t.say("QUIT") == ["221 2.0.0 switchboard-sink closing"]
    assert await t.reader.read() == b""
    t.writer.close()


async def test_a_message_over_the_size_is_refused_and_the_session_goes_on(
    sink: tuple[SmtpSink, list[Envelope]],
) -> None:
    server, got = sink
    t = await talk(server)
    await t.say("HELO c")
    await t.say("MAIL FROM:<a@x.example>")
    await t.say("RCPT TO:<b@y.example>")
    await t.say("DATA")
    assert await t.say(*["x" * 60] * 2, ".") == ["552 5.3.4 Message larger than 100 bytes"]
    assert got == []
    assert await t.say("NOOP") == ["250 2.0.0 OK"]
    assert await t.say("QUIT") == ["221 2.0.0 switchboard-sink closing"]
    t.writer.close()


async def test_smtplib_talks_to_it() -> None:
    got: list[Envelope] = []

    async def keep(envelope: Envelope) -> None:
        got.append(envelope)

    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@x.example", "b@y.example", "Hello"
    message.set_content(".")

    def send() -> None:
        with smtplib.SMTP("127.0.0.1", server.port, timeout=5) as smtp:
            smtp.send_message(message)

    async with SmtpSink(keep, port=0) as server:
        await asyncio.to_thread(send)
    [envelope] = got
    assert (envelope.mail_from, envelope.rcpt_to) == ("a@x.example", ("b@y.example",))
    assert envelope.data.endswith(
        b'Subject: Hello\r\nContent-Type: text/plain; charset="utf-8"\r\n'
        b"Content-Transfer-Encoding: 7bit\r\nMIME-Version: 1.0\r\n\r\n.\r\n"
    )


async def test_stop_closes_open_sessions() -> None:
    async def ignore(envelope: Envelope) -> None:
        pass

    server = SmtpSink(ignore, port=0)
    await server.start()
    t = await talk(server)
    await server.stop()
    assert await asyncio.wait_for(t.reader.read(), 5) == b""
    t.writer.close()
