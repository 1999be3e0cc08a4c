"""The within-file duplicate index: first claim wins, across batches, bounded memory."""

from __future__ import annotations

from app.imports.seen import BatchClaims, SeenKeys


def test_first_claim_wins_within_and_across_batches() -> None:
    index = SeenKeys()
    first = BatchClaims(index, [("email", "a"), ("email", "b")])
    assert first.first_row(("email", "a")) is None
    first.claim([("email", "a")], 2)
    first.claim([("email", "a"), ("phone", "1")], 3)
    assert first.first_row(("email", "a")) == 2
    first.commit()
    second = BatchClaims(index, [("email", "a"), ("phone", "1"), ("email", "c")])
    assert second.first_row(("email", "a")) == 2
    assert second.first_row(("phone", "1")) == 3
    assert second.first_row(("email", "c")) is None


def test_many_batches_merge_levels_and_keep_every_claim() -> None:
    index = SeenKeys()
    for batch in range(200):
        keys = [("email", f"{batch}-{i}") for i in range(50)]
        claims = BatchClaims(index, keys)
        for i, key in enumerate(keys):
            claims.claim([key], batch * 50 + i)
        claims.commit()
    assert len(index) == 10_000
    assert index.nbytes == 10_000 * 12
    probe = BatchClaims(index, [("email", "0-0"), ("email", "199-49"), ("email", "x")])
    assert probe.first_row(("email", "0-0")) == 0
    assert probe.first_row(("email", "199-49")) == 9_999
    assert probe.first_row(("email", "x")) is None


def test_uncommitted_claims_are_forgotten() -> None:
    index = SeenKeys()
    claims = BatchClaims(index, [("email", "a")])
    claims.claim([("email", "a")], 2)
    # The batch rolled back: a new attempt starts from the index alone.
    assert BatchClaims(index, [("email", "a")]).first_row(("email", "a")) is None
