from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import approx_fprime
from scipy.stats import gamma as gamma_distribution

from app.predictions.bgnbd import expected_purchases
from app.predictions.gamma_gamma import (
    GammaGammaParams,
    _gradient_rows,
    _log_likelihood_rows,
    expected_average_value,
    expected_spend,
    fit_gamma_gamma,
    log_likelihood,
)
from app.predictions.simulate import simulate_spend
from tests.predictions.cdnow import CDNOW, CDNOW_SPEND, cdnow_customers


def spenders(seed: int, n: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    """Repeat-order counts of CDNOW-like customers (all with at least one, as the fit uses) and
    the mean value of their orders."""
    rng = np.random.default_rng(seed)
    x = (rng.geometric(0.35, n)).astype(float)
    return x, simulate_spend(CDNOW_SPEND, x, rng=rng)


class TestFit:
    def test_recovers_the_cdnow_parameters_from_20000_customers(self) -> None:
        x, m = spenders(seed=2024)
        fit = fit_gamma_gamma(x, m)
        assert fit.converged
        assert fit.customers == 20_000
        # Tolerances: about 3 standard deviations of the estimates over 20 simulated samples
        # (p 6%, q 3%, v 9% with ~6,000 repeat buyers; these 20,000 all have repeat orders).
        assert fit.params.p == pytest.approx(CDNOW_SPEND.p, rel=0.15)
        assert fit.params.q == pytest.approx(CDNOW_SPEND.q, rel=0.10)
        assert fit.params.v == pytest.approx(CDNOW_SPEND.v, rel=0.25)
        truth = float(log_likelihood(CDNOW_SPEND, x, m).sum())
        assert truth <= fit.log_likelihood

    def test_customers_without_repeat_orders_are_left_out(self) -> None:
        sim = cdnow_customers(seed=1, n=20_000)
        m = simulate_spend(CDNOW_SPEND, sim.frequency, rng=np.random.default_rng(1))
        assert np.isnan(m[sim.frequency == 0]).all()
        fit = fit_gamma_gamma(sim.frequency, m)
        assert fit.converged
        assert fit.customers == int((sim.frequency > 0).sum())
        only = fit_gamma_gamma(sim.frequency[sim.frequency > 0], m[sim.frequency > 0])
        assert only.params == fit.params

    def test_the_money_unit_only_rescales_v(self) -> None:
        x, m = spenders(seed=3, n=5_000)
        dollars = fit_gamma_gamma(x, m)
        cents = fit_gamma_gamma(x, m * 100)
        assert cents.params.v == pytest.approx(dollars.params.v * 100, rel=1e-5)
        assert cents.params.p == pytest.approx(dollars.params.p, rel=1e-5)
        assert cents.params.q == pytest.approx(dollars.params.q, rel=1e-5)

    def test_grouped_rows_fit_as_their_customers(self) -> None:
        x, m = spenders(seed=4, n=3_000)
        m = np.round(m)  # whole dollars: customers share rows
        rows, counts = np.unique(np.stack([x, m], axis=1), axis=0, return_counts=True)
        one_by_one = fit_gamma_gamma(x, m)
        grouped = fit_gamma_gamma(rows[:, 0], rows[:, 1], weights=counts)
        assert grouped.customers == one_by_one.customers
        assert grouped.params.p == pytest.approx(one_by_one.params.p, rel=1e-5)
        assert grouped.params.v == pytest.approx(one_by_one.params.v, rel=1e-5)

    def test_no_heterogeneity_is_reported_not_converged_or_sane(self) -> None:
        # Everyone spends exactly 20 per order: nu has no spread, q and v run to infinity together.
        x = np.tile([1.0, 2.0, 3.0], 500)
        fit = fit_gamma_gamma(x, np.full(x.size, 20.0))
        assert np.isfinite(fit.log_likelihood)
        assert fit.params.p <= 1e4 * (1 + 1e-9)
        if fit.converged:
            value = expected_average_value(fit.params, [0.0], [np.nan])[0]
            assert value == pytest.approx(20.0, rel=0.05)

    def test_nothing_to_fit(self) -> None:
        with pytest.raises(ValueError, match="no customer has a repeat order"):
            fit_gamma_gamma([0, 0], [np.nan, np.nan])
        with pytest.raises(ValueError, match="monetary_mean"):
            fit_gamma_gamma([1, 2], [10.0, np.nan])


class TestExpectations:
    def test_the_log_likelihood_is_the_density_of_the_mean(self) -> None:
        # Integrate the Gamma density of the mean of x orders (shape px, rate x·nu) over
        # nu ~ Gamma(q, v): the closed form must agree.
        p, q, v = CDNOW_SPEND.p, CDNOW_SPEND.q, CDNOW_SPEND.v
        for x, m in [(1, 12.0), (3, 35.5), (10, 2.0)]:

            def integrand(nu: float, x: int = x, m: float = m) -> float:
                own = gamma_distribution.pdf(m, p * x, scale=1 / (x * nu))
                return float(own * gamma_distribution.pdf(nu, q, scale=1 / v))

            density = quad(integrand, 0, np.inf, epsabs=0, epsrel=1e-10, limit=200)[0]
            assert log_likelihood(CDNOW_SPEND, [x], [m])[0] == pytest.approx(np.log(density))

    def test_expected_average_value(self) -> None:
        p, q, v = CDNOW_SPEND.p, CDNOW_SPEND.q, CDNOW_SPEND.v
        values = expected_average_value(CDNOW_SPEND, [0, 1, 6], [np.nan, 40.0, 40.0])
        population = v * p / (q - 1)
        assert values[0] == pytest.approx(population)
        assert CDNOW_SPEND.population_mean == pytest.approx(population)
        assert values[1] == pytest.approx((v + 40.0) * p / (p + q - 1))
        # More orders pull the estimate towards the customer's own mean.
        assert abs(values[2] - 40.0) < abs(values[1] - 40.0)

    def test_expected_average_value_matches_a_simulation(self) -> None:
        # Customers with 2 orders averaging ~30: their next orders average what the model says.
        rng = np.random.default_rng(12)
        n = 1_000_000
        nu = rng.gamma(CDNOW_SPEND.q, 1 / CDNOW_SPEND.v, n)
        mean_of_two = rng.gamma(2 * CDNOW_SPEND.p, 1 / (2 * nu))
        near = np.abs(mean_of_two - 30.0) < 0.5
        next_order = rng.gamma(CDNOW_SPEND.p, 1 / nu[near])
        predicted = expected_average_value(CDNOW_SPEND, [2], [30.0])[0]
        error = next_order.std() / np.sqrt(next_order.size)
        assert abs(next_order.mean() - predicted) < 4 * error + 0.05

    def test_expected_spend_is_purchases_times_value(self) -> None:
        x = np.array([0.0, 2.0, 5.0])
        t_x = np.array([0.0, 30.43, 20.0])
        age = np.array([38.86, 38.86, 38.0])
        m = np.array([np.nan, 25.0, 60.0])
        spend = expected_spend(CDNOW, CDNOW_SPEND, 52.0, x, t_x, age, m)
        purchases = expected_purchases(CDNOW, 52.0, x, t_x, age)
        value = expected_average_value(CDNOW_SPEND, x, m)
        assert spend == pytest.approx(purchases * value)
        assert np.all(spend > 0)

    def test_q_stays_above_one(self) -> None:
        assert GammaGammaParams(1.0, 0.9, 1.0).population_mean == float("inf")
        x, m = spenders(seed=5, n=2_000)
        assert fit_gamma_gamma(x, m).params.q > 1


class TestGradient:
    @pytest.mark.parametrize("params", [(6.25, 3.74, 1.0), (0.5, 1.2, 20.0), (300.0, 900.0, 0.05)])
    def test_matches_finite_differences(self, params: tuple[float, float, float]) -> None:
        x, m = spenders(seed=14, n=2_000)
        m = m / m.mean()

        def value(point: np.ndarray) -> float:
            p, q, v = point
            return float(_log_likelihood_rows(p, q, v, x, m).mean())

        point = np.array(params)
        analytic = np.array([d.mean() for d in _gradient_rows(*params, x, m)])
        numeric = approx_fprime(point, value, 1e-7 * point)
        assert analytic == pytest.approx(numeric, rel=1e-4, abs=1e-8)
