"""The inbound SMS webhook's baseline for bench/sms.py: a bare Starlette endpoint that reads
the form, checks `X-Twilio-Signature` (HMAC-SHA1 of the URL and the sorted parameters, keyed
by the auth token) and answers an empty TwiML document. Nothing is stored or acted on.

    BENCH_TWILIO_AUTH_TOKEN=... BENCH_WEBHOOK_URL=https://... uvicorn bench.raw_sms_webhook_app:app
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

TOKEN = os.environ["BENCH_TWILIO_AUTH_TOKEN"].encode()
URL = os.environ["BENCH_WEBHOOK_URL"]
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def inbound(request: Request) -> Response:
    form = await request.form()
    signed = URL + "".join(f"{k}{form[k]}" for k in sorted(form.keys()))
    digest = hmac.new(TOKEN, signed.encode(), hashlib.sha1).digest()
    given = request.headers.get("x-twilio-signature", "")
    if not hmac.compare_digest(base64.b64encode(digest).decode(), given):
        return PlainTextResponse("Forbidden", status_code=403)
    return Response(EMPTY_TWIML, media_type="application/xml")


async def health(_: Request) -> Response:
    return PlainTextResponse("ok")


app = Starlette(
    routes=[
        Route("/webhooks/sms/twilio", inbound, methods=["POST"]),
        Route("/health", health),
    ]
)
