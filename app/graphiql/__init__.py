"""GraphiQL served by the service itself, so the development IDE works without internet.

The built scripts and styles (React, GraphiQL, its explorer plugin) come from the
`graphene-django-graphiql-static` package, which ships them as package data; only its
files are read, its Django code is never imported. The page (page.html) is ours: strawberry's
own page expects other versions of these scripts from a CDN. Each file is named in the page
with its Subresource Integrity hash, so the browser runs exactly the files of the package.
"""

from __future__ import annotations

import base64
import hashlib
import string
from dataclasses import dataclass
from functools import cache
from importlib import resources

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

ASSETS_PACKAGE = "graphene_django_graphiql_static"
ASSETS_ROUTE = "/graphiql/assets/{name}"
ASSETS_PREFIX = "/graphiql/assets/"
# The files the page uses, in the order it loads them.
STYLES = ("graphiql.min.css", "style.css")
SCRIPTS = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphiql-plugin-explorer.umd.js",
)
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# The file names carry no version, so a browser revalidates after an hour.
CACHE_CONTROL = "public, max-age=3600"


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    integrity: str


@cache
def assets() -> dict[str, Asset]:
    folder = resources.files(ASSETS_PACKAGE) / "static" / ASSETS_PACKAGE
    found: dict[str, Asset] = {}
    for name in (*STYLES, *SCRIPTS):
        body = (folder / name).read_bytes()
        digest = base64.b64encode(hashlib.sha384(body).digest()).decode()
        media_type = MEDIA_TYPES[name[name.rfind(".") :]]
        found[name] = Asset(body, media_type, f"sha384-{digest}")
    return found


@cache
def page() -> str:
    """The GraphiQL page, pointing at this service's copies of the assets."""
    files = assets()
    styles = "\n".join(
        f'    <link rel="stylesheet" href="{ASSETS_PREFIX}{name}" '
        f'integrity="{files[name].integrity}" crossorigin="anonymous" />'
        for name in STYLES
    )
    scripts = "\n".join(
        f'    <script src="{ASSETS_PREFIX}{name}" integrity="{files[name].integrity}" '
        'crossorigin="anonymous"></script>'
        for name in SCRIPTS
    )
    template = (resources.files(__package__) / "page.html").read_text(encoding="utf-8")
    return string.Template(template).substitute(styles=styles, scripts=scripts)


async def asset(request: Request) -> Response:
    found = assets().get(request.path_params["name"])
    if found is None:
        return PlainTextResponse("Not Found", status_code=404)
    return Response(
        found.body, media_type=found.media_type, headers={"Cache-Control": CACHE_CONTROL}
    )
