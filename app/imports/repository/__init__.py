"""The imports domain's queries: `jobs` (import jobs, their row errors and the tables they
read on the way) and `batch` (the statements one batch writes, PostgreSQL and SQLite)."""
