"""`POST /webhooks/sms/twilio/status`: Twilio's delivery-status callbacks.

The signature (`X-Twilio-Signature`) is checked against the URL Twilio called: the configured
public URL plus this path when `LOYALTY_PUBLIC_URL` is set (behind a proxy the request's own
URL is not what Twilio signed), else the request's URL. A bad signature is a 403; a form that
is not a status callback a 400 naming the field; anything else a 204, whether or not the
message was ours (Twilio does not need to know). Nothing of the form is logged.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from app.config import Settings, SmsProviderKind
from app.messaging.delivery import record_delivery
from app.messaging.providers import STATUS_CALLBACK_PATH
from app.messaging.twilio.callbacks import CallbackInvalid, parse_status_callback
from app.messaging.twilio.signature import SIGNATURE_HEADER, verify_signature

TWILIO = "twilio"


def signed_url(request: Request, settings: Settings, path: str) -> str:
    """The URL Twilio signed: the public URL plus `path` when configured, else the request's."""
    if settings.messaging.public_url:
        return settings.messaging.public_url.rstrip("/") + path
    return str(request.url)


async def verified_form(
    request: Request, settings: Settings, path: str
) -> list[tuple[str, str]] | None:
    """The posted form when its `X-Twilio-Signature` is valid, else None."""
    token = settings.messaging.twilio_auth_token or ""
    form = await request.form()
    pairs = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
    signature = request.headers.get(SIGNATURE_HEADER)
    if not verify_signature(signed_url(request, settings, path), pairs, signature, token):
        return None
    return pairs


async def twilio_status_callback(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    token = settings.messaging.twilio_auth_token
    if settings.messaging.sms_provider is not SmsProviderKind.TWILIO or not token:
        return PlainTextResponse("Not found", status_code=404)
    pairs = await verified_form(request, settings, STATUS_CALLBACK_PATH)
    if pairs is None:
        return PlainTextResponse("Forbidden", status_code=403)
    try:
        report = parse_status_callback(dict(pairs))
    except CallbackInvalid as exc:
        return PlainTextResponse(f"{exc.code.value}: {exc.field}", status_code=400)
    await record_delivery(TWILIO, report)
    return Response(status_code=204)
