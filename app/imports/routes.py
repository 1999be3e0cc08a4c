"""HTTP routes of imports that are not GraphQL: the row-error report download.

`GET /imports/{id}/errors.csv` with the same `Authorization: Bearer` credential as GraphQL.
The URL carries only the job id; the CSV carries row numbers, columns, codes and messages,
never a value of the file, with formula-looking cells neutralized for spreadsheets.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from app.auth.credentials import authenticate, bearer_of
from app.core.errors import NotAuthenticated, PublicError
from app.core.ids import try_parse_id
from app.imports import service

STATUS_OF = {"UNAUTHENTICATED": 401, "INVALID_CREDENTIALS": 401, "FORBIDDEN": 403}


def _refusal(error: PublicError) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": str(error), "extensions": error.extensions}]},
        status_code=STATUS_OF.get(error.code.value, 400),
    )


async def error_report(request: Request) -> Response:
    settings = request.app.state.settings
    secret = bearer_of(request)
    try:
        if secret is None:
            raise NotAuthenticated("Sign in or send an API key.")
        principal = await authenticate(secret, settings.credential_cache_seconds)
        job_id = try_parse_id(str(request.path_params.get("job_id", "")))
        chunks = None if job_id is None else await service.error_report(principal, job_id)
    except PublicError as exc:
        return _refusal(exc)
    if chunks is None or job_id is None:
        return JSONResponse({"errors": [{"message": "No such import."}]}, status_code=404)

    async def body() -> AsyncIterator[bytes]:
        # A byte order mark, so spreadsheets read the file as UTF-8.
        yield "\ufeff".encode()
        async for chunk in chunks:
            yield chunk.encode()

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="import-{job_id}-errors.csv"',
            "cache-control": "no-store",
        },
    )
