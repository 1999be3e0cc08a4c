"""Persisted POS operations: the hottest GraphQL operations, compiled once and run without
strawberry's executor. The admin customer table's pages (`customers`) compile the same way.

The POS wallet lookups (`wallet` by phone, email, external reference or customer id) come
thousands of times a second in a handful of shapes. `PersistedOperations` sits in front of
strawberry in the view: a JSON POST whose query text (any formatting, any operation name, or
an Apollo persisted-query hash) compiles to a plan is answered by that plan, through the same
context (credential cache), the same resolver function, the same error masking and the same
response encoding; everything else goes to strawberry unchanged. Off with
LOYALTY_COMPILED_OPERATIONS=0.
"""

from app.graphql.persisted.handler import PersistedOperations, Stats
from app.graphql.persisted.operations import POS_DOCUMENTS, ROOT_FIELDS

__all__ = ["POS_DOCUMENTS", "ROOT_FIELDS", "PersistedOperations", "Stats"]
