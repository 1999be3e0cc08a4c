"""Tortoise models, one module per aggregate. `MODEL_MODULES` is what Tortoise loads."""

MODEL_MODULES = [
    "app.models.organization",
    "app.models.staff",
    "app.models.api_key",
    "app.models.customer",
    "app.models.consent",
    "app.models.audit",
    "app.models.order",
    "app.models.earning_rule",
    "app.models.wallet",
    "app.models.imports",
    "app.models.persona",
    "app.models.duplicates",
    "app.models.privacy_request",
    "app.models.message",
    "app.models.merge",
    "app.models.privacy",
    "app.models.prediction",
    "app.models.campaign",
]
