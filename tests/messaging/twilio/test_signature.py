from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from app.messaging.twilio.signature import compute_signature, url_spellings, verify_signature
from tests.fake_twilio import twilio_signature

# The example of Twilio's security documentation ("Validating requests", also in the
# twilio-python test suite, tests/unit/test_request_validator.py): auth token 12345.
DOC_TOKEN = "12345"
DOC_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
DOC_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
DOC_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_twilio_documented_example() -> None:
    assert compute_signature(DOC_URL, DOC_PARAMS, DOC_TOKEN) == DOC_SIGNATURE
    assert verify_signature(DOC_URL, DOC_PARAMS, DOC_SIGNATURE, DOC_TOKEN)


def test_a_name_sent_twice_signs_each_value_in_order() -> None:
    # twilio-python's vector for repeated parameters (Digits=5678&Digits=1234).
    params = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]
    assert compute_signature(DOC_URL, params, DOC_TOKEN) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


def test_the_default_port_may_be_signed_or_not() -> None:
    # twilio-python's vector for the same request signed with ":443" in the URL.
    assert verify_signature(DOC_URL, DOC_PARAMS, "kvajT1Ptam85bY51eRf/AJRuM3w=", DOC_TOKEN)
    with_port = DOC_URL.replace(".com", ".com:443")
    assert verify_signature(with_port, DOC_PARAMS, DOC_SIGNATURE, DOC_TOKEN)
    other_port = DOC_URL.replace(".com", ".com:8443")
    assert not verify_signature(other_port, DOC_PARAMS, DOC_SIGNATURE, DOC_TOKEN)


@pytest.mark.parametrize(
    ("url", "spellings"),
    [
        ("https://a.example/x?y=1", ["https://a.example/x?y=1", "https://a.example:443/x?y=1"]),
        ("http://a.example:80/x", ["http://a.example:80/x", "http://a.example/x"]),
        ("https://u:p@a.example/x", ["https://u:p@a.example/x", "https://u:p@a.example:443/x"]),
        ("https://a.example:8443/x", ["https://a.example:8443/x"]),
        ("ftp://a.example/x", ["ftp://a.example/x"]),
    ],
)
def test_url_spellings(url: str, spellings: list[str]) -> None:
    assert url_spellings(url) == spellings


@pytest.mark.parametrize("signature", [None, "", "RSOYDt4T1cUTdK1PDd93/VVr8B8", "é" * 28])
def test_missing_or_malformed_signatures_fail(signature: str | None) -> None:
    assert not verify_signature(DOC_URL, DOC_PARAMS, signature, DOC_TOKEN)


def test_an_empty_auth_token_never_verifies() -> None:
    assert not verify_signature(DOC_URL, DOC_PARAMS, compute_signature(DOC_URL, DOC_PARAMS, ""), "")


_TEXT = st.text(max_size=40)
_PARAMS = st.dictionaries(st.text(min_size=1, max_size=12), _TEXT, max_size=6)
_URLS = st.builds(
    lambda path, query: f"https://hooks.example.com/{path}?{query}",
    st.text(alphabet="abcdefghij/-_", max_size=20),
    st.text(alphabet="abc=&1234", max_size=20),
)
_TOKENS = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)


@given(url=_URLS, params=_PARAMS, token=_TOKENS)
def test_agrees_with_an_independent_implementation(
    url: str, params: dict[str, str], token: str
) -> None:
    signature = twilio_signature(url, params, token)
    assert compute_signature(url, params, token) == signature
    assert verify_signature(url, params, signature, token)


@given(url=_URLS, other=_URLS, params=_PARAMS, token=_TOKENS)
def test_another_url_breaks_it(url: str, other: str, params: dict[str, str], token: str) -> None:
    assume(other not in url_spellings(url))
    signature = compute_signature(url, params, token)
    assert not verify_signature(other, params, signature, token)


@given(url=_URLS, params=_PARAMS, token=_TOKENS, name=st.text(min_size=1), value=_TEXT)
def test_a_changed_or_added_parameter_breaks_it(
    url: str, params: dict[str, str], token: str, name: str, value: str
) -> None:
    assume(params.get(name) != value)
    signature = compute_signature(url, params, token)
    changed = {**params, name: value}
    # Name+value pairs are concatenated, so a change can only go unnoticed when the
    # concatenation is the same string: rule that coincidence out.
    assume(
        "".join(n + v for n, v in sorted(changed.items()))
        != "".join(n + v for n, v in sorted(params.items()))
    )
    assert not verify_signature(url, changed, signature, token)


@given(url=_URLS, params=_PARAMS.filter(bool), token=_TOKENS, data=st.data())
def test_a_removed_parameter_breaks_it(
    url: str, params: dict[str, str], token: str, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(params)))
    signature = compute_signature(url, params, token)
    removed = {k: v for k, v in params.items() if k != name}
    assert not verify_signature(url, removed, signature, token)


@given(url=_URLS, params=_PARAMS, token=_TOKENS, other=_TOKENS)
def test_another_token_breaks_it(url: str, params: dict[str, str], token: str, other: str) -> None:
    assume(token != other)
    signature = compute_signature(url, params, token)
    assert not verify_signature(url, params, signature, other)
