from __future__ import annotations

import numpy as np
import pytest

from app.predictions.bgnbd import BgNbdParams, expected_purchases_new
from app.predictions.simulate import simulate_bgnbd, simulate_spend
from tests.predictions.cdnow import CDNOW, CDNOW_SPEND


class TestSimulateBgNbd:
    def test_rows_are_valid_customers(self) -> None:
        rng = np.random.default_rng(1)
        ages = rng.uniform(0, 39, 50_000)
        sim = simulate_bgnbd(CDNOW, ages, holdout=10.0, rng=rng)
        assert sim.holdout_purchases is not None
        assert np.array_equal(sim.age, ages)
        assert np.all(sim.frequency == np.round(sim.frequency))
        assert np.all((sim.recency >= 0) & (sim.recency <= sim.age))
        assert np.all(sim.recency[sim.frequency == 0] == 0)
        assert np.all(sim.recency[sim.frequency > 0] > 0)
        # Only the active customers buy in the holdout.
        assert np.all(sim.holdout_purchases[sim.alive == 0] == 0)
        assert sim.holdout_purchases.sum() > 0

    def test_without_drop_out_it_is_a_poisson_process(self) -> None:
        # p ~ Beta(1e-3, 1e4) is ~0: purchase counts are Poisson(λT) and, given x, the last
        # purchase time is the maximum of x uniforms (mean T·x/(x+1)).
        immortal = BgNbdParams(r=50.0, alpha=50.0, a=1e-3, b=1e4)
        sim = simulate_bgnbd(immortal, np.full(100_000, 10.0), rng=np.random.default_rng(2))
        assert sim.frequency.mean() == pytest.approx(10.0, rel=0.01)
        three = sim.frequency == 3
        assert sim.recency[three].mean() == pytest.approx(10.0 * 3 / 4, rel=0.02)

    def test_holdout_purchases_have_the_unconditional_mean_at_age_zero(self) -> None:
        sim = simulate_bgnbd(CDNOW, np.zeros(400_000), holdout=39.0, rng=np.random.default_rng(4))
        assert sim.holdout_purchases is not None
        assert np.all(sim.frequency == 0)
        error = sim.holdout_purchases.std() / np.sqrt(sim.holdout_purchases.size)
        expected = expected_purchases_new(CDNOW, 39.0)
        assert abs(sim.holdout_purchases.mean() - expected) < 4 * error

    def test_negative_ages_are_refused(self) -> None:
        with pytest.raises(ValueError, match="ages"):
            simulate_bgnbd(CDNOW, [-1.0], rng=np.random.default_rng(0))


class TestSimulateSpend:
    def test_mean_values_follow_the_gamma_gamma_moments(self) -> None:
        rng = np.random.default_rng(3)
        x = np.full(400_000, 1.0)
        m = simulate_spend(CDNOW_SPEND, x, rng=rng)
        # E[order value] = p·v/(q-1).
        assert m.mean() == pytest.approx(CDNOW_SPEND.population_mean, rel=0.02)

    def test_no_repeat_order_has_no_mean(self) -> None:
        m = simulate_spend(CDNOW_SPEND, [0.0, 2.0], rng=np.random.default_rng(0))
        assert np.isnan(m[0])
        assert m[1] > 0
