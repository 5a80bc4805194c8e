"""segmint: customer segmentation, from raw transactions to named, actionable segments.

The stages, each usable on its own:

- :mod:`segmint.features` — the behavioural feature table and the lifetimes-style summary;
- :mod:`segmint.clv` — BG/NBD, Pareto/NBD, Gamma-Gamma: CLV and P(alive);
- :mod:`segmint.cluster` — clustering estimators with scikit-learn's interface;
- :mod:`segmint.decomposition` — PCA and factor analysis;
- :mod:`segmint.stats` — KMO, Bartlett's test, parallel analysis, Cronbach's alpha;
- :mod:`segmint.metrics` — silhouette, Calinski–Harabasz, Davies–Bouldin, adjusted Rand,
  gap statistic, bootstrap stability, prediction strength, η² and Kruskal–Wallis;
- :mod:`segmint.validate` — the MASDA scorecard;
- :mod:`segmint.pipeline` — the whole pipeline in one call (:func:`segment`, :func:`segment_csv`, :func:`segment_table` for customer tables and surveys);
- :mod:`segmint.scoring` — the fitted segmentation saved and loaded (:func:`load`), later
  snapshots scored with it (drift included), and :func:`migration` between its segments;
- :class:`Segmenter` — the same pipeline as a scikit-learn-style object with a notebook dashboard;
- :mod:`segmint.plotting` — k selection, snake plot, segment sizes, KPIs, loadings (needs matplotlib);
- :mod:`segmint.datasets` — a synthetic customer base with known archetypes, CDNOW, UCI Online Retail;
- :mod:`segmint.exceptions` — the errors, which subclass ValueError, KeyError or OSError.
"""

from . import (
    cluster,
    clv,
    datasets,
    decomposition,
    exceptions,
    features,
    metrics,
    pipeline,
    plotting,
    scoring,
    stats,
    validate,
)
from ._native import __version__
from .pipeline import SegmentationResult, read_transactions, segment, segment_csv, segment_survey, segment_table
from .scoring import Migration, SegmentationModel, load, migration
from .segmenter import Segmenter

__all__ = [
    "__version__",
    "cluster",
    "clv",
    "datasets",
    "decomposition",
    "exceptions",
    "features",
    "metrics",
    "pipeline",
    "plotting",
    "validate",
    "stats",
    "scoring",
    "Migration",
    "SegmentationModel",
    "SegmentationResult",
    "Segmenter",
    "load",
    "migration",
    "read_transactions",
    "segment",
    "segment_csv",
    "segment_survey",
    "segment_table",
]
