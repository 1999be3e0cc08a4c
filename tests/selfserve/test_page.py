"""The self-serve privacy page over HTTP: verification by code, the three requests, and the
same pages for a known and an unknown identifier."""

from __future__ import annotations

import re

import httpx
from arq.connections import ArqRedis

from app.auth.principal import Principal
from app.config import Settings
from app.models.customer import Customer, CustomerStatus, SmsState
from app.models.message import MessagePurpose
from app.models.organization import Organization
from app.models.privacy_request import PrivacyRequest, PrivacyRequestSource
from app.privacy_requests.service import run_request
from tests.conftest import GraphQLClient, Tenant
from tests.selfserve.page import Visit, code_sent_to, latest_message

CREATE = """
mutation($input: CustomerFieldsInput!) {
  customerCreate(input: $input) { customer { id } errors { code } }
}"""
KNOWN = "shopper@example.org"
UNKNOWN = "stranger@example.org"
_TAGS = re.compile(r"<[^>]+>")


async def page_of(tenant: Tenant) -> str:
    org = await Organization.get(id=tenant.organization_id)
    if org.slug is None:
        org.slug = f"shop-{str(org.id)[-8:]}"
        await org.save(update_fields=["slug"])
    return f"/privacy/{org.slug}"


def visible(html: str) -> str:
    """The page's text with the values that differ per visit (CSRF, the identifier) removed."""
    text = re.sub(r'value="[^"]*"', "", html)
    return _TAGS.sub(" ", text.replace(KNOWN, "X").replace(UNKNOWN, "X"))


async def verified_visit(http: httpx.AsyncClient, base: str, identifier: str) -> Visit:
    visit = await Visit(http, base).open()
    await visit.post("code", identifier=identifier)
    assert visit.status == 200, visit.html
    await visit.post("verify", code=await code_sent_to(identifier))
    assert visit.status == 200, visit.html
    assert "What would you like to do?" in visit.html
    return visit


class TestVerification:
    async def test_known_and_unknown_identifiers_see_the_same_pages(
        self, http: httpx.AsyncClient, tenant: Tenant, arq_redis: ArqRedis
    ) -> None:
        await Customer.create(organization_id=tenant.organization_id, email=KNOWN)
        base = await page_of(tenant)
        pages: dict[str, list[str]] = {}
        for identifier in (KNOWN, UNKNOWN):
            visit = await Visit(http, base).open()
            seen = [visible(visit.html)]
            await visit.post("code", identifier=identifier)
            seen.append(visible(visit.html))
            await visit.post("verify", code=await code_sent_to(identifier))
            seen.append(visible(visit.html))
            await visit.post("request", choice="opt-out")
            seen.append(visible(visit.html))
            pages[identifier] = seen
            http.cookies.clear()
        assert pages[KNOWN] == pages[UNKNOWN]
        assert "You will not receive marketing messages" in pages[KNOWN][-1]

    async def test_a_wrong_code_is_refused_next_to_the_field(
        self, http: httpx.AsyncClient, tenant: Tenant, arq_redis: ArqRedis
    ) -> None:
        base = await page_of(tenant)
        visit = await Visit(http, base).open()
        await visit.post("code", identifier=KNOWN)
        right = await code_sent_to(KNOWN)
        wrong = "000000" if right != "000000" else "111111"
        await visit.post("verify", code=wrong)
        assert visit.status == 400
        assert 'id="code-error"' in visit.html
        assert 'aria-invalid="true"' in visit.html
        assert "4 attempts left" in visit.html
        await visit.post("verify", code=right)
        assert "What would you like to do?" in visit.html

    async def test_an_invalid_identifier_is_refused_next_to_the_field(
        self, http: httpx.AsyncClient, tenant: Tenant, arq_redis: ArqRedis
    ) -> None:
        visit = await Visit(http, await page_of(tenant)).open()
        await visit.post("code", identifier="not an email")
        assert visit.status == 400
        assert 'id="identifier-error"' in visit.html
        assert "Enter a valid email address or phone number." in visit.html

    async def test_forms_without_the_csrf_value_start_over(
        self, http: httpx.AsyncClient, tenant: Tenant, arq_redis: ArqRedis
    ) -> None:
        base = await page_of(tenant)
        await Visit(http, base).open()
        response = await http.post(f"{base}/code", data={"identifier": KNOWN, "csrf": "forged"})
        assert response.status_code == 303
        assert response.headers["location"] == base
        assert await latest_message(KNOWN, MessagePurpose.VERIFICATION_CODE) is None
        skipped = await http.get(f"{base}/choose")
        assert skipped.status_code == 303

    async def test_an_unknown_organization_is_not_found(self, http: httpx.AsyncClient) -> None:
        response = await http.get("/privacy/no-such-shop")
        assert response.status_code == 404
        assert "Page not found" in response.text


class TestRequests:
    async def test_opt_out_erase_and_export_for_a_verified_shopper(
        self,
        http: httpx.AsyncClient,
        tenant: Tenant,
        settings: Settings,
        arq_redis: ArqRedis,
    ) -> None:
        customer = await Customer.create(
            organization_id=tenant.organization_id,
            email=KNOWN,
            first_name="Shona",
            email_opt_in=True,
            sms_state=SmsState.SUBSCRIBED,
        )
        base = await page_of(tenant)
        system = Principal.system(tenant.organization_id)

        visit = await verified_visit(http, base, KNOWN)
        await visit.post("request", choice="opt-out")
        opt_out = await PrivacyRequest.get(customer_id=customer.id, kind="OPT_OUT")
        assert opt_out.source is PrivacyRequestSource.SHOPPER
        await run_request(system, settings, opt_out.id)
        row = await Customer.get(id=customer.id)
        assert (row.email_opt_in, row.sms_state) == (False, SmsState.UNSUBSCRIBED)

        visit = await verified_visit(http, base, KNOWN)
        await visit.post("request", choice="export")
        assert "Your download is on its way" in visit.html
        link_message = await latest_message(KNOWN, MessagePurpose.EXPORT_LINK)
        assert link_message is not None
        path = re.search(r"https?://[^/\s]+(/privacy/exports/\S+)", link_message.body)
        assert path, link_message.body
        preparing = await http.get(path.group(1))
        assert preparing.status_code == 202
        export = await PrivacyRequest.get(customer_id=customer.id, kind="EXPORT")
        await run_request(system, settings, export.id)
        download = await http.get(path.group(1))
        assert download.status_code == 200
        assert download.json()["customer"]["firstName"] == "Shona"
        assert (await http.get(path.group(1))).status_code == 404

        visit = await verified_visit(http, base, KNOWN)
        await visit.post("request", choice="erase")
        erase = await PrivacyRequest.get(customer_id=customer.id, kind="ERASE")
        await run_request(system, settings, erase.id)
        assert (await Customer.get(id=customer.id)).status is CustomerStatus.ERASED

    async def test_a_choice_needs_a_fresh_verification(
        self, http: httpx.AsyncClient, tenant: Tenant, arq_redis: ArqRedis
    ) -> None:
        base = await page_of(tenant)
        visit = await verified_visit(http, base, KNOWN)
        done_html = (await visit.post("request", choice="opt-out")).html
        again = await http.post(f"{base}/request", data={"choice": "erase", "csrf": "x"})
        assert again.status_code == 303
        assert "Back to the start" in done_html


class TestRecovery:
    async def test_an_erased_identifier_can_be_used_again_after_its_code(
        self,
        gql: GraphQLClient,
        http: httpx.AsyncClient,
        tenant: Tenant,
        settings: Settings,
        arq_redis: ArqRedis,
    ) -> None:
        customer = await Customer.create(organization_id=tenant.organization_id, email=KNOWN)
        base = await page_of(tenant)
        visit = await verified_visit(http, base, KNOWN)
        await visit.post("request", choice="erase")
        erase = await PrivacyRequest.get(customer_id=customer.id, kind="ERASE")
        await run_request(Principal.system(tenant.organization_id), settings, erase.id)
        status = "query($e: String) { identifierStatus(email: $e) { status } }"
        assert (await gql.data(status, {"e": KNOWN}, tenant.token))["identifierStatus"] == {
            "status": "ERASED"
        }
        refused = await gql.data(CREATE, {"input": {"email": KNOWN}}, tenant.token)
        assert [e["code"] for e in refused["customerCreate"]["errors"]] == [
            "IDENTIFIER_UNAVAILABLE"
        ]

        visit = await verified_visit(http, base, KNOWN)
        await visit.post("request", choice="recover")
        assert "You can use it again" in visit.html
        created = await gql.data(CREATE, {"input": {"email": KNOWN}}, tenant.token)
        assert created["customerCreate"]["errors"] == []
        # The old customer stays erased; the new one is someone new.
        assert (await Customer.get(id=customer.id)).status is CustomerStatus.ERASED

    async def test_erasing_an_unknown_identifier_blocks_it(
        self, gql: GraphQLClient, http: httpx.AsyncClient, tenant: Tenant, arq_redis: ArqRedis
    ) -> None:
        visit = await verified_visit(http, await page_of(tenant), UNKNOWN)
        await visit.post("request", choice="erase")
        refused = await gql.data(CREATE, {"input": {"email": UNKNOWN}}, tenant.token)
        assert [e["code"] for e in refused["customerCreate"]["errors"]] == [
            "IDENTIFIER_UNAVAILABLE"
        ]
