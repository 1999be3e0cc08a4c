"""Predictions: buy-till-you-die models (BG/NBD, Gamma-Gamma) fitted per organization.

The modules here are pure numerical code on numpy arrays, with no database: `bgnbd` (repeat
purchases and the probability a customer is still active), `gamma_gamma` (spend per order),
`calibration` (fit before a cut-off, compare with the held-back period), `churn` (risk bands and
whether an organization has enough history), `simulate` (draws from both processes, for tests and
benchmarks). See docs/predictions.md.
"""
