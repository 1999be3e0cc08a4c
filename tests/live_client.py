"""GraphQL subscriptions over a real WebSocket: the app served by uvicorn on a free port in
the test's own event loop (so it shares the database and Redis connections of the test), and a
graphql-transport-ws client speaking the protocol message by message."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from arq.connections import ArqRedis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from app.config import Settings
from app.main import create_app

PROTOCOL = "graphql-transport-ws"
# Generous for a loaded CI machine; every wait ends as soon as the message arrives.
WAIT = 30.0


@asynccontextmanager
async def served(settings: Settings, redis: ArqRedis) -> AsyncIterator[str]:
    """`ws://127.0.0.1:<port>/graphql` of the app, served until the block ends."""
    app = create_app(settings, manage_resources=False, redis=redis)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan="off",
        http="h11",
        ws="websockets-sansio",
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.005)
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class LiveClient:
    ws: ClientConnection
    _ids: int = 0
    # Messages already read for an operation other than the one awaited.
    _held: list[dict[str, Any]] = field(default_factory=list)

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def send_init(self, token: str | None) -> None:
        payload = {"authorization": f"Bearer {token}"} if token else {}
        await self.send({"type": "connection_init", "payload": payload})

    async def init(self, token: str | None) -> dict[str, Any]:
        """`connection_init`, and the server's answer (`connection_ack`)."""
        await self.send_init(token)
        return await self.receive()

    async def receive(self) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), WAIT)
        message: dict[str, Any] = json.loads(raw)
        return message

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self._ids += 1
        operation_id = str(self._ids)
        await self.send(
            {
                "type": "subscribe",
                "id": operation_id,
                "payload": {"query": query, "variables": variables or {}},
            }
        )
        return operation_id

    async def next_for(self, operation_id: str) -> dict[str, Any]:
        """The next message of one operation (others are kept for their turn)."""
        for i, message in enumerate(self._held):
            if message.get("id") == operation_id:
                return self._held.pop(i)
        while True:
            message = await self.receive()
            if message.get("id") == operation_id:
                return message
            self._held.append(message)

    async def events(self, operation_id: str) -> list[dict[str, Any]]:
        """Every `next` payload of an operation until its `complete` (which must come)."""
        out: list[dict[str, Any]] = []
        while True:
            message = await self.next_for(operation_id)
            if message["type"] == "complete":
                return out
            assert message["type"] == "next", message
            out.append(message["payload"])

    async def closed_with(self) -> tuple[int | None, str]:
        """Wait for the server to close the socket: its code and reason."""
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), WAIT)
        except ConnectionClosed as closed:
            frame = closed.rcvd
            return (frame.code, frame.reason) if frame is not None else (None, "")


@asynccontextmanager
async def live_client(url: str, token: str | None = None) -> AsyncIterator[LiveClient]:
    """A connected client; with a token, `connection_init` is sent and must be acknowledged."""
    async with connect(url, subprotocols=[PROTOCOL], max_size=None) as ws:  # type: ignore[list-item]
        client = LiveClient(ws)
        if token is not None:
            ack = await client.init(token)
            assert ack == {"type": "connection_ack"}, ack
        yield client
