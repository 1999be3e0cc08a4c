from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from app.core.ids import new_id
from app.models.customer import Customer
from app.models.organization import Organization, Store


class OrderStatus(StrEnum):
    COMPLETED = "COMPLETED"
    REFUNDED = "REFUNDED"
    VOIDED = "VOIDED"


class Order(Model):
    """A completed purchase. Unique by receipt number within the organization."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.CASCADE
    )
    organization_id: object
    # Null once the customer is erased: the order stays for accounting, without identity.
    customer: fields.ForeignKeyNullableRelation[Customer] = fields.ForeignKeyField(
        "models.Customer", related_name="orders", null=True, on_delete=fields.SET_NULL
    )
    customer_id: object
    store: fields.ForeignKeyNullableRelation[Store] = fields.ForeignKeyField(
        "models.Store", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    store_id: object
    receipt_number = fields.CharField(max_length=64)
    total: Decimal = fields.DecimalField(max_digits=12, decimal_places=2)
    placed_at = fields.DatetimeField()
    status = fields.CharEnumField(OrderStatus, max_length=12, default=OrderStatus.COMPLETED)
    points_earned = fields.IntField(default=0)
    # Units bought (an import's quantity column), when known; kept on the order because a
    # file may carry the count without item lines.
    units = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    items: fields.ReverseRelation[OrderItem]

    class Meta:
        table = "customer_order"
        unique_together = (("organization", "receipt_number"),)
        indexes = (
            Index(fields=("customer_id", "placed_at")),
            # The TOTAL sort of a customer's orders (app/orders/sorting.py).
            Index(fields=("customer_id", "total", "id")),
        )


class OrderItem(Model):
    id = fields.UUIDField(primary_key=True, default=new_id)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "models.Order", related_name="items", on_delete=fields.CASCADE
    )
    order_id: object
    sku = fields.CharField(max_length=64)
    category = fields.CharField(max_length=100, null=True)
    tags: fields.Field[list[str]] = fields.JSONField(default=list)
    quantity = fields.IntField(default=1)
    price: Decimal = fields.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        table = "order_item"
        indexes = (Index(fields=("order_id",)),)
