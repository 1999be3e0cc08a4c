"""The download of an export: `GET /privacy/exports/{token}`, no other credential.

The token is single-use and expires (24 h by default); it is random, not personal data, and only
its sha256 is stored. Unknown, used and expired tokens get the same 404, so the route tells a
guesser nothing. The file is deleted as it is handed over.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.privacy_requests import service

_NO_STORE = {"cache-control": "no-store", "referrer-policy": "no-referrer"}


async def download_export(request: Request) -> Response:
    settings = request.app.state.settings
    token = str(request.path_params.get("token", ""))
    content = await service.take_export(settings, token)
    if content == service.EXPORT_PENDING:
        return JSONResponse(
            {
                "status": "PREPARING",
                "message": "Your data is being prepared: try again in a minute.",
            },
            status_code=202,
            headers={**_NO_STORE, "retry-after": "30"},
        )
    if content is None:
        return JSONResponse(
            {"errors": [{"message": "This link is not valid: it was used, or it expired."}]},
            status_code=404,
            headers=_NO_STORE,
        )
    return Response(
        content,
        media_type="application/json",
        headers={
            **_NO_STORE,
            "content-disposition": 'attachment; filename="my-data.json"',
        },
    )
