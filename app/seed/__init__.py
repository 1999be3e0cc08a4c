"""Synthetic data for development, benchmarks, persona and import work.

`generate` makes deterministic customers, orders, items and ledgers with planted behavior
groups (pure); `encode` turns them into table rows; `writer` writes them into an organization
(`loyalty seed`).
"""
