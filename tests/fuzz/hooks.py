"""Schemathesis checks and scalars of `make fuzz` (loaded through SCHEMATHESIS_HOOKS).

schemathesis counts every GraphQL error as a server error; here a typed refusal (an error with
`extensions.code`) is the expected answer to odd input. What fails a run is an HTTP 5xx or
the masked "Unexpected error." that stands for an exception nobody expected.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

MASKED = "Unexpected error."

# Odd but valid values of the custom scalars: any string the scalar may refuse, and JSON of
# any shape with any text.
_text = st.text(max_size=60)
schemathesis.graphql.scalar("Date", st.one_of(st.dates().map(str), _text).map(nodes.String))
schemathesis.graphql.scalar(
    "DateTime", st.one_of(st.datetimes().map(lambda d: d.isoformat()), _text).map(nodes.String)
)
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(st.decimals(allow_nan=False, allow_infinity=False).map(str), _text).map(nodes.String),
)
schemathesis.graphql.scalar("JSON", _text.map(nodes.String))


@schemathesis.check
def no_server_error_status(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Any
) -> bool | None:
    if response.status_code >= 500:
        raise AssertionError(f"The service answered HTTP {response.status_code}.")
    return None


@schemathesis.check
def no_masked_error(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Any
) -> bool | None:
    """Odd but valid input must get a typed answer, never the mask of an unexpected error."""
    if MASKED in response.text:
        raise AssertionError("The service answered with a masked unexpected error.")
    return None
