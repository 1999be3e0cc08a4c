"""`/privacy/<organization slug>`: the shopper proves control of an email address or phone
number with a code, then asks to stop marketing, for a copy of their data, or for erasure.

Every answer is the same whether or not a customer holds the identifier (no enumeration): a
code goes to any well-formed identifier, and what is done after verification is decided by
the services out of sight. Forms post back to the page; state between steps lives in a signed
cookie (`app.selfserve.state`), never in a URL. Works without JavaScript.
"""

from __future__ import annotations

import hmac
import uuid
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from app.auth.principal import Principal
from app.config import Settings
from app.models.message import MessageChannel
from app.models.organization import Organization
from app.models.privacy_request import PrivacyRequestKind
from app.organizations.service import find_by_slug
from app.privacy.verification import (
    CodeSent,
    Refused,
    VerificationContext,
    check_code,
    start_verification,
)
from app.privacy_requests.service import (
    ShopperIdentifier,
    file_shopper_request,
    recover_identifier,
)
from app.selfserve import state as page_state
from app.selfserve.state import COOKIE, PageState

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
MAX_FORM_BYTES = 8 * 1024

CHOICES: list[tuple[str, str, str]] = [
    ("opt-out", "Stop marketing messages",
     "No more marketing emails or texts. Nothing else changes."),
    ("export", "Download my data",
     "We send you a link to a file with everything we hold about you."),
    ("erase", "Erase my data", "Your profile, points and history are removed for good."),
    ("recover", "Use this email or phone again",
     "After an erasure it cannot sign up again until you ask here. Your old data stays erased."),
]  # fmt: skip
_KINDS = {
    "opt-out": PrivacyRequestKind.OPT_OUT,
    "export": PrivacyRequestKind.EXPORT,
    "erase": PrivacyRequestKind.ERASE,
}
_DONE = {
    "opt-out": (
        "You will not receive marketing messages",
        "If we hold this email address or phone number, it has been opted out of marketing "
        "emails and texts within the minute.",
    ),
    "export": (
        "Your download is on its way",
        "If we hold data about this email address or phone number, a single-use download "
        "link is being sent to it now.",
    ),
    "recover": (
        "You can use it again",
        "This email address or phone number can be used to sign up again. Nothing that was "
        "erased comes back.",
    ),
    "erase": (
        "Your erasure request is received",
        "If we hold data about this email address or phone number, it is being erased now. "
        "Orders stay in the shop's accounts without your name.",
    ),
}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _context(request: Request) -> VerificationContext:
    redis = request.app.state.resources.redis
    return VerificationContext(redis=redis, secret_key=_settings(request).secret_key)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _csrf(state: PageState, secret_key: str) -> str:
    return hmac.new(secret_key.encode(), f"csrf:{state.csrf}".encode(), "sha256").hexdigest()


def _render(
    request: Request,
    organization: Organization,
    template: str,
    state: PageState,
    status_code: int = 200,
    **values: Any,
) -> Response:
    settings = _settings(request)
    response = templates.TemplateResponse(
        request,
        template,
        {
            "organization_name": organization.name,
            "base_path": f"/privacy/{organization.slug}",
            "csrf": _csrf(state, settings.secret_key),
            **values,
        },
        status_code=status_code,
    )
    return _with_state(response, state, settings, organization)


def _with_state(
    response: Response, state: PageState, settings: Settings, organization: Organization
) -> Response:
    response.set_cookie(
        COOKIE,
        page_state.dump(state, settings.secret_key),
        max_age=page_state.MAX_AGE_SECONDS,
        path=f"/privacy/{organization.slug}",
        httponly=True,
        samesite="strict",
        secure=not settings.is_development,
    )
    response.headers["cache-control"] = "no-store"
    response.headers["x-frame-options"] = "DENY"
    response.headers["content-security-policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    return response


async def _organization(request: Request) -> Organization | None:
    return await find_by_slug(str(request.path_params.get("slug", "")))


def _not_found(request: Request) -> Response:
    response = templates.TemplateResponse(
        request, "not_found.html", {"organization_name": "Privacy"}, status_code=404
    )
    response.headers["cache-control"] = "no-store"
    return response


def _state(request: Request, organization: Organization) -> PageState | None:
    return page_state.load(
        request.cookies.get(COOKIE), _settings(request).secret_key, str(organization.id)
    )


async def _form(request: Request, state: PageState | None) -> dict[str, str] | None:
    """The posted form, if it is small and carries this browser's CSRF value."""
    if state is None:
        return None
    length = request.headers.get("content-length")
    if length is None or not length.isdigit() or int(length) > MAX_FORM_BYTES:
        return None
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    expected = _csrf(state, _settings(request).secret_key)
    if not hmac.compare_digest(values.get("csrf", ""), expected):
        return None
    return values


def _start_over(organization: Organization) -> Response:
    return RedirectResponse(f"/privacy/{organization.slug}", status_code=303)


async def start(request: Request) -> Response:
    organization = await _organization(request)
    if organization is None:
        return _not_found(request)
    state = PageState.fresh(str(organization.id))
    return _render(request, organization, "start.html", state, identifier="")


async def send_code(request: Request) -> Response:
    organization = await _organization(request)
    if organization is None:
        return _not_found(request)
    state = _state(request, organization)
    form = await _form(request, state)
    if state is None or form is None:
        return _start_over(organization)
    typed = form.get("identifier", "").strip()[:254]
    result = await start_verification(organization.id, typed, _client(request), _context(request))
    if isinstance(result, Refused):
        return _render(
            request, organization, "start.html", state, 400, identifier=typed, error=result.message
        )
    assert isinstance(result, CodeSent)
    state = state.with_identifier(typed, result.channel.value)
    return _render(request, organization, "code.html", state, channel=result.channel.value)


async def verify(request: Request) -> Response:
    organization = await _organization(request)
    if organization is None:
        return _not_found(request)
    state = _state(request, organization)
    form = await _form(request, state)
    if state is None or form is None or not state.identifier:
        return _start_over(organization)
    result = await check_code(
        organization.id,
        state.identifier,
        form.get("code", "")[:12],
        _client(request),
        _context(request),
    )
    if isinstance(result, Refused):
        message = result.message
        if result.attempts_left:
            message = f"{message} ({result.attempts_left} attempts left.)"
        return _render(
            request, organization, "code.html", state, 400, channel=state.channel, error=message
        )
    state = state.with_identifier(result.identifier.value, result.identifier.channel.value)
    response = RedirectResponse(f"/privacy/{organization.slug}/choose", status_code=303)
    return _with_state(response, state.verified(), _settings(request), organization)


async def choose(request: Request) -> Response:
    organization = await _organization(request)
    if organization is None:
        return _not_found(request)
    state = _state(request, organization)
    if state is None or not state.is_verified:
        return _start_over(organization)
    return _render(request, organization, "choose.html", state, choices=CHOICES)


async def ask(request: Request) -> Response:
    organization = await _organization(request)
    if organization is None:
        return _not_found(request)
    state = _state(request, organization)
    form = await _form(request, state)
    if state is None or form is None or not state.is_verified:
        return _start_over(organization)
    choice = form.get("choice", "")
    kind = _KINDS.get(choice)
    shopper = ShopperIdentifier(MessageChannel(state.channel), state.identifier)
    system = Principal.system(uuid.UUID(str(organization.id)))
    if choice == "recover":
        await recover_identifier(system, shopper)
    elif kind is None:
        return _render(
            request, organization, "choose.html", state, 400, choices=CHOICES,
            error="Choose one of the options.",
        )  # fmt: skip
    else:
        await file_shopper_request(system, _settings(request), kind, shopper, str(request.base_url))
    heading, message = _DONE[choice]
    # Done: the verification is spent, so another request needs another code.
    return _render(
        request,
        organization,
        "done.html",
        PageState.fresh(str(organization.id)),
        heading=heading,
        message=message,
    )


ROUTES = [
    Route("/privacy/{slug}", start, methods=["GET"]),
    Route("/privacy/{slug}/code", send_code, methods=["POST"]),
    Route("/privacy/{slug}/verify", verify, methods=["POST"]),
    Route("/privacy/{slug}/choose", choose, methods=["GET"]),
    Route("/privacy/{slug}/request", ask, methods=["POST"]),
]
