"""How often segmint's automatic choice of k finds the true number of segments.

    .venv/bin/python benches/compare/k_selection_suite.py

A suite of 32 data sets whose number of segments is known, split in advance
into a design half (D01-D16) and a held-out half (H01-H16) that uses other
seeds and other parameters: Gaussian blobs of many shapes (overlapping,
elongated and rotated, unequal sizes and spreads, irrelevant noise columns),
Likert surveys of latent classes, a mixed numeric + categorical table, and
segmint's own synthetic customers and survey (the survey on its items and on
its factor scores). Every set is segmented by segmint's public pipeline with
k="auto" and seed 0, as a user would:

* tables (blobs, Likert classes, mixed): ``segment_table(frame, method="kmeans",
  k="auto", log=False)``;
* synthetic customers: ``segment(transactions, ..., k="auto")`` on the
  behavioural (RFM) basis;
* synthetic survey: ``segment_table(survey=items, k="auto")`` (basis: the
  items), and with ``basis=`` the factor-score columns the pipeline joins to
  the survey (basis: the factors).

For each set the script prints the recommended k of the current rule
(``report["k_selection"]["recommended"]``: the internal indices as one voice,
the elbow and the gap statistic's 1-SE rule) and the k the former rule (five
separate votes: silhouette, Calinski-Harabasz, Davies-Bouldin, elbow, gap;
same tie-breaks) picks from the same k table, both against the true k, then
the hit counts per half and the total run time. The current rule is also
recomputed from the table, as a check that the re-implementation below is
segmint's (crates/segmint/src/select/mod.rs, ``vote`` and ``elbow``).

Every synthetic generator draws from SplitMix64 (Steele, Lea & Flood 2014),
so that each set can be re-created bit for bit in another language (up to
libm's ln/cos/sqrt):

    next_u64: state += 0x9E3779B97F4A7C15 (wrapping);
              z = state; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
              z = (z ^ (z >> 27)) * 0x94D049BB133111EB; return z ^ (z >> 31)
    uniform  = (next_u64 >> 11) * 2^-53                      in [0, 1)
    normal   = sqrt(-2 ln(1 - u1)) * cos(2 pi u2)            (u1 first; the
               sine branch is not used)

Draws are made in the order each generator documents. segmint's own
generators (``datasets.make_customers``, ``datasets.make_survey``) use its
ChaCha8 streams.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

import segmint
from segmint import datasets

SEED = 0
MASK = (1 << 64) - 1


# --- random numbers ---------------------------------------------------------


class SplitMix64:
    def __init__(self, seed: int):
        self.state = seed & MASK

    def next_u64(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self) -> float:
        return (self.next_u64() >> 11) * (1.0 / (1 << 53))

    def uniform_in(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * self.uniform()

    def normal(self) -> float:
        u1 = self.uniform()
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)

    def categorical(self, probs) -> int:
        """The first i with u * sum(p) < p_0 + ... + p_i (one uniform)."""
        u = self.uniform() * sum(probs)
        acc = 0.0
        for i, p in enumerate(probs):
            acc += p
            if u < acc:
                return i
        return len(probs) - 1


def sizes_of(n: int, weights) -> list[int]:
    """floor(n * w_j / sum w) for every cluster but the last, which takes the rest."""
    total = float(sum(weights))
    sizes = [int(math.floor(n * w / total)) for w in weights[:-1]]
    sizes.append(n - sum(sizes))
    return sizes


def random_rotation(rng: SplitMix64, p: int) -> np.ndarray:
    """Classical Gram-Schmidt of the columns of a p x p standard-normal matrix
    drawn column by column (p normals per column)."""
    q: list[list[float]] = []
    for _ in range(p):
        w = [rng.normal() for _ in range(p)]
        for u in q:
            d = sum(a * b for a, b in zip(w, u))
            w = [a - d * b for a, b in zip(w, u)]
        norm = math.sqrt(sum(a * a for a in w))
        q.append([a / norm for a in w])
    return np.array(q).T


def with_ids(frame: pd.DataFrame) -> pd.DataFrame:
    frame.index = pd.Index([f"r{i}" for i in range(len(frame))], name="id")
    return frame


# --- the data sets ----------------------------------------------------------


@dataclass
class Blobs:
    """Gaussian blobs: k clusters in p - p_noise columns, then p_noise N(0, 1) columns.

    Draw order: (1) sigma_j = uniform_in(*sigma_range) for each cluster (a
    range (1, 1) still draws); (2) when axis_ratio > 1, a rotation R_j per
    cluster (random_rotation); (3) raw centres, k x p_latent uniform_in(-1, 1),
    cluster by cluster; (4) the points, cluster by cluster (sizes_of), each
    p_latent normals z then p_noise noise normals. A point of cluster j is
    c_j + sigma_j R_j diag(s) z with axis scales s_i = axis_ratio^(-i/(p_latent-1))
    divided by their geometric mean (s = 1, R = I when axis_ratio = 1).

    Separation: for each pair, with u the unit vector between the centres,
    r_ij = |c_i - c_j| / (sd_i(u) + sd_j(u)); the centres are scaled so that
    the closest pair has r = sep (equal unit spheres: sep 1.5 puts the
    centres 3 sd apart).
    """

    name: str
    k: int
    p: int
    n: int
    seed: int
    sep: float
    weights: tuple = ()
    sigma_range: tuple = (1.0, 1.0)
    axis_ratio: float = 1.0
    p_noise: int = 0

    def frame(self) -> pd.DataFrame:
        rng = SplitMix64(self.seed)
        k, pl = self.k, self.p - self.p_noise
        sigmas = [rng.uniform_in(*self.sigma_range) for _ in range(k)]
        if self.axis_ratio > 1 and pl > 1:
            rotations = [random_rotation(rng, pl) for _ in range(k)]
            s = np.array([self.axis_ratio ** -(i / (pl - 1)) for i in range(pl)])
            s = s / np.exp(np.mean(np.log(s)))
        else:
            rotations = [np.eye(pl) for _ in range(k)]
            s = np.ones(pl)
        centres = np.array([[rng.uniform_in(-1.0, 1.0) for _ in range(pl)] for _ in range(k)])
        covs = [sig**2 * R @ np.diag(s**2) @ R.T for sig, R in zip(sigmas, rotations)]
        rmin = math.inf
        for i in range(k):
            for j in range(i + 1, k):
                d = centres[i] - centres[j]
                dist = float(np.sqrt(d @ d))
                u = d / dist
                rmin = min(rmin, dist / (math.sqrt(u @ covs[i] @ u) + math.sqrt(u @ covs[j] @ u)))
        centres = centres * (self.sep / rmin)
        rows = []
        for j, m in enumerate(sizes_of(self.n, self.weights or (1,) * k)):
            A = sigmas[j] * rotations[j] @ np.diag(s)
            for _ in range(m):
                z = np.array([rng.normal() for _ in range(pl)])
                noise = [rng.normal() for _ in range(self.p_noise)]
                rows.append(np.concatenate([centres[j] + A @ z, noise]))
        return with_ids(pd.DataFrame(np.array(rows), columns=[f"x{i}" for i in range(self.p)]))


@dataclass
class LikertClasses:
    """Latent-class Likert survey (the structure of make_survey, other numbers):
    k classes, m factors, q items per factor, answers 1-5.

    Class profiles first, class by class and factor by factor: the class's own
    factor (j mod m) is `high` (no draw), every other draws uniform_in(low_range).
    Then per respondent: the class (categorical(weights)), m latent values
    (mean + within_sd * normal), and per factor and item (loadings
    linspace(0.85, 0.65, q)) l f + sqrt(1 - l^2) normal, cut at -1.5, -0.5,
    0.5, 1.5.
    """

    name: str
    k: int
    m: int
    q: int
    n: int
    seed: int
    weights: tuple = ()
    high: float = 1.6
    low_range: tuple = (-0.7, 0.3)
    within_sd: float = 0.45

    def frame(self) -> pd.DataFrame:
        rng = SplitMix64(self.seed)
        weights = self.weights or (1,) * self.k
        profiles = [
            [self.high if f == j % self.m else rng.uniform_in(*self.low_range) for f in range(self.m)]
            for j in range(self.k)
        ]
        loadings = np.linspace(0.85, 0.65, self.q)
        rows = []
        for _ in range(self.n):
            c = rng.categorical(weights)
            latent = [profiles[c][f] + self.within_sd * rng.normal() for f in range(self.m)]
            row = []
            for f in range(self.m):
                for l in loadings:
                    z = l * latent[f] + math.sqrt(1 - l * l) * rng.normal()
                    row.append(1 + sum(z > cut for cut in (-1.5, -0.5, 0.5, 1.5)))
            rows.append(row)
        columns = [f"f{f}_{j + 1}" for f in range(self.m) for j in range(self.q)]
        return with_ids(pd.DataFrame(np.array(rows, dtype=float), columns=columns))


@dataclass
class Mixed:
    """p_num numeric columns (within-segment sd 1) and n_cat categorical ones.

    Numeric centres: k x p_num uniform_in(-1, 1), scaled so that the closest
    pair is `sep` apart. Rows segment by segment (sizes_of): p_num values
    centre + normal, then for each categorical column c, categorical(probs)
    with `dominant` at level (j + c) mod L and (1 - dominant)/(L - 1) elsewhere.
    """

    name: str
    k: int
    p_num: int
    n_cat: int
    n_levels: int
    n: int
    seed: int
    sep: float
    dominant: float
    weights: tuple = ()

    def frame(self) -> pd.DataFrame:
        rng = SplitMix64(self.seed)
        k, L = self.k, self.n_levels
        centres = np.array([[rng.uniform_in(-1.0, 1.0) for _ in range(self.p_num)] for _ in range(k)])
        dmin = min(float(np.linalg.norm(centres[i] - centres[j])) for i in range(k) for j in range(i + 1, k))
        centres = centres * (self.sep / dmin)
        rows = []
        for j, m in enumerate(sizes_of(self.n, self.weights or (1,) * k)):
            for _ in range(m):
                numeric = [centres[j][c] + rng.normal() for c in range(self.p_num)]
                levels = []
                for c in range(self.n_cat):
                    own = (j + c) % L
                    probs = [self.dominant if lv == own else (1 - self.dominant) / (L - 1) for lv in range(L)]
                    levels.append("abcdefghij"[rng.categorical(probs)])
                rows.append(numeric + levels)
        columns = [f"num{c}" for c in range(self.p_num)] + [f"cat{c}" for c in range(self.n_cat)]
        return with_ids(pd.DataFrame(rows, columns=columns))


@dataclass
class Customers:
    """segmint's make_customers(n, seed): four archetypes, the truth."""

    name: str
    n: int
    seed: int
    k: int = 4


@dataclass
class Survey:
    """segmint's make_survey(C000001.., seed): 16 items, four attitudes (the truth),
    segmented on the items or on the factor scores."""

    name: str
    n: int
    seed: int
    basis: str
    k: int = 4


def suite():
    design = [
        Blobs("D01-blobs2-sep", k=2, p=2, n=1000, seed=101, sep=3.0),
        Blobs("D02-blobs3-ovl", k=3, p=2, n=1500, seed=102, sep=1.5),
        Blobs("D03-blobs4-unequal-n", k=4, p=5, n=2000, seed=103, sep=2.5, weights=(5, 2, 2, 1)),
        Blobs("D04-blobs5-elong", k=5, p=3, n=2500, seed=104, sep=2.5, axis_ratio=4.0),
        Blobs("D05-blobs6-unequal-sd", k=6, p=8, n=3000, seed=105, sep=2.0, sigma_range=(0.5, 1.5)),
        Blobs("D06-blobs7-ovl", k=7, p=10, n=2800, seed=106, sep=1.5),
        Blobs("D07-blobs3-elong-5x", k=3, p=6, n=1200, seed=107, sep=2.0, axis_ratio=3.0, weights=(1, 2, 5)),
        Blobs("D08-blobs4-unequal-n-sd", k=4, p=2, n=1600, seed=108, sep=2.0, weights=(4, 2, 1, 1), sigma_range=(0.6, 1.4)),
        Blobs("D09-blobs4-noise", k=4, p=10, n=2000, seed=109, sep=2.5, p_noise=7),
        Blobs("D10-blobs5-noise", k=5, p=10, n=2500, seed=110, sep=2.0, p_noise=6),
        LikertClasses("D11-likert3", k=3, m=3, q=4, n=1500, seed=111, weights=(4, 3, 3)),
        Customers("D12-customers", n=3000, seed=1),
        Survey("D13-survey-items", n=3000, seed=1, basis="items"),
        Survey("D14-survey-factors", n=3000, seed=1, basis="factors"),
        Mixed("D15-mixed3", k=3, p_num=3, n_cat=2, n_levels=4, n=1500, seed=115, sep=3.0, dominant=0.6),
        Blobs("D16-blobs2-elong-5x", k=2, p=4, n=1200, seed=116, sep=2.0, axis_ratio=3.0, weights=(5, 1)),
    ]
    held_out = [
        Blobs("H01-blobs2-ovl", k=2, p=3, n=800, seed=201, sep=1.5),
        Blobs("H02-blobs3-sep-5x", k=3, p=4, n=1800, seed=202, sep=3.0, weights=(5, 1, 1)),
        Blobs("H03-blobs4-elong", k=4, p=2, n=1200, seed=203, sep=2.0, axis_ratio=5.0),
        Blobs("H04-blobs5-unequal-sd-ovl", k=5, p=6, n=2000, seed=204, sep=1.5, sigma_range=(0.6, 1.4)),
        Blobs("H05-blobs6-elong-unequal-n", k=6, p=3, n=2400, seed=205, sep=2.5, axis_ratio=3.0, weights=(3, 3, 2, 2, 1, 1)),
        Blobs("H06-blobs7", k=7, p=5, n=3000, seed=206, sep=2.0),
        Blobs("H07-blobs3-unequal-sd", k=3, p=10, n=1000, seed=207, sep=2.5, sigma_range=(0.5, 1.5)),
        Blobs("H08-blobs4-elong-5x-ovl", k=4, p=8, n=2500, seed=208, sep=1.5, axis_ratio=4.0, weights=(5, 2, 2, 1)),
        Blobs("H09-blobs3-noise", k=3, p=8, n=1500, seed=209, sep=2.0, p_noise=6),
        Blobs("H10-blobs6-noise", k=6, p=10, n=3000, seed=210, sep=2.5, p_noise=5),
        LikertClasses("H11-likert5", k=5, m=5, q=3, n=2500, seed=211),
        Customers("H12-customers", n=2000, seed=2),
        Survey("H13-survey-items", n=2000, seed=2, basis="items"),
        Survey("H14-survey-factors", n=2000, seed=2, basis="factors"),
        Mixed("H15-mixed4", k=4, p_num=2, n_cat=3, n_levels=3, n=2000, seed=215, sep=2.5, dominant=0.7, weights=(3, 2, 2, 1)),
        Blobs("H16-blobs2-unequal-sd-3x", k=2, p=8, n=1500, seed=216, sep=1.25, sigma_range=(0.7, 1.3), weights=(3, 1)),
    ]
    return design, held_out


# --- segmint's pipeline with k = "auto" -------------------------------------


def segment_auto(ds) -> dict:
    """The report's k_selection of segmint's own pipeline on the data set."""
    if isinstance(ds, Customers):
        tx, _ = datasets.make_customers(ds.n, seed=ds.seed)
        result = segmint.segment(
            tx, customer_col="customer_id", date_col="date", amount_col="amount", order_col="order_id",
            as_of=tx.attrs["as_of"], k="auto", random_state=SEED,
        )
    elif isinstance(ds, Survey):
        ids = [f"C{i + 1:06d}" for i in range(ds.n)]
        items = datasets.make_survey(ids, seed=ds.seed).drop(columns="attitude")
        basis = None if ds.basis == "items" else factor_columns(items)
        result = segmint.segment_table(survey=items, basis=basis, k="auto", random_state=SEED)
    else:
        result = segmint.segment_table(ds.frame(), method="kmeans", k="auto", log=False, random_state=SEED)
    return result.report["k_selection"]


def factor_columns(items: pd.DataFrame) -> list[str]:
    """The factor-score columns the pipeline joins to a survey (named after
    their scales): the numeric feature columns that are not items."""
    features = segmint.segment_table(survey=items, k=2, random_state=SEED).features
    numeric = features.select_dtypes("number").columns
    return [c for c in numeric if c not in items.columns]


# --- the rules, from the k table (crates/segmint/src/select/mod.rs) ---------


def elbow(candidates: list[dict]) -> int | None:
    """The k farthest below the chord from the first to the last (k, inertia)
    point, both axes scaled to [0, 1]; the last of equal maxima."""
    first, last = candidates[0], candidates[-1]
    if len(candidates) < 3 or first["inertia"] <= last["inertia"]:
        return None
    span_k = float(last["k"] - first["k"])
    span_i = first["inertia"] - last["inertia"]
    best, best_gap = None, None
    for s in candidates:
        chord = 1.0 - (s["k"] - first["k"]) / span_k
        gap = chord - (s["inertia"] - last["inertia"]) / span_i
        if gap > 0.0 and (best_gap is None or gap >= best_gap):
            best, best_gap = s["k"], gap
    return best


def best_by(candidates: list[dict], key) -> int:
    """The k of the highest key; ties go to the smaller k."""
    best = candidates[0]
    for s in candidates[1:]:
        if key(s) > key(best):
            best = s
    return best["k"]


def vote(selection: dict, indices_as_one: bool) -> int:
    """The recommended k. indices_as_one: the current rule (silhouette, CH and
    DB speak once, with their majority, else the silhouette's k); otherwise
    the former rule (each of the three votes). Then the elbow and the gap
    rule vote; most votes win, a tie goes to the gap rule's k, then to the
    higher silhouette (the last of equal keys, in the order of k)."""
    candidates = sorted((s for s in selection["table"] if s["admissible"]), key=lambda s: s["k"])
    indices = [
        best_by(candidates, lambda s: s["silhouette"]),
        best_by(candidates, lambda s: s["calinski_harabasz"]),
        best_by(candidates, lambda s: -s["davies_bouldin"]),
    ]
    if indices_as_one:
        key = lambda k: (indices.count(k), k == indices[0])  # noqa: E731
        one = indices[0]
        for k in indices[1:]:
            if key(k) >= key(one):
                one = k
        votes = [one]
    else:
        votes = list(indices)
    k_elbow = elbow(candidates)
    if k_elbow is not None:
        votes.append(k_elbow)
    gap = selection.get("gap_choice")
    if gap is not None and any(s["k"] == gap for s in candidates):
        votes.append(gap)
    else:
        gap = None
    winner, best = None, None
    for s in candidates:
        key = (votes.count(s["k"]), s["k"] == gap, s["silhouette"])
        if best is None or key >= best:
            winner, best = s["k"], key
    return winner


# --- the run ------------------------------------------------------------------


def main():
    design, held_out = suite()
    start = time.perf_counter()
    rows = []
    for half, sets in (("design", design), ("held-out", held_out)):
        for ds in sets:
            selection = segment_auto(ds)
            new = int(selection["recommended"])
            recomputed = vote(selection, indices_as_one=True)
            if recomputed != new:
                print(f"note: {ds.name}: the current rule recomputed from the table gives {recomputed}, segmint {new}")
            rows.append((ds.name, half, ds.k, new, vote(selection, indices_as_one=False)))
            print(f"  {ds.name}: {time.perf_counter() - start:.0f} s", flush=True)
    elapsed = time.perf_counter() - start

    mark = lambda ok: "✓" if ok else "✗"  # noqa: E731
    print(f"\nsegmint {segmint.__version__}, seed {SEED}\n")
    print("| data set | half | true k | current rule | former rule |")
    print("|---|---|---:|---:|---:|")
    for name, half, truth, new, old in rows:
        print(f"| {name} | {half} | {truth} | {new} {mark(new == truth)} | {old} {mark(old == truth)} |")
    print("\n| rule | design | held-out | all |")
    print("|---|---:|---:|---:|")
    for label, col in (("current (indices as one voice, elbow, gap)", 3), ("former (five votes)", 4)):
        hits = {h: sum(r[col] == r[2] for r in rows if r[1] == h) for h in ("design", "held-out")}
        print(f"| {label} | {hits['design']}/16 | {hits['held-out']}/16 | {sum(hits.values())}/32 |")
    changed = [r[0] for r in rows if r[3] != r[4]]
    print(f"\nsets where the rules differ: {', '.join(changed) or 'none'}")
    print(f"total run time: {elapsed:.1f} s")


if __name__ == "__main__":
    main()
