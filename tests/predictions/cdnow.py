"""The published CDNOW fits (Fader, Hardie & Lee 2005) the tests simulate from and check against."""

from __future__ import annotations

import numpy as np

from app.predictions.bgnbd import BgNbdParams
from app.predictions.gamma_gamma import GammaGammaParams
from app.predictions.simulate import SimulatedCustomers, simulate_bgnbd

# "Counting your customers the easy way" (2005), table 1: time in weeks.
CDNOW = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
# "RFM and CLV: using iso-value curves" (2005): spend in dollars.
CDNOW_SPEND = GammaGammaParams(p=6.25, q=3.74, v=15.44)

# CDNOW's calibration period: customers joined over 12 weeks and were observed for 39 weeks; ages
# uniform over the 39 weeks keep the variety of ages the fit needs.
CALIBRATION_WEEKS = 39.0
SAMPLE = 20_000


def cdnow_customers(seed: int, n: int = SAMPLE, holdout: float | None = None) -> SimulatedCustomers:
    rng = np.random.default_rng(seed)
    ages = rng.uniform(0.0, CALIBRATION_WEEKS, n)
    return simulate_bgnbd(CDNOW, ages, holdout=holdout, rng=rng)
