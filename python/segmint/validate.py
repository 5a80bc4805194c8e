"""The MASDA scorecard: are segments Measurable, Accessible, Substantial,
Differentiable and Actionable? Every check has a value, its threshold, a
verdict (``pass``, ``warn``, ``fail``, ``not_assessed``) and a reason."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import _native
from ._base import as_matrix, per_row, seed_from
from .metrics import _labels

__all__ = ["Scorecard", "masda_scorecard", "CRITERIA"]

CRITERIA = ("measurable", "accessible", "substantial", "differentiable", "actionable")
_ORDER = {"pass": 0, "warn": 1, "fail": 2}


@dataclass
class Scorecard:
    """A MASDA scorecard (the ``scorecard`` of ``report.json``).

    Attributes
    ----------
    document : dict
        The whole scorecard as the core returns it (thresholds included).
    """

    document: dict[str, Any] = field(repr=False)

    @property
    def checks(self) -> pd.DataFrame:
        """Every check, one row each; ``segment`` is ``"all"`` for the segmentation as a whole."""
        rows = [{"segment": "all", **c} for c in self.document["overall"]]
        for s in self.document["segments"]:
            rows += [{"segment": s["segment"], **c} for c in s["checks"]]
        return pd.DataFrame(rows, columns=["segment", "criterion", "measure", "value", "threshold", "verdict", "reason"])

    @property
    def summary(self) -> pd.DataFrame:
        """Verdict of each criterion (columns) for the whole segmentation and each segment (rows)."""
        return verdict_table(self.checks)

    @property
    def features(self) -> pd.DataFrame:
        """η², its band and the Kruskal–Wallis test of every clustering feature."""
        return feature_frame(self.document["features"])

    def _repr_html_(self) -> str:
        return self.summary.to_html()


def verdict_table(checks: pd.DataFrame) -> pd.DataFrame:
    """Worst assessed verdict per (segment, criterion); ``not_assessed`` when none was assessed."""

    def worst(verdicts: pd.Series) -> str:
        assessed = [v for v in verdicts if v in _ORDER]
        return max(assessed, key=_ORDER.__getitem__) if assessed else "not_assessed"

    table = checks.groupby(["segment", "criterion"], sort=False)["verdict"].agg(worst).unstack("criterion")
    return table.reindex(columns=list(CRITERIA))


def feature_frame(features: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for f in features:
        test = f.get("kruskal_wallis") or {}
        rows.append(
            {
                "feature": f["feature"],
                "eta_squared": f["eta_squared"],
                "band": f["band"],
                "kruskal_h": test.get("h", np.nan),
                "kruskal_p": test.get("p_value", np.nan),
                "eta_squared_h": test.get("eta_squared_h", np.nan),
            }
        )
    return pd.DataFrame(rows).set_index("feature")


def masda_scorecard(
    X: Any,
    labels: Any,
    *,
    feature_names: list[str] | None = None,
    revenue: Any = None,
    value: Any = None,
    reachable: Any = None,
    scales: dict[str, float] | None = None,
    strategies: list[str] | None = None,
    thresholds: dict[str, Any] | None = None,
    n_boot: int = 100,
    n_splits: int = 50,
    sample_rows: int = 10_000,
    random_state: Any = 0,
) -> Scorecard:
    """Score a segmentation against the MASDA criteria.

    Parameters
    ----------
    X : array-like of shape (n_customers, n_features)
        The matrix that was clustered (e.g. standardised features).
    labels : array-like of shape (n_customers,)
        Segment of each customer (any hashable values; coded 0..k in sorted order).
    feature_names : list of str, optional
        Column names (a DataFrame's columns by default).
    revenue, value : array-like of shape (n_customers,), optional
        Net revenue and lifetime value per customer (Substantial).
    reachable : array-like of bool, optional
        Whether each customer is reachable on an opted-in channel (Accessible).
    scales : dict of str to float, optional
        Cronbach's α of each survey scale (Measurable).
    strategies : list of str, optional
        The strategy of each segment, in code order (Actionable).
    thresholds : dict, optional
        Overrides of the thresholds (``min_share``, ``stability`` = ``{"pass": .., "fail": ..}`` …).
    n_boot, n_splits : int
        Bootstrap resamples (stability) and random halvings (prediction strength).
    sample_rows : int
        Largest number of customers used by the silhouette and the resampling checks.
    random_state : int, numpy Generator or None
        Seed of the samples and refits.
    """
    if feature_names is None:
        feature_names = [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else None
    matrix = as_matrix(X, dtype=np.float64)
    if feature_names is None:
        feature_names = [f"x{j}" for j in range(matrix.shape[1])]
    codes = _labels(labels, matrix.shape[0])

    def vector(values: Any, name: str) -> np.ndarray | None:
        if values is None:
            return None
        return per_row(np.ascontiguousarray(values, dtype=np.float64), matrix.shape[0], name)

    options = {"replicates": n_boot, "splits": n_splits, "sample_rows": sample_rows, "seed": seed_from(random_state)}
    if thresholds:
        options["thresholds"] = thresholds
    scales_json = json.dumps([{"name": k, "alpha": float(a), "n_items": 0} for k, a in (scales or {}).items()])
    document = _native.masda_scorecard(
        matrix,
        list(feature_names),
        codes,
        revenue=vector(revenue, "revenue"),
        value=vector(value, "value"),
        reachable=None if reachable is None else [bool(r) for r in np.asarray(reachable).reshape(-1)],
        scales_json=scales_json,
        strategies=strategies,
        options_json=json.dumps(options),
    )
    return Scorecard(json.loads(document))
