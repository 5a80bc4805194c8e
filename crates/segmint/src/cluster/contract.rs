//! One clustering contract for the pipeline: every algorithm fits
//! mixed-type rows (standardised numeric columns and categorical level
//! codes) into k segments, and the fitted model places new rows.
//!
//! The algorithms made for numbers alone (k-means, mini-batch k-means, the
//! Gaussian mixture, Ward) see each categorical column one-hot encoded and
//! scaled by √½, so that a mismatch adds 1 to a squared distance, as one
//! standard deviation of a standardised column does. k-prototypes sees the
//! codes themselves.

use ndarray::{Array2, ArrayView2, Axis, s};
use serde::{Deserialize, Serialize};

use crate::CancelToken;
use crate::cluster::{GaussianMixture, KMeans, KPrototypes, MiniBatchKMeans, Ward};
use crate::error::{Error, Result};

/// Rows to cluster: standardised numeric columns and categorical level codes
/// (`codes[i, j] < n_levels[j]`). Either part may have no columns.
#[derive(Debug, Clone, Copy)]
pub struct MixedRows<'a> {
    /// Numeric columns, rows × columns.
    pub numeric: ArrayView2<'a, f64>,
    /// Categorical level codes, rows × columns.
    pub categorical: ArrayView2<'a, u32>,
    /// Number of levels of each categorical column.
    pub n_levels: &'a [u32],
}

/// The weight of a one-hot column: a mismatch on one categorical column
/// adds `2 · ½ = 1` to a squared distance.
const ONE_HOT_WEIGHT: f64 = std::f64::consts::FRAC_1_SQRT_2;

impl<'a> MixedRows<'a> {
    /// Numeric rows without categorical columns.
    pub fn numeric(x: ArrayView2<'a, f64>) -> Self {
        MixedRows {
            numeric: x,
            categorical: ArrayView2::from_shape((x.nrows(), 0), &[]).expect("an empty view"),
            n_levels: &[],
        }
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.numeric.nrows()
    }

    /// Whether every column is numeric.
    pub fn is_numeric(&self) -> bool {
        self.categorical.ncols() == 0
    }

    /// The numeric columns followed by each categorical column one-hot
    /// encoded (weight √½): the space of the numeric algorithms and the
    /// validity indices.
    pub fn encoded(&self) -> Array2<f64> {
        let width: usize = self.n_levels.iter().map(|&l| l as usize).sum();
        let p = self.numeric.ncols();
        let mut out = Array2::zeros((self.n_rows(), p + width));
        out.slice_mut(s![.., ..p]).assign(&self.numeric);
        for (i, codes) in self.categorical.rows().into_iter().enumerate() {
            let mut offset = p;
            for (&code, &levels) in codes.iter().zip(self.n_levels) {
                out[[i, offset + code as usize]] = ONE_HOT_WEIGHT;
                offset += levels as usize;
            }
        }
        out
    }

    /// The codes back from rows in the [`Self::encoded`] layout (the
    /// largest one-hot entry of each block wins).
    pub fn decode_categorical(encoded: ArrayView2<'_, f64>, n_numeric: usize, n_levels: &[u32]) -> Array2<u32> {
        let mut codes = Array2::zeros((encoded.nrows(), n_levels.len()));
        for (i, row) in encoded.rows().into_iter().enumerate() {
            let mut offset = n_numeric;
            for (j, &levels) in n_levels.iter().enumerate() {
                let block = row.slice(s![offset..offset + levels as usize]);
                let best =
                    block.iter().enumerate().fold(
                        (0, f64::NEG_INFINITY),
                        |best, (c, &v)| if v > best.1 { (c, v) } else { best },
                    );
                codes[[i, j]] = best.0 as u32;
                offset += levels as usize;
            }
        }
        codes
    }
}

/// A clustering algorithm with its settings (k included), as the pipeline,
/// the choice of k and the stability checks use it.
pub trait Clusterer: Sync {
    /// Fits the rows.
    fn fit_rows(&self, rows: MixedRows<'_>) -> Result<ClusterModel>;
}

impl Clusterer for crate::cluster::KMeansParams {
    fn fit_rows(&self, rows: MixedRows<'_>) -> Result<ClusterModel> {
        let model = if rows.is_numeric() {
            self.fit(rows.numeric)?
        } else {
            self.fit(rows.encoded().view())?
        };
        Ok(ClusterModel::KMeans(model))
    }
}

impl Clusterer for crate::cluster::MiniBatchKMeansParams {
    fn fit_rows(&self, rows: MixedRows<'_>) -> Result<ClusterModel> {
        Ok(ClusterModel::MiniBatchKMeans(self.fit(rows.encoded().view())?))
    }
}

impl Clusterer for crate::cluster::GaussianMixtureParams {
    fn fit_rows(&self, rows: MixedRows<'_>) -> Result<ClusterModel> {
        let x = rows.encoded();
        let model = self.fit(x.view())?;
        let labels = model.predict(x.view())?.to_vec();
        Ok(ClusterModel::GaussianMixture { model, labels })
    }
}

impl Clusterer for crate::cluster::KPrototypesParams {
    fn fit_rows(&self, rows: MixedRows<'_>) -> Result<ClusterModel> {
        if rows.is_numeric() {
            return Err(Error::invalid_parameter(
                "method",
                "kprototypes",
                "a basis with at least one categorical column (k-means serves an all-numeric basis)",
            ));
        }
        Ok(ClusterModel::KPrototypes(self.fit(rows.numeric, rows.categorical)?))
    }
}

/// Ward's tree cut into `k` clusters; new rows go to the nearest centre.
#[derive(Debug, Clone)]
pub struct WardCut {
    /// The tree's settings.
    pub params: crate::cluster::WardParams,
    /// Clusters kept.
    pub k: usize,
}

impl Clusterer for WardCut {
    fn fit_rows(&self, rows: MixedRows<'_>) -> Result<ClusterModel> {
        let x = rows.encoded();
        let labels = self.params.fit(x.view())?.labels_for(self.k)?.to_vec();
        let centres = centres_of(x.view(), &labels, self.k);
        Ok(ClusterModel::Ward { centres, labels })
    }
}

/// Mean of the rows of each cluster (zeros for an empty one).
fn centres_of(x: ArrayView2<'_, f64>, labels: &[usize], k: usize) -> Array2<f64> {
    let mut centres = Array2::zeros((k, x.ncols()));
    let mut counts = vec![0usize; k];
    for (row, &l) in x.rows().into_iter().zip(labels) {
        let mut centre = centres.row_mut(l);
        centre += &row;
        counts[l] += 1;
    }
    for (mut centre, &n) in centres.rows_mut().into_iter().zip(&counts) {
        if n > 0 {
            centre /= n as f64;
        }
    }
    centres
}

/// A fitted clustering of any algorithm (serialisable, so a segmentation
/// can place later customers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "algorithm", rename_all = "snake_case")]
pub enum ClusterModel {
    /// k-means.
    KMeans(KMeans),
    /// Mini-batch k-means.
    MiniBatchKMeans(MiniBatchKMeans),
    /// k-prototypes (numeric and categorical columns).
    KPrototypes(KPrototypes),
    /// A Gaussian mixture; each row goes to its most probable component.
    GaussianMixture {
        /// The mixture.
        model: GaussianMixture,
        /// The component of each fitted row.
        labels: Vec<usize>,
    },
    /// Ward's hierarchical clustering cut at k clusters.
    Ward {
        /// Mean of each cluster in the encoded space.
        centres: Array2<f64>,
        /// The cluster of each fitted row.
        labels: Vec<usize>,
    },
}

impl ClusterModel {
    /// The algorithm in words, for reports.
    pub fn description(&self) -> &'static str {
        match self {
            ClusterModel::KMeans(_) => "k-means (k-means++ init, Lloyd)",
            ClusterModel::MiniBatchKMeans(_) => "mini-batch k-means",
            ClusterModel::KPrototypes(_) => "k-prototypes (Huang; numeric and categorical)",
            ClusterModel::GaussianMixture { .. } => "Gaussian mixture (full covariance, EM)",
            ClusterModel::Ward { .. } => "Ward hierarchical clustering",
        }
    }

    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        match self {
            ClusterModel::KMeans(m) => m.n_clusters(),
            ClusterModel::MiniBatchKMeans(m) => m.centers().nrows(),
            ClusterModel::KPrototypes(m) => m.n_clusters(),
            ClusterModel::GaussianMixture { model, .. } => model.n_components(),
            ClusterModel::Ward { centres, .. } => centres.nrows(),
        }
    }

    /// The cluster of each fitted row.
    pub fn labels(&self) -> Vec<usize> {
        match self {
            ClusterModel::KMeans(m) => m.labels().to_vec(),
            ClusterModel::MiniBatchKMeans(m) => m.labels().to_vec(),
            ClusterModel::KPrototypes(m) => m.labels().to_vec(),
            ClusterModel::GaussianMixture { labels, .. } | ClusterModel::Ward { labels, .. } => labels.clone(),
        }
    }

    /// The cluster of each of `rows`.
    pub fn predict(&self, rows: MixedRows<'_>) -> Result<Vec<usize>> {
        let labels = match self {
            ClusterModel::KMeans(m) => m.predict(rows.encoded().view())?,
            ClusterModel::MiniBatchKMeans(m) => m.predict(rows.encoded().view())?,
            ClusterModel::KPrototypes(m) => m.predict(rows.numeric, rows.categorical)?,
            ClusterModel::GaussianMixture { model, .. } => model.predict(rows.encoded().view())?,
            ClusterModel::Ward { centres, .. } => return Ok(nearest(rows.encoded().view(), centres.view())),
        };
        Ok(labels.to_vec())
    }

    /// The centre of each cluster in the clustered space: numeric columns,
    /// then the one-hot columns (k-prototypes: the numeric centroids only).
    pub fn centres(&self) -> Array2<f64> {
        match self {
            ClusterModel::KMeans(m) => m.centers().to_owned(),
            ClusterModel::MiniBatchKMeans(m) => m.centers().to_owned(),
            ClusterModel::KPrototypes(m) => m.numeric_centroids().to_owned(),
            ClusterModel::GaussianMixture { model, .. } => model.means().to_owned(),
            ClusterModel::Ward { centres, .. } => centres.clone(),
        }
    }

    /// The objective of the kept run: the inertia (k-means, Ward in the
    /// encoded space), the k-prototypes cost, or minus the mixture's lower bound.
    pub fn cost(&self) -> f64 {
        match self {
            ClusterModel::KMeans(m) => m.inertia(),
            ClusterModel::MiniBatchKMeans(m) => m.inertia(),
            ClusterModel::KPrototypes(m) => m.cost(),
            ClusterModel::GaussianMixture { model, .. } => -model.lower_bound(),
            ClusterModel::Ward { .. } => f64::NAN,
        }
    }

    /// Iterations of the kept run (0 for Ward, which does not iterate).
    pub fn n_iter(&self) -> usize {
        match self {
            ClusterModel::KMeans(m) => m.n_iter(),
            ClusterModel::MiniBatchKMeans(m) => m.n_iter(),
            ClusterModel::KPrototypes(m) => m.n_iter(),
            ClusterModel::GaussianMixture { model, .. } => model.n_iter(),
            ClusterModel::Ward { .. } => 0,
        }
    }

    /// Whether the kept run converged (Ward always does).
    pub fn converged(&self) -> bool {
        match self {
            ClusterModel::KMeans(m) => m.converged(),
            ClusterModel::MiniBatchKMeans(m) => m.converged(),
            ClusterModel::KPrototypes(m) => m.converged(),
            ClusterModel::GaussianMixture { model, .. } => model.converged(),
            ClusterModel::Ward { .. } => true,
        }
    }
}

/// The nearest centre of each row (ties: the lower cluster).
fn nearest(x: ArrayView2<'_, f64>, centres: ArrayView2<'_, f64>) -> Vec<usize> {
    x.rows()
        .into_iter()
        .map(|row| {
            centres
                .rows()
                .into_iter()
                .map(|c| row.iter().zip(c).map(|(a, b)| (a - b) * (a - b)).sum::<f64>())
                .enumerate()
                .fold(
                    (0, f64::INFINITY),
                    |best, (j, d)| if d < best.1 { (j, d) } else { best },
                )
                .0
        })
        .collect()
}

/// A fitted clustering with its clusters renumbered (0 the largest), as
/// the pipeline reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segments {
    /// The fitted model, in its own numbering.
    pub model: ClusterModel,
    /// The segment of each model cluster.
    pub segment_of: Vec<usize>,
}

impl Segments {
    /// Renumbers the model's clusters by decreasing size (ties: lower
    /// cluster first), so that reports read the same way for every seed
    /// that finds the same segments.
    pub fn largest_first(model: ClusterModel) -> Self {
        let k = model.n_clusters();
        let sizes = crate::metrics::segment_sizes(&model.labels(), k);
        let order = crate::metrics::largest_first_order(&sizes);
        let mut segment_of = vec![0; k];
        for (segment, &cluster) in order.iter().enumerate() {
            segment_of[cluster] = segment;
        }
        Segments { model, segment_of }
    }

    /// Number of segments.
    pub fn n_segments(&self) -> usize {
        self.segment_of.len()
    }

    /// Each of the model's clusters has its own segment in `0..k` (a loaded file may not).
    pub fn check(&self) -> Result<()> {
        let k = self.model.n_clusters();
        let mut seen = vec![false; k];
        for &segment in &self.segment_of {
            if segment >= k || std::mem::replace(&mut seen[segment], true) {
                return Err(Error::invalid_parameter(
                    "segment_of",
                    format!("{:?}", self.segment_of),
                    format!("each segment 0..{k} once, one per cluster of the model"),
                ));
            }
        }
        if self.segment_of.len() != k {
            return Err(Error::ShapeMismatch {
                what: "segment_of (one segment per cluster of the model)".into(),
                expected: k.to_string(),
                found: self.segment_of.len().to_string(),
            });
        }
        Ok(())
    }

    /// The segment of each fitted row.
    pub fn labels(&self) -> Vec<usize> {
        self.model.labels().into_iter().map(|c| self.segment_of[c]).collect()
    }

    /// The segment of each of `rows`.
    pub fn predict(&self, rows: MixedRows<'_>) -> Result<Vec<usize>> {
        Ok(self
            .model
            .predict(rows)?
            .into_iter()
            .map(|c| self.segment_of[c])
            .collect())
    }

    /// The centre of each segment, in segment order.
    pub fn centres(&self) -> Array2<f64> {
        let centres = self.model.centres();
        let mut order = vec![0; self.segment_of.len()];
        for (cluster, &segment) in self.segment_of.iter().enumerate() {
            order[segment] = cluster;
        }
        centres.select(Axis(0), &order)
    }
}

/// The clustering algorithms the pipeline offers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// k-means for an all-numeric basis, k-prototypes when it has categorical columns.
    #[default]
    Auto,
    /// k-means (k-means++, Lloyd).
    #[serde(rename = "kmeans")]
    KMeans,
    /// Mini-batch k-means, for very many customers.
    #[serde(rename = "minibatch")]
    MiniBatchKMeans,
    /// k-prototypes (Huang 1998), for numeric and categorical columns.
    #[serde(rename = "kprototypes")]
    KPrototypes,
    /// A full-covariance Gaussian mixture (k chosen by BIC).
    Gmm,
    /// Ward's agglomerative clustering.
    Ward,
}

impl std::str::FromStr for Method {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Ok(
            match text.trim().to_ascii_lowercase().replace(['-', '_'], "").as_str() {
                "auto" => Method::Auto,
                "kmeans" => Method::KMeans,
                "minibatch" | "minibatchkmeans" => Method::MiniBatchKMeans,
                "kprototypes" => Method::KPrototypes,
                "gmm" | "gaussianmixture" => Method::Gmm,
                "ward" => Method::Ward,
                _ => {
                    return Err(Error::invalid_parameter(
                        "method",
                        text,
                        "one of auto, kmeans, minibatch, kprototypes, gmm, ward",
                    ));
                }
            },
        )
    }
}

/// The settings every method shares.
#[derive(Debug, Clone, Default)]
pub struct MethodSettings {
    /// Seed of the initialisation.
    pub seed: u64,
    /// Independent runs (`None`: the method's default).
    pub n_init: Option<usize>,
    /// Checked between iterations.
    pub cancel: CancelToken,
}

impl Method {
    /// `Auto` made concrete for a basis with or without categorical columns.
    pub fn resolve(self, has_categorical: bool) -> Method {
        match self {
            Method::Auto if has_categorical => Method::KPrototypes,
            Method::Auto => Method::KMeans,
            other => other,
        }
    }

    /// The name the CLI and Python use.
    pub fn name(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::KMeans => "kmeans",
            Method::MiniBatchKMeans => "minibatch",
            Method::KPrototypes => "kprototypes",
            Method::Gmm => "gmm",
            Method::Ward => "ward",
        }
    }

    /// The clusterer of this method with `k` clusters (`Auto` must be resolved first).
    pub fn clusterer(self, k: usize, settings: &MethodSettings) -> Box<dyn Clusterer> {
        let MethodSettings { seed, n_init, cancel } = settings.clone();
        match self {
            Method::Auto | Method::KMeans => {
                let mut params = KMeans::params(k).seed(seed).cancel(cancel);
                if let Some(n) = n_init {
                    params = params.n_init(n);
                }
                Box::new(params)
            }
            Method::MiniBatchKMeans => {
                let mut params = MiniBatchKMeans::params(k).seed(seed).cancel(cancel);
                if let Some(n) = n_init {
                    params = params.n_init(n);
                }
                Box::new(params)
            }
            Method::KPrototypes => {
                let mut params = KPrototypes::params(k).seed(seed).cancel(cancel);
                if let Some(n) = n_init {
                    params = params.n_init(n);
                }
                Box::new(params)
            }
            Method::Gmm => {
                let mut params = GaussianMixture::params(k).seed(seed).cancel(cancel);
                if let Some(n) = n_init {
                    params = params.n_init(n);
                }
                Box::new(params)
            }
            Method::Ward => Box::new(WardCut {
                params: Ward::params(),
                k,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn one_hot_encoding_round_trips_the_codes() {
        let numeric = array![[1.0], [2.0], [3.0]];
        let codes = array![[0u32, 2], [1, 0], [0, 1]];
        let rows = MixedRows {
            numeric: numeric.view(),
            categorical: codes.view(),
            n_levels: &[2, 3],
        };
        let encoded = rows.encoded();
        assert_eq!(encoded.ncols(), 6);
        let h = ONE_HOT_WEIGHT;
        assert_eq!(encoded.row(0).to_vec(), vec![1.0, h, 0.0, 0.0, 0.0, h]);
        assert_eq!(MixedRows::decode_categorical(encoded.view(), 1, &[2, 3]), codes);
    }

    #[test]
    fn every_method_fits_and_predicts_its_own_rows() {
        let numeric = array![
            [0.0, 0.1],
            [0.1, 0.0],
            [0.05, 0.05],
            [5.0, 5.1],
            [5.1, 5.0],
            [5.05, 4.95]
        ];
        let codes = array![[0u32], [0], [0], [1], [1], [1]];
        let rows = MixedRows {
            numeric: numeric.view(),
            categorical: codes.view(),
            n_levels: &[2],
        };
        let settings = MethodSettings {
            seed: 3,
            ..MethodSettings::default()
        };
        for method in [
            Method::KMeans,
            Method::MiniBatchKMeans,
            Method::KPrototypes,
            Method::Gmm,
            Method::Ward,
        ] {
            let model = method.clusterer(2, &settings).fit_rows(rows).unwrap();
            let segments = Segments::largest_first(model);
            let labels = segments.labels();
            assert_eq!(labels[0], labels[1], "{method:?}");
            assert_ne!(labels[0], labels[3], "{method:?}");
            assert_eq!(segments.predict(rows).unwrap(), labels, "{method:?}");
            assert_eq!(segments.centres().nrows(), 2);
        }
    }

    #[test]
    fn method_names_parse_and_unknown_ones_are_named() {
        assert_eq!("k-prototypes".parse::<Method>().unwrap(), Method::KPrototypes);
        assert_eq!("GMM".parse::<Method>().unwrap(), Method::Gmm);
        let err = "dbscan".parse::<Method>().unwrap_err().to_string();
        assert!(err.contains("method=dbscan") && err.contains("kprototypes"), "{err}");
    }
}
