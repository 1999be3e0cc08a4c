"""`POST /webhooks/sms/twilio`: texts shoppers send to the organization's number.

Available when a Twilio auth token is configured (`LOYALTY_TWILIO_AUTH_TOKEN`), whichever
provider sends: the token is what proves a request came from Twilio. A bad or missing
`X-Twilio-Signature` is a 403; a form without MessageSid, From or To a 400 naming the field;
otherwise an empty TwiML response (200), whatever the text did: our answers (HELP, the STOP
confirmation) go through the outbox like every text, never in the response. Nothing of the
form is logged.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from app.config import Settings
from app.consent.replies import Inbound, handle_inbound
from app.messaging.routes import TWILIO, verified_form
from app.messaging.twilio.callbacks import CallbackInvalid, parse_inbound_text

INBOUND_PATH = "/webhooks/sms/twilio"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def twilio_inbound(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not settings.messaging.twilio_auth_token:
        return PlainTextResponse("Not found", status_code=404)
    pairs = await verified_form(request, settings, INBOUND_PATH)
    if pairs is None:
        return PlainTextResponse("Forbidden", status_code=403)
    try:
        text = parse_inbound_text(dict(pairs))
    except CallbackInvalid as exc:
        return PlainTextResponse(f"{exc.code.value}: {exc.field}", status_code=400)
    await handle_inbound(
        Inbound(
            provider=TWILIO,
            message_id=text.message_id,
            from_number=text.from_number,
            to_number=text.to_number,
            body=text.body,
            messaging_service_id=text.messaging_service_id,
        ),
        default_senders=(settings.messaging.sms_from, settings.messaging.sms_messaging_service),
    )
    return Response(EMPTY_TWIML, media_type="text/xml")
