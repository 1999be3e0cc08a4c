"""Follow a job's live progress over WebSocket (graphql-transport-ws), printing every message
the server sends, one JSON document per line, until the subscription completes.

    python examples/live_progress.py http://127.0.0.1:8000 "$TOKEN" import <import job id>
    python examples/live_progress.py http://127.0.0.1:8000 "$TOKEN" personas [<persona set id>]

Uses the `websockets` package (installed with the service). A browser frontend does the same
with the `graphql-ws` client: see the README's "Live progress" section.
"""

from __future__ import annotations

import asyncio
import json
import sys

from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

IMPORT = (
    "subscription($id: ID!) { importJobProgress(id: $id) {"
    " progress { status processedRows totalRows createdCount invalidCount done }"
    " errors { code message } } }"
)
PERSONAS = (
    "subscription($id: ID) { personaRegeneration(setId: $id) {"
    " progress { status step stepNumber stepCount customerCount done }"
    " errors { code message } } }"
)


async def follow(api: str, token: str, kind: str, job_id: str | None) -> None:
    url = api.replace("http", "ws", 1).rstrip("/") + "/graphql"
    query = IMPORT if kind == "import" else PERSONAS
    async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        # 1. The credential travels in connection_init (a browser cannot set headers).
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        # 2. Subscribe under an id of our choosing; the server answers with `next` messages
        #    for that id, then `complete` when the job has ended.
        await ws.send(
            json.dumps(
                {
                    "type": "subscribe",
                    "id": "1",
                    "payload": {"query": query, "variables": {"id": job_id}},
                }
            )
        )
        async for raw in ws:
            message = json.loads(raw)
            print(json.dumps(message), flush=True)
            if message["type"] in ("complete", "error"):
                return


def main() -> None:
    if len(sys.argv) < 4 or sys.argv[3] not in ("import", "personas"):
        sys.exit(__doc__)
    api, token, kind = sys.argv[1:4]
    asyncio.run(follow(api, token, kind, sys.argv[4] if len(sys.argv) > 4 else None))


if __name__ == "__main__":
    main()
