"""Predictive customer lifetime value: BG/NBD, Pareto/NBD, Gamma-Gamma and P(alive).

Names follow lifetimes so that code moves over: ``BetaGeo().fit(frequency,
recency, T)`` with ``params_`` (``r``, ``alpha``, ``a``, ``b``),
``conditional_expected_number_of_purchases_up_to_time``,
``conditional_probability_alive``; ``GammaGamma().fit(frequency,
monetary_value)`` with ``params_`` (``p``, ``q``, ``v``),
``conditional_expected_average_profit`` and ``customer_lifetime_value``.
Inputs are the repeat-purchase summary of :func:`segmint.features.rfm_summary`
(frequency = repeat purchases; recency and T in one time unit).

The fits maximise the likelihood from deterministic starts (the first start
that converges ends the fit unless ``every_start=True``); a fit that
does not converge warns with :class:`segmint.exceptions.ConvergenceWarning`
and its diagnostics are in ``fit_report_``.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import _native
from ._base import check_is_fitted, one_of
from .exceptions import ConvergenceWarning, ParameterError

__all__ = ["BetaGeo", "GammaGamma", "HoldoutEvaluation", "ParetoNBD", "evaluate_holdout"]

_ArrayLike = Any


def _column(values: _ArrayLike) -> npt.NDArray[np.float64]:
    return np.ascontiguousarray(np.asarray(values, dtype=np.float64).ravel())


def _like(template: _ArrayLike, values: npt.NDArray[np.float64]) -> Any:
    """A Series with the input's index when the input was a Series; an array otherwise."""
    if isinstance(template, pd.Series):
        return pd.Series(values, index=template.index)
    return values


class _Fitted:
    """Shared bookkeeping: parameters as a Series, the fit report, warnings."""

    _param_names: tuple[str, ...] = ()
    params_: pd.Series
    fit_report_: dict[str, Any]

    def _store(self, params: list[float], report_json: str) -> None:
        self.params_ = pd.Series(params, index=list(self._param_names), dtype=float)
        self.fit_report_ = json.loads(report_json) or {}
        if not self.fit_report_.get("converged", True):
            warnings.warn(
                f"{type(self).__name__} fit did not converge: {self.fit_report_.get('message', '')}",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _params(self) -> list[float]:
        check_is_fitted(self, "params_")
        params = self.params_
        names = list(self._param_names)
        # Read by name, as lifetimes does: a Series or dict set in another order is the same model.
        if isinstance(params, (pd.Series, dict)):
            missing = [n for n in names if n not in params]
            if missing:
                raise ParameterError(
                    f"invalid parameter params_: lacks {', '.join(missing)}; expected the names {', '.join(names)}"
                )
            return [float(params[n]) for n in names]
        return [float(v) for v in params]

    @property
    def standard_errors_(self) -> pd.Series:
        """Standard errors from the Hessian of the log-likelihood (NaN when not available)."""
        errors = self.fit_report_.get("standard_errors")
        values = [np.nan] * len(self._param_names) if errors is None else [errors[n] for n in self._param_names]
        return pd.Series(values, index=list(self._param_names), dtype=float)

    @property
    def log_likelihood_(self) -> float:
        """Log-likelihood at the estimate, summed over customers."""
        return float(self.fit_report_["log_likelihood"])


class _TransactionModel(_Fitted):
    _model = ""

    def __init__(self, n_starts: int = 3, max_iterations: int = 2000, every_start: bool = False) -> None:
        self.n_starts = n_starts
        self.max_iterations = max_iterations
        self.every_start = every_start

    def fit(
        self,
        frequency: _ArrayLike,
        recency: _ArrayLike,
        T: _ArrayLike,
        weights: _ArrayLike | None = None,
        initial_params: list[float] | None = None,
    ) -> _TransactionModel:
        """Maximum-likelihood fit on repeat frequency, recency and age T (optional row weights)."""
        params, report = _native.btyd_fit(
            self._model,
            _column(frequency),
            _column(recency),
            _column(T),
            None if weights is None else _column(weights),
            n_starts=int(self.n_starts),
            max_iterations=int(self.max_iterations),
            initial_params=initial_params,
            every_start=bool(self.every_start),
        )
        self._store(params, report)
        return self

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: float, frequency: _ArrayLike, recency: _ArrayLike, T: _ArrayLike
    ) -> Any:
        """Expected purchases in the next ``t`` time units of customers with this history."""
        values = _native.btyd_predict(
            self._model, self._params(), "conditional_expected_purchases", float(t),
            _column(frequency), _column(recency), _column(T),
        )
        return _like(frequency, values)

    def conditional_probability_alive(self, frequency: _ArrayLike, recency: _ArrayLike, T: _ArrayLike) -> Any:
        """P(alive): the probability that each customer has not churned, given the history."""
        values = _native.btyd_predict(
            self._model, self._params(), "probability_alive", 0.0, _column(frequency), _column(recency), _column(T)
        )
        return _like(frequency, values)

    def expected_number_of_purchases_up_to_time(self, t: _ArrayLike) -> Any:
        """Expected purchases of a new customer in ``t`` time units."""
        values = _native.btyd_expected(self._model, self._params(), np.atleast_1d(_column(t)))
        return float(values[0]) if np.ndim(t) == 0 else _like(t, values)

    def probability_of_n_purchases_up_to_time(self, t: float, n: int) -> float:
        """P(n purchases in (0, t]) for a new customer."""
        return float(_native.btyd_probability_of_purchases(self._model, self._params(), int(n), float(t)))

    def evaluate_holdout(
        self,
        frequency_cal: _ArrayLike,
        recency_cal: _ArrayLike,
        T_cal: _ArrayLike,
        frequency_holdout: _ArrayLike,
        duration_holdout: float,
    ) -> HoldoutEvaluation:
        """Expected purchases over the holdout against the actual ones (see :func:`evaluate_holdout`)."""
        result = json.loads(
            _native.btyd_evaluate_holdout(
                self._model, self._params(), _column(frequency_cal), _column(recency_cal), _column(T_cal),
                _column(frequency_holdout), float(duration_holdout),
            )
        )
        bins = pd.DataFrame(result["bins"]).rename(
            columns={"frequency": "frequency_cal", "mean_actual": "frequency_holdout",
                     "mean_predicted": "model_predictions"}
        )
        return HoldoutEvaluation(
            predictions=_like(frequency_cal, np.asarray(result["predicted"], dtype=float)),
            bins=bins.set_index("frequency_cal"),
            total_actual=float(result["total_actual"]),
            total_predicted=float(result["total_predicted"]),
            mae=float(result["mae"]),
            rmse=float(result["rmse"]),
        )


@dataclass(frozen=True)
class HoldoutEvaluation:
    """A calibration-period model against the holdout purchases.

    ``bins`` has one row per calibration frequency (index ``frequency_cal``)
    with ``customers`` and the mean actual (``frequency_holdout``) and
    predicted (``model_predictions``) holdout purchases: the table of lifetimes'
    ``plot_calibration_purchases_vs_holdout_purchases`` (which plots its first 7
    rows). ``predictions`` holds each customer's expected holdout purchases;
    ``mae`` and ``rmse`` are per customer.
    """

    predictions: Any
    bins: pd.DataFrame
    total_actual: float
    total_predicted: float
    mae: float
    rmse: float


def evaluate_holdout(model: _TransactionModel, calibration_holdout: pd.DataFrame) -> HoldoutEvaluation:
    """Evaluate ``model`` (fitted on the calibration columns) on the frame of
    :func:`segmint.features.calibration_and_holdout_data` (or lifetimes'):
    ``frequency_cal``, ``recency_cal``, ``T_cal``, ``frequency_holdout``, ``duration_holdout``.
    """
    frame = calibration_holdout
    return model.evaluate_holdout(
        frame["frequency_cal"], frame["recency_cal"], frame["T_cal"], frame["frequency_holdout"],
        float(frame["duration_holdout"].iloc[0]),
    )


class BetaGeo(_TransactionModel):
    """BG/NBD (Fader, Hardie & Lee 2005): purchases while alive are Poisson, dropout after each purchase."""

    _model = "bgnbd"
    _param_names = ("r", "alpha", "a", "b")


class ParetoNBD(_TransactionModel):
    """Pareto/NBD (Schmittlein, Morrison & Colombo 1987): Poisson purchases, exponential lifetimes."""

    _model = "paretonbd"
    _param_names = ("r", "alpha", "s", "beta")


class GammaGamma(_Fitted):
    """Gamma-Gamma spend model (Fader, Hardie & Lee 2005) of repeat buyers' average order value."""

    _param_names = ("p", "q", "v")

    def __init__(self, n_starts: int = 3, max_iterations: int = 2000, every_start: bool = False) -> None:
        self.n_starts = n_starts
        self.max_iterations = max_iterations
        self.every_start = every_start

    def fit(self, frequency: _ArrayLike, monetary_value: _ArrayLike, weights: _ArrayLike | None = None) -> GammaGamma:
        """Fit on repeat buyers (frequency > 0, monetary value > 0)."""
        params, report = _native.gamma_gamma_fit(
            _column(frequency),
            _column(monetary_value),
            None if weights is None else _column(weights),
            n_starts=int(self.n_starts),
            max_iterations=int(self.max_iterations),
            every_start=bool(self.every_start),
        )
        self._store(params, report)
        return self

    def conditional_expected_average_profit(self, frequency: _ArrayLike, monetary_value: _ArrayLike) -> Any:
        """Expected average value per transaction of each customer."""
        values = _native.gamma_gamma_expected_profit(self._params(), _column(frequency), _column(monetary_value))
        return _like(frequency, values)

    def customer_lifetime_value(
        self,
        transaction_model: _TransactionModel,
        frequency: _ArrayLike,
        recency: _ArrayLike,
        T: _ArrayLike,
        monetary_value: _ArrayLike,
        time: int = 12,
        discount_rate: float = 0.01,
        freq: str = "D",
    ) -> Any:
        """Discounted value over ``time`` months, as lifetimes computes it.

        Month ``i`` contributes expected profit × (E[purchases to month i] −
        E[purchases to month i − 1]) / (1 + discount_rate)^i; months are 30
        days (``freq="D"``) or 4.345 weeks (``freq="W"``), lifetimes' convention.
        """
        periods = {"D": 30.0, "W": 4.345, "M": 1.0, "H": 720.0}
        periods_per_month = periods[one_of(freq, "freq", periods)]
        values = _native.customer_lifetime_value(
            transaction_model._model,
            transaction_model._params(),
            self._params(),
            _column(frequency),
            _column(recency),
            _column(T),
            _column(monetary_value),
            months=int(time),
            discount_rate=float(discount_rate),
            periods_per_month=periods_per_month,
        )
        return _like(frequency, values)
