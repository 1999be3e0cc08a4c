"""`X-Twilio-Signature`: how Twilio signs the webhooks it sends us.

The signed string is the full URL Twilio called (scheme, host, path and query) followed by the
POST parameters sorted by name, each written as name then value with nothing between; the
signature is the base64 of its HMAC-SHA1 keyed by the account's auth token. A name sent more
than once contributes each of its values, in sorted order, as Twilio's own validators do.

Twilio may sign the URL with or without the default port (":443" for https, ":80" for http)
depending on how the webhook was configured, so verification accepts either spelling.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

SIGNATURE_HEADER = "X-Twilio-Signature"

Params = Mapping[str, str] | Iterable[tuple[str, str]]


def _pairs(params: Params) -> list[tuple[str, str]]:
    items = params.items() if isinstance(params, Mapping) else params
    return sorted((str(name), str(value)) for name, value in items)


def compute_signature(url: str, params: Params, auth_token: str) -> str:
    payload = url + "".join(name + value for name, value in _pairs(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


_DEFAULT_PORTS = {"https": 443, "http": 80}


def url_spellings(url: str) -> list[str]:
    """The URL as given, plus the same URL with its default port added or removed."""
    parts = urlsplit(url)
    default = _DEFAULT_PORTS.get(parts.scheme)
    if default is None or parts.hostname is None:
        return [url]
    netloc = parts.netloc
    host = netloc.rsplit("@", 1)[-1]
    userinfo = netloc[: len(netloc) - len(host)]
    try:
        port = parts.port
    except ValueError:
        return [url]
    if port is None:
        other = f"{userinfo}{host}:{default}"
    elif port == default:
        other = userinfo + host.rsplit(":", 1)[0]
    else:
        return [url]
    return [url, urlunsplit(parts._replace(netloc=other))]


def verify_signature(url: str, params: Params, signature: str | None, auth_token: str) -> bool:
    """Whether `signature` is Twilio's for this request; compared in constant time."""
    if not signature or not auth_token:
        return False
    pairs = _pairs(params)
    given = signature.encode()
    matched = False
    for spelling in url_spellings(url):
        expected = compute_signature(spelling, pairs, auth_token).encode()
        # Every spelling is compared, so the time taken does not say which one matched.
        matched |= hmac.compare_digest(expected, given)
    return matched
