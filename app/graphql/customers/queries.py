from __future__ import annotations

import strawberry

from app.core.errors import DomainError, InvalidArgument
from app.core.ids import parse_id
from app.core.pagination import PageRequest
from app.customers import service
from app.customers.sorting import CUSTOMER_SORTS
from app.graphql.context import Context, Info
from app.graphql.customers.inputs import CustomerSortInput, CustomerWhereInput
from app.graphql.customers.stats import CustomerStatsType
from app.graphql.customers.types import ArchivedCustomer, CustomerType
from app.graphql.pagination import Connection, build_connection, sorted_request


async def customer_page(
    context: Context,
    *,
    search: str | None = None,
    where: CustomerWhereInput | None = None,
    include_archived: bool = False,
    sort_by: CustomerSortInput | None = None,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[CustomerType]:
    """The `customers` field: the resolver below and the compiled path (app.graphql.persisted)
    both call this, so the two cannot drift apart."""
    request = sorted_request(CUSTOMER_SORTS, sort_by, first, after, last, before)
    page = await service.list_customers(
        context.principal,
        request,
        search=search,
        where=where.to_filter() if where else None,
        include_archived=include_archived,
    )
    return build_connection(page, CustomerType.from_model, request.sort.cursor_for)


@strawberry.type
class CustomerQueries:
    @strawberry.field(
        description="One customer by exactly one key. Archived customers are found; a merged "
        "one resolves to its survivor; erased ones are never found."
    )
    async def customer(
        self,
        info: Info,
        id: strawberry.ID | None = None,
        email: str | None = None,
        phone: str | None = None,
        external_reference: str | None = None,
    ) -> CustomerType | None:
        principal = info.context.principal
        try:
            found = await service.get_customer(
                principal,
                customer_id=parse_id(id, "id") if id is not None else None,
                email=email,
                phone=phone,
                external_reference=external_reference,
            )
        except DomainError as exc:
            raise InvalidArgument(exc.message) from None
        return CustomerType.from_model(found) if found else None

    @strawberry.field(
        description="Customers by search term (email, phone in any format, id, external "
        "reference, or name prefix) and filters. Archived customers only with includeArchived. "
        "Sorted by `sortBy` (creation order without it); page forward with first/after or "
        "backward with last/before; a cursor is valid only under the sort it came from."
    )
    async def customers(
        self,
        info: Info,
        search: str | None = None,
        where: CustomerWhereInput | None = None,
        include_archived: bool = False,
        sort_by: CustomerSortInput | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[CustomerType]:
        return await customer_page(
            info.context,
            search=search,
            where=where,
            include_archived=include_archived,
            sort_by=sort_by,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(
        description="Dashboard counts (lifecycle stage, RFM segment, tier, persona, SMS state, "
        "email opt-in, totals) of the customers `customers` lists with the same `search`, "
        "`where` and `includeArchived`."
    )
    async def customer_stats(
        self,
        info: Info,
        search: str | None = None,
        where: CustomerWhereInput | None = None,
        include_archived: bool = False,
    ) -> CustomerStatsType:
        found = await service.customer_stats(
            info.context.principal,
            search=search,
            where=where.to_filter() if where else None,
            include_archived=include_archived,
        )
        return CustomerStatsType.of(found)

    @strawberry.field(description="Archived customers, each shown by one contact only.")
    async def archived_customers(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ArchivedCustomer]:
        page = await service.list_archived(info.context.principal, PageRequest.of(first, after))
        return build_connection(page, ArchivedCustomer.from_model)
