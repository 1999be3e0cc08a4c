from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import approx_fprime
from scipy.special import gammaln, hyp2f1
from scipy.stats import beta as beta_distribution

from app.predictions.bgnbd import (
    BgNbdParams,
    _Data,
    _log_likelihood_terms,
    expected_purchases,
    expected_purchases_new,
    fit_bgnbd,
    log_likelihood,
    probability_alive,
)
from app.predictions.simulate import simulate_bgnbd
from tests.predictions.cdnow import CDNOW, cdnow_customers

# (x, t_x, T) rows spanning no repeat purchase, recent and long-ago last purchases, frequent buyers.
ROWS = [
    (0, 0.0, 38.86),
    (0, 0.0, 2.0),
    (1, 5.0, 30.0),
    (2, 30.43, 38.86),
    (2, 2.0, 38.86),
    (7, 35.0, 36.0),
    (15, 20.0, 39.0),
    (40, 38.5, 39.0),
]
HORIZONS = [1.0, 39.0, 52.0]


def paper_expectation(params: BgNbdParams, t: float, x: int, t_x: float, age: float) -> float:
    """FHL 2005 eq. 10, written as in the paper (the module uses Euler's transformation)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + age + t)
    bracket = 1 - ((alpha + age) / (alpha + age + t)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    odds = (a / (b + x - 1)) * ((alpha + age) / (alpha + t_x)) ** (r + x) if x > 0 else 0.0
    return float((a + b + x - 1) / (a - 1) * bracket / (1 + odds))


def integrated_expectation(
    params: BgNbdParams, t: float, x: int, t_x: float, age: float
) -> tuple[float, float]:
    """(E[purchases in (T, T+t]], P(alive)) by integrating over the drop-out probability p.

    No hypergeometric function: given p the λ-integrals are Gamma integrals, and p is integrated
    numerically against its Beta density (quad's algebraic weight handles p^(a-1) at 0).
    Given λ and p, an active customer buys (1 - e^{-λpt})/p times in t.
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    shape = r + x
    recent = ((alpha + age) / (alpha + t_x)) ** shape

    def active(p: float) -> float:
        return float((1 - p) ** x)

    def purchases(p: float) -> float:
        if p == 0:  # the limit: an immortal customer buys λt, whose posterior mean is this
            return float(shape * t / (alpha + age))
        return float(active(p) * -np.expm1(-shape * np.log1p(p * t / (alpha + age))) / p)

    def likelihood(p: float) -> float:
        dropped = p * (1 - p) ** (x - 1) * recent if x > 0 else 0.0
        return active(p) + dropped

    weight = {"weight": "alg", "wvar": (a - 1, b - 1)}
    numerator = quad(purchases, 0, 1, **weight, epsabs=1e-13, epsrel=1e-11)[0]
    alive = quad(active, 0, 1, **weight, epsabs=1e-13, epsrel=1e-11)[0]
    denominator = quad(likelihood, 0, 1, **weight, epsabs=1e-13, epsrel=1e-11)[0]
    return numerator / denominator, alive / denominator


class TestConditionalExpectation:
    def test_the_papers_cdnow_customer(self) -> None:
        # FHL 2005, section 5: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in 39 weeks.
        value = expected_purchases(CDNOW, 39.0, [2], [30.43], [38.86])
        assert value[0] == pytest.approx(1.226, abs=5e-4)

    @pytest.mark.parametrize("t", HORIZONS)
    def test_matches_the_papers_closed_form_and_an_integral(self, t: float) -> None:
        x, t_x, age = (np.array(c, dtype=float) for c in zip(*ROWS, strict=True))
        values = expected_purchases(CDNOW, t, x, t_x, age)
        alive = probability_alive(CDNOW, x, t_x, age)
        for i, (xi, ti, ai) in enumerate(ROWS):
            assert values[i] == pytest.approx(paper_expectation(CDNOW, t, xi, ti, ai), rel=1e-9)
            integral, alive_integral = integrated_expectation(CDNOW, t, xi, ti, ai)
            assert values[i] == pytest.approx(integral, rel=1e-7)
            assert alive[i] == pytest.approx(alive_integral, rel=1e-7)

    def test_other_parameters_including_a_above_one(self) -> None:
        params = BgNbdParams(r=2.1, alpha=11.0, a=3.2, b=9.5)
        for xi, ti, ai in ROWS:
            value = expected_purchases(params, 26.0, [xi], [ti], [ai])[0]
            assert value == pytest.approx(paper_expectation(params, 26.0, xi, ti, ai), rel=1e-9)
            assert value == pytest.approx(integrated_expectation(params, 26.0, xi, ti, ai)[0])

    def test_a_equal_to_one_is_the_limit_of_its_neighbours(self) -> None:
        at_one = BgNbdParams(r=0.5, alpha=5.0, a=1.0, b=3.0)
        near = BgNbdParams(r=0.5, alpha=5.0, a=1.0 + 1e-3, b=3.0)
        value = expected_purchases(at_one, 39.0, [3], [20.0], [35.0])[0]
        assert np.isfinite(value)
        assert value == pytest.approx(expected_purchases(near, 39.0, [3], [20.0], [35.0])[0], 1e-3)

    def test_a_plus_b_equal_to_one_is_the_limit_of_its_neighbours(self) -> None:
        # For x = 0, 2F1's lower parameter a + b - 1 is 0 there.
        at_one = BgNbdParams(r=0.3, alpha=4.0, a=0.25, b=0.75)
        for x, t_x, age in [(0, 0.0, 10.0), (0, 0.0, 0.0), (3, 5.0, 20.0)]:
            value = expected_purchases(at_one, 30.0, [x], [t_x], [age])[0]
            assert value == pytest.approx(integrated_expectation(at_one, 30.0, x, t_x, age)[0])
        assert expected_purchases_new(at_one, 30.0) == pytest.approx(
            integrated_expectation(at_one, 30.0, 0, 0.0, 0.0)[0]
        )

    def test_nearly_equal_drop_out_probabilities(self) -> None:
        # a = 500, b = 1,500: p is 1/4 for everyone to within 2%, where scipy's 2F1 with these
        # parameters fails; the quantile fallback must agree with a direct integral over p.
        params = BgNbdParams(r=0.5, alpha=4.0, a=500.0, b=1_500.0)
        for x, t_x, age in [(0, 0.0, 10.0), (3, 5.0, 20.0), (20, 19.0, 20.0)]:
            value = expected_purchases(params, 30.0, [x], [t_x], [age])[0]
            alive = probability_alive(params, [x], [t_x], [age])[0]
            posterior = beta_distribution(params.a, params.b + x)
            scale = 30.0 / (params.alpha + age)

            def weighted_buys(
                p: float, x: int = x, scale: float = scale, dist: Any = posterior
            ) -> float:
                return float(-np.expm1(-(params.r + x) * np.log1p(p * scale)) / p * dist.pdf(p))

            low, high = posterior.ppf([1e-12, 1 - 1e-12])
            if_alive = quad(weighted_buys, low, high, epsrel=1e-10)[0]
            assert value == pytest.approx(if_alive * alive, rel=1e-4)

    def test_finite_and_plausible_everywhere_within_the_fit_bounds(self) -> None:
        # Any parameters a fit can return give 0 ≤ E ≤ (r+x)·t/(alpha+T), the expected rate of
        # an active customer, never NaN.
        rng = np.random.default_rng(17)
        low, high = np.log([1e-4, 1e-3, 1e-4, 1e-4]), np.log([1e4, 1e4, 1e4, 1e4])
        for _ in range(200):
            params = BgNbdParams(*np.exp(rng.uniform(low, high)))
            x = rng.choice([0, 1, 2, 5, 20, 100, 1000], 10).astype(float)
            age = rng.uniform(0, 200, 10)
            t_x = np.where(x > 0, rng.uniform(0, 1, 10) * age, 0.0)
            t = rng.uniform(0.1, 200)
            values = expected_purchases(params, t, x, t_x, age)
            ceiling = (params.r + x) * t / (params.alpha + age)
            assert np.all(np.isfinite(values))
            assert np.all((values >= 0) & (values <= ceiling * (1 + 1e-9)))
            assert (
                0 <= expected_purchases_new(params, t) <= params.r * t / params.alpha * (1 + 1e-9)
            )

    def test_frequent_buyers_do_not_overflow(self) -> None:
        # 2F1(r+x, b+x; a+b+x-1; z) of the paper's form is ~(1-z)^-x, beyond floats at x = 1200;
        # the transformed form stays exact for a customer buying ~30 times a week.
        with np.errstate(over="ignore", invalid="ignore"):
            assert not np.isfinite(paper_expectation(CDNOW, 52.0, 1200, 38.9, 39.0))
        value = expected_purchases(CDNOW, 52.0, [1200], [38.9], [39.0])[0]
        assert value == pytest.approx(integrated_expectation(CDNOW, 52.0, 1200, 38.9, 39.0)[0])

    def test_monte_carlo_for_customers_without_repeat_purchase(self) -> None:
        # x = 0 is a discrete event, so conditioning a simulation on it is exact: the customers of
        # age 20 weeks who made no repeat purchase, and what they buy in the next 26 weeks.
        rng = np.random.default_rng(3)
        sim = simulate_bgnbd(CDNOW, np.full(400_000, 20.0), holdout=26.0, rng=rng)
        assert sim.holdout_purchases is not None
        none = sim.frequency == 0
        actual = sim.holdout_purchases[none]
        predicted = expected_purchases(CDNOW, 26.0, [0], [0.0], [20.0])[0]
        standard_error = actual.std() / np.sqrt(actual.size)
        assert abs(actual.mean() - predicted) < 4 * standard_error

    def test_monte_carlo_by_importance_sampling_for_a_repeat_buyer(self) -> None:
        # Draw (λ, p) from the prior, weigh each draw by the likelihood of the paper's customer,
        # and average what an active customer with that (λ, p) buys in 39 weeks.
        rng = np.random.default_rng(5)
        n = 2_000_000
        lam = rng.gamma(CDNOW.r, 1 / CDNOW.alpha, n)
        p = rng.beta(CDNOW.a, CDNOW.b, n)
        x, t_x, age, t = 2, 30.43, 38.86, 39.0
        active = (1 - p) ** x * lam**x * np.exp(-lam * age)
        weight = active + p * (1 - p) ** (x - 1) * lam**x * np.exp(-lam * t_x)
        buys = active * -np.expm1(-lam * p * t) / p
        estimate = buys.sum() / weight.sum()
        assert estimate == pytest.approx(1.226, rel=0.03)

    def test_new_customers_match_the_papers_unconditional_form_and_a_simulation(self) -> None:
        r, alpha, a, b = CDNOW.r, CDNOW.alpha, CDNOW.a, CDNOW.b
        for t in (1.0, 39.0, 78.0):
            paper = (
                (a + b - 1)
                / (a - 1)
                * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
            )
            assert expected_purchases_new(CDNOW, t) == pytest.approx(paper, rel=1e-9)
        both = expected_purchases_new(CDNOW, [39.0, 78.0])
        assert isinstance(both, np.ndarray)
        assert both.shape == (2,)
        sim = simulate_bgnbd(CDNOW, np.full(300_000, 39.0), rng=np.random.default_rng(8))
        error = sim.frequency.std() / np.sqrt(sim.frequency.size)
        assert abs(sim.frequency.mean() - expected_purchases_new(CDNOW, 39.0)) < 4 * error


class TestProbabilityAlive:
    def test_is_one_without_repeat_purchase(self) -> None:
        alive = probability_alive(CDNOW, [0, 0, 0], [0.0, 0.0, 0.0], [0.5, 39.0, 1e6])
        assert np.array_equal(alive, np.ones(3))

    def test_falls_with_time_since_the_last_purchase_and_matches_the_formula(self) -> None:
        x, age = 4, 39.0
        recency = np.array([39.0, 30.0, 10.0, 1.0])
        alive = probability_alive(CDNOW, np.full(4, x), recency, np.full(4, age))
        assert alive[0] == pytest.approx(1 / (1 + CDNOW.a / (CDNOW.b + x - 1)))
        assert np.all(np.diff(alive) < 0)
        r, alpha = CDNOW.r, CDNOW.alpha
        odds = CDNOW.a / (CDNOW.b + x - 1) * ((alpha + age) / (alpha + recency)) ** (r + x)
        assert alive == pytest.approx(1 / (1 + odds), rel=1e-12)

    def test_the_share_alive_in_a_simulation(self) -> None:
        sim = cdnow_customers(seed=11, n=200_000)
        alive = probability_alive(CDNOW, sim.frequency, sim.recency, sim.age)
        # E[P(alive | data)] over customers is the share actually alive.
        assert alive.mean() == pytest.approx(sim.alive.mean(), abs=0.005)


class TestFit:
    def test_recovers_the_cdnow_parameters_from_20000_customers(self) -> None:
        sim = cdnow_customers(seed=2024)
        fit = fit_bgnbd(sim.frequency, sim.recency, sim.age)
        assert fit.converged
        assert fit.customers == 20_000
        # Tolerances: about 3 standard deviations of the estimates over 20 simulated samples of
        # 20,000 (r 2%, alpha 3.4%, a 9%, b 11%). a and b are looser because the drop-out
        # distribution is seen only through the ~30% of customers with repeat purchases, and the
        # two are strongly correlated (their mean a/(a+b) is checked tighter).
        assert fit.params.r == pytest.approx(CDNOW.r, rel=0.10)
        assert fit.params.alpha == pytest.approx(CDNOW.alpha, rel=0.12)
        assert fit.params.a == pytest.approx(CDNOW.a, rel=0.25)
        assert fit.params.b == pytest.approx(CDNOW.b, rel=0.30)
        fitted_mean = fit.params.a / (fit.params.a + fit.params.b)
        assert fitted_mean == pytest.approx(CDNOW.a / (CDNOW.a + CDNOW.b), rel=0.10)
        # A maximum: at least as likely as the true parameters, and a likelihood, so negative.
        truth = float(log_likelihood(CDNOW, sim.frequency, sim.recency, sim.age).sum())
        assert truth <= fit.log_likelihood < 0

    def test_grouped_rows_with_weights_fit_as_the_customers_they_stand_for(self) -> None:
        sim = cdnow_customers(seed=4, n=5_000)
        # Whole days in weeks, as the service computes them: many customers share a row.
        recency = np.round(sim.recency * 7) / 7
        age = np.round(sim.age * 7) / 7
        rows = np.stack([sim.frequency, recency, age], axis=1)
        unique, counts = np.unique(rows, axis=0, return_counts=True)
        assert len(unique) < 0.8 * len(rows)
        one_by_one = fit_bgnbd(sim.frequency, recency, age)
        grouped = fit_bgnbd(unique[:, 0], unique[:, 1], unique[:, 2], weights=counts)
        assert grouped.customers == one_by_one.customers == 5_000
        assert grouped.log_likelihood == pytest.approx(one_by_one.log_likelihood, rel=1e-9)
        for name in ("r", "alpha", "a", "b"):
            assert getattr(grouped.params, name) == pytest.approx(
                getattr(one_by_one.params, name), rel=1e-5
            )

    def test_the_time_unit_only_rescales_alpha(self) -> None:
        sim = cdnow_customers(seed=6, n=5_000)
        weeks = fit_bgnbd(sim.frequency, sim.recency, sim.age)
        days = fit_bgnbd(sim.frequency, sim.recency * 7, sim.age * 7)
        assert days.params.alpha == pytest.approx(weeks.params.alpha * 7, rel=1e-5)
        assert days.params.r == pytest.approx(weeks.params.r, rel=1e-5)
        assert days.params.b == pytest.approx(weeks.params.b, rel=1e-5)


class TestStability:
    """DESIGN.md section 4: no positive log-likelihood, no run-away parameters, honest flag."""

    def test_nobody_came_back(self) -> None:
        # x = 0 for everyone: the likelihood keeps rising as r → 0, so the optimum is on a bound.
        ages = np.linspace(1.0, 39.0, 1_000)
        fit = fit_bgnbd(np.zeros(1_000), np.zeros(1_000), ages)
        assert fit.log_likelihood <= 0
        assert not fit.converged
        assert max(fit.params.r, fit.params.a, fit.params.b) <= 1e4 * (1 + 1e-9)
        assert fit.params.alpha <= 1e4 * ages.mean() * (1 + 1e-9)

    def test_huge_ages(self) -> None:
        sim = cdnow_customers(seed=9, n=5_000)
        fit = fit_bgnbd(sim.frequency, sim.recency, sim.age + 1e6)
        assert np.isfinite(fit.log_likelihood)
        assert fit.log_likelihood < 0
        assert max(fit.params.r, fit.params.a, fit.params.b) <= 1e4 * (1 + 1e-9)
        if fit.converged:
            alive = probability_alive(fit.params, sim.frequency, sim.recency, sim.age + 1e6)
            assert np.all((alive >= 0) & (alive <= 1))

    def test_nobody_drops_out(self) -> None:
        # Everyone bought steadily up to the end: no sign of drop-out, so p's distribution runs to
        # 0 (a → 0 or b → ∞). It must not come back as a confident "converged" fit with a
        # positive log-likelihood.
        n = 2_000
        rng = np.random.default_rng(1)
        age = rng.uniform(20, 39, n)
        x = rng.integers(1, 10, n).astype(float)
        fit = fit_bgnbd(x, age, age)
        assert fit.log_likelihood < 0
        assert max(fit.params.r, fit.params.a, fit.params.b) <= 1e4 * (1 + 1e-9)
        alive = probability_alive(fit.params, x, age, age)
        assert alive.min() > 0.9

    def test_the_likelihood_stays_exact_where_betaln_differences_cancel(self) -> None:
        # With a, b → ∞ at a/(a+b) = 1/4 the drop-out probability is 1/4 for everyone; the
        # log-likelihood must approach that of a fixed p = 1/4 instead of drifting.
        x = np.array([0.0, 1.0, 3.0, 12.0])
        t_x = np.array([0.0, 10.0, 25.0, 38.0])
        age = np.full(4, 39.0)
        r, alpha, p = 0.5, 4.0, 0.25
        purchase = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        stays = x * np.log1p(-p) - (r + x) * np.log(alpha + age)
        left = np.log(p) + (x - 1) * np.log1p(-p) - (r + x) * np.log(alpha + t_x)
        fixed_p = purchase + np.where(x > 0, np.logaddexp(stays, left), stays)
        for scale in (1e6, 1e9, 1e12):
            params = BgNbdParams(r=r, alpha=alpha, a=scale, b=3 * scale)
            ll = log_likelihood(params, x, t_x, age)
            assert ll == pytest.approx(fixed_p, rel=1e-5)

    def test_very_frequent_buyers_use_closed_forms_that_agree_with_the_running_sums(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A placeholder "walk-in" account may have a million orders: beyond RUNNING_SUM_LIMIT the
        # x-dependent terms switch to gammaln/betaln differences, which must agree.
        x = np.array([0.0, 3.0, 9_999.0, 10_000.0, 10_001.0, 60_000.0])
        t_x = np.where(x > 0, 30.0, 0.0)
        age = np.full(x.size, 39.0)
        params = BgNbdParams(r=0.3, alpha=4.0, a=0.8, b=2.4)
        closed = log_likelihood(params, x, t_x, age)
        monkeypatch.setattr("app.predictions.bgnbd.RUNNING_SUM_LIMIT", 100_000)
        summed = log_likelihood(params, x, t_x, age)
        assert closed == pytest.approx(summed, rel=1e-12)


class TestInput:
    @pytest.mark.parametrize(
        ("x", "t_x", "age", "message"),
        [
            ([1.5], [1.0], [2.0], "whole numbers"),
            ([-1], [0.0], [2.0], "whole numbers"),
            ([1], [3.0], [2.0], "between 0 and age"),
            ([0], [1.0], [2.0], "recency must be 0"),
            ([1, 2], [1.0], [2.0], "same length"),
            ([1], [np.nan], [2.0], "finite"),
        ],
    )
    def test_malformed_rows_are_refused(
        self, x: list[float], t_x: list[float], age: list[float], message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            fit_bgnbd(x, t_x, age)

    def test_nothing_to_fit(self) -> None:
        with pytest.raises(ValueError, match="no customers"):
            fit_bgnbd([], [], [])
        with pytest.raises(ValueError, match="age 0"):
            fit_bgnbd([0, 0], [0.0, 0.0], [0.0, 0.0])
        with pytest.raises(ValueError, match="weights"):
            fit_bgnbd([0], [0.0], [1.0], weights=[-1.0])

    def test_a_negative_horizon_is_refused(self) -> None:
        with pytest.raises(ValueError, match="horizon"):
            expected_purchases(CDNOW, -1.0, [0], [0.0], [1.0])
        with pytest.raises(ValueError, match="horizon"):
            expected_purchases_new(CDNOW, float("nan"))


class TestGradient:
    """The fit relies on the analytic gradient: it must match finite differences, also far from
    the optimum and where a, b are large."""

    @pytest.mark.parametrize(
        "params", [(0.243, 0.15, 0.793, 2.426), (2.0, 3.0, 50.0, 300.0), (0.01, 0.01, 0.05, 0.2)]
    )
    def test_matches_finite_differences(self, params: tuple[float, float, float, float]) -> None:
        sim = cdnow_customers(seed=13, n=3_000)
        scale = sim.age.mean()
        share = np.full(sim.frequency.size, 1 / sim.frequency.size)
        data = _Data.of(sim.frequency, sim.recency / scale, sim.age / scale, share)

        def value(point: np.ndarray) -> float:
            r, alpha, a, b = point
            return float(_log_likelihood_terms(r, alpha, a, b, data, gradient=False)[0])

        point = np.array(params)
        _, analytic = _log_likelihood_terms(*params, data, gradient=True)
        assert analytic is not None
        numeric = approx_fprime(point, value, 1e-7 * point)
        assert analytic == pytest.approx(numeric, rel=1e-4, abs=1e-8)
