"""Automatic persisted queries (Apollo's `extensions.persistedQuery`): a client sends the
SHA-256 of its query text instead of the text, and the text once when the server asks.

Texts are stored only under their own hash (checked here), so a client cannot plant a text
under another document's hash. The POS documents are pinned; the others are kept in a bounded
LRU, so the store cannot grow without limit whatever clients send.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

NOT_FOUND_CODE = "PERSISTED_QUERY_NOT_FOUND"
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
MAX_TEXT_CHARS = 32 * 1024
MAX_TOTAL_CHARS = 4 * 1024 * 1024


def sha256_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted_hash(extensions: Any) -> str | None:
    """The hash a request names, when it follows Apollo's protocol (version 1)."""
    if type(extensions) is not dict:
        return None
    persisted = extensions.get("persistedQuery")
    if type(persisted) is not dict or persisted.get("version") != 1:
        return None
    digest = persisted.get("sha256Hash")
    return digest.lower() if type(digest) is str and len(digest) == 64 else None


class DocumentStore:
    def __init__(
        self, max_text_chars: int = MAX_TEXT_CHARS, max_total_chars: int = MAX_TOTAL_CHARS
    ) -> None:
        self.max_text_chars = max_text_chars
        self.max_total_chars = max_total_chars
        self._pinned: dict[str, str] = {}
        self._recent: OrderedDict[str, str] = OrderedDict()
        self._total = 0

    def pin(self, text: str) -> str:
        digest = sha256_of(text)
        self._pinned[digest] = text
        return digest

    def get(self, digest: str) -> str | None:
        text = self._pinned.get(digest)
        if text is not None:
            return text
        text = self._recent.get(digest)
        if text is not None:
            self._recent.move_to_end(digest)
        return text

    def remember(self, digest: str, text: str) -> bool:
        """Keep `text` under `digest` if it is its hash; False when it is not."""
        if digest in self._pinned or digest in self._recent:
            return self.get(digest) == text
        if sha256_of(text) != digest:
            return False
        if len(text) > self.max_text_chars:
            return True
        self._recent[digest] = text
        self._total += len(text)
        while self._total > self.max_total_chars:
            _, dropped = self._recent.popitem(last=False)
            self._total -= len(dropped)
        return True

    def __len__(self) -> int:
        return len(self._pinned) + len(self._recent)
