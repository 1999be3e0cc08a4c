"""Parsed and validated query documents, kept by query text within a budget of bytes.

strawberry's ParserCache and ValidationCache bound their LRUs by entries only: distinct large
documents (megabytes of padding each) stayed in them for good. This cache counts the bytes of
every query text it keeps and drops the least recently used documents past its budget, and a
document larger than the whole budget is never kept.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from graphql import DocumentNode, GraphQLError


@dataclass
class CachedDocument:
    document: DocumentNode
    # None until the document has been validated once.
    errors: list[GraphQLError] | None = None
    # What app.graphql.input_limits derived from the document, by operation name.
    argument_checks: dict[str | None, Any] | None = None
    weight: int = field(default=0, repr=False)


# A document's syntax tree (and the token list graphql-core keeps with it) costs about 100
# bytes per character of dense query text, measured with tracemalloc: a few hundred bytes per
# token. Counted per token, so a text padded with whitespace weighs its own length.
BYTES_PER_TOKEN = 512


def token_count(document: DocumentNode) -> int:
    loc = document.loc
    token = loc.start_token if loc is not None else None
    count = 0
    while token is not None:
        count += 1
        token = token.next
    return count


class DocumentCache:
    def __init__(self, max_bytes: int, max_entries: int = 512) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.bytes = 0
        self._entries: OrderedDict[str, CachedDocument] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, query: str) -> CachedDocument | None:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
        return entry

    def put(self, query: str, entry: CachedDocument) -> None:
        entry.weight = len(query) + BYTES_PER_TOKEN * token_count(entry.document)
        if entry.weight > self.max_bytes:
            return
        previous = self._entries.pop(query, None)
        if previous is not None:
            self.bytes -= previous.weight
        self._entries[query] = entry
        self.bytes += entry.weight
        while self.bytes > self.max_bytes or len(self._entries) > self.max_entries:
            _, dropped = self._entries.popitem(last=False)
            self.bytes -= dropped.weight
