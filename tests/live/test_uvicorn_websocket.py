"""The light stand-ins the uvicorn WebSocket adapter uses for uvicorn's queue and event
keep their contracts: nothing received is lost to a reader that gave up waiting (as the
hello timeout does), and a send held by a full transport goes on once it drains."""

from __future__ import annotations

import asyncio

import pytest

from backend.live.uvicorn_websocket import Gate, Inbox


def test_a_reader_that_gives_up_loses_nothing() -> None:
    async def scenario() -> None:
        inbox = Inbox()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(inbox.get(), 0.01)
        inbox.put_nowait({"type": "websocket.receive", "text": "hello"})
        inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
        assert not inbox.empty()
        assert await inbox.get() == {"type": "websocket.receive", "text": "hello"}
        assert await inbox.get() == {"type": "websocket.disconnect", "code": 1000}
        assert inbox.empty()

    asyncio.run(scenario())


def test_a_waiting_reader_gets_what_arrives() -> None:
    async def scenario() -> None:
        inbox = Inbox()
        reader = asyncio.ensure_future(inbox.get())
        await asyncio.sleep(0)
        assert not reader.done()
        inbox.put_nowait({"type": "websocket.connect"})
        assert await reader == {"type": "websocket.connect"}

    asyncio.run(scenario())


def test_sends_held_by_a_closed_gate_go_on_when_it_opens() -> None:
    async def scenario() -> None:
        gate = Gate()
        assert await gate.wait()
        gate.clear()
        held = [asyncio.ensure_future(gate.wait()) for _ in range(2)]
        given_up = asyncio.ensure_future(gate.wait())
        await asyncio.sleep(0)
        given_up.cancel()
        await asyncio.sleep(0)
        assert not any(w.done() for w in held)
        gate.set()
        assert await asyncio.gather(*held) == [True, True]
        assert gate.is_set()

    asyncio.run(scenario())
