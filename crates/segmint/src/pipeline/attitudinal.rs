//! The attitudinal path: survey items → adequacy checks → factor analysis →
//! k-means on factor scores or on the raw items → segment factor profiles
//! and the MASDA scorecard (with each scale's Cronbach's α).
//!
//! Dolnicar & Grün warn against clustering only on factor scores
//! ("factor-cluster segmentation"): the factors keep the variance the items
//! share and drop what sets small groups apart. Both bases are offered;
//! the raw items are the safer default when there are few of them.

use ndarray::{Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use super::AnswerScale;
use crate::cluster::{KMeans, KPrototypes};
use crate::data::Attributes;
use crate::error::{Error, Result};
use crate::metrics::{largest_first_order, segment_sizes};
use crate::preprocess::StandardScaler;
use crate::reduce::{
    Bartlett, FactorAnalysis, Kmo, ParallelAnalysisParams, Rotation, bartlett_sphericity, cronbach_alpha, kmo,
    parallel_analysis,
};
use crate::select::{KSelection, SelectOptions, select_k};
use crate::validate::{ScaleReliability, Scorecard, ValidateOptions, ValidationInput, validate};

/// What the segments are clustered on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClusterBasis {
    /// The standardised survey items.
    #[default]
    RawItems,
    /// The factor scores (regression method).
    FactorScores,
}

/// Settings of an attitudinal segmentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttitudinalSegmentation {
    /// Number of segments.
    pub k: usize,
    /// When set, k is chosen by [`select_k`] on the clustered matrix and `k` is ignored.
    #[serde(default)]
    pub select: Option<SelectOptions>,
    /// Factors to extract (`None`: Horn's parallel analysis decides).
    pub n_factors: Option<usize>,
    /// Rotation of the minres solution.
    pub rotation: Rotation,
    /// Clustering basis.
    pub basis: ClusterBasis,
    /// Seed of k-means, the parallel analysis and the scorecard.
    pub seed: u64,
    /// k-means runs.
    pub n_init: usize,
    /// The scorecard's settings (`None`: no scorecard).
    pub validate: Option<ValidateOptions>,
    /// The answer scale: an answer outside it is an error (`None`: not checked).
    #[serde(default)]
    pub scale: Option<AnswerScale>,
}

impl Default for AttitudinalSegmentation {
    fn default() -> Self {
        AttitudinalSegmentation {
            k: 4,
            select: None,
            n_factors: None,
            rotation: Rotation::Varimax,
            basis: ClusterBasis::RawItems,
            seed: 0,
            n_init: 10,
            validate: Some(ValidateOptions::default()),
            scale: None,
        }
    }
}

/// One scale: the items loading most on a factor, and its reliability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scale {
    /// Name: the items' shared prefix (`price` for `price_1`, `price_2` …), else `factor <j>`.
    pub name: String,
    /// The factor (column of the loadings).
    pub factor: usize,
    /// Its items.
    pub items: Vec<String>,
    /// Cronbach's α (NaN for a one-item scale).
    pub alpha: f64,
}

/// What an attitudinal segmentation produces.
#[derive(Debug, Clone)]
pub struct AttitudinalResult {
    /// Respondent ids, in row order.
    pub ids: Vec<String>,
    /// The survey measured: items, adequacy, factors, scales and scores.
    pub measurement: SurveyMeasurement,
    /// Segment of each respondent, 0 the largest.
    pub labels: Vec<usize>,
    /// Mean factor score of each segment (segments × factors).
    pub segment_factor_means: Array2<f64>,
    /// How k was chosen, when it was chosen automatically.
    pub k_selection: Option<KSelection>,
    /// `k-means`, or `k-prototypes` when categorical demographics joined.
    pub algorithm: String,
    /// The MASDA scorecard, with the scales' α under Measurable.
    pub scorecard: Option<Scorecard>,
}

impl AttitudinalSegmentation {
    /// Segments the respondents of a survey table (every numeric column is an item).
    pub fn fit(&self, survey: &Attributes) -> Result<AttitudinalResult> {
        self.fit_with_demographics(survey, None)
    }

    /// [`Self::fit`] with demographics: their numeric columns (standardised)
    /// join the clustered matrix and their categorical columns are matched by
    /// k-prototypes (γ as the kmodes package). A respondent without a row, or
    /// with an empty value, gets the level "missing".
    pub fn fit_with_demographics(
        &self,
        survey: &Attributes,
        demographics: Option<&Attributes>,
    ) -> Result<AttitudinalResult> {
        let measured = self.measure(survey)?;
        let basis = match self.basis {
            ClusterBasis::RawItems => measured.complete.view(),
            ClusterBasis::FactorScores => measured.scores.view(),
        };
        let mut z = StandardScaler::fit(basis)?.transform(basis)?;
        let mut names = factor_names(
            &measured.scales,
            measured.factors.n_factors(),
            self.basis,
            &measured.items,
        );
        let mut categorical = None;
        if let Some(table) = demographics {
            let joined = join_demographics(&survey.ids, table)?;
            if !joined.numeric_names.is_empty() {
                z = ndarray::concatenate(Axis(1), &[z.view(), joined.numeric.view()]).expect("same rows");
                names.extend(joined.numeric_names);
            }
            categorical = (joined.categorical.ncols() > 0).then_some(joined.categorical);
        }
        let k_selection = self
            .select
            .as_ref()
            .map(|options| {
                select_k(
                    z.view(),
                    &SelectOptions {
                        seed: self.seed,
                        ..options.clone()
                    },
                )
            })
            .transpose()?;
        let k = k_selection.as_ref().map_or(self.k, |s| s.recommended);
        if k > z.nrows() {
            return Err(Error::invalid_parameter(
                "k",
                k,
                format!("at most the number of respondents ({})", z.nrows()),
            ));
        }
        let raw_labels = match &categorical {
            Some(codes) => KPrototypes::params(k)
                .n_init(self.n_init)
                .seed(self.seed)
                .fit(z.view(), codes.view())?
                .labels()
                .to_vec(),
            None => KMeans::params(k)
                .n_init(self.n_init)
                .seed(self.seed)
                .fit(z.view())?
                .labels()
                .to_vec(),
        };
        let labels = largest_first(&raw_labels, k);
        let scorecard = self
            .validate
            .as_ref()
            .map(|options| self.scorecard(z.view(), &labels, &measured.scales, &names, options))
            .transpose()?;
        Ok(AttitudinalResult {
            ids: survey.ids.clone(),
            segment_factor_means: segment_means(measured.scores.view(), &labels, k),
            algorithm: if categorical.is_some() {
                "k-prototypes"
            } else {
                "k-means"
            }
            .into(),
            measurement: measured,
            labels,
            k_selection,
            scorecard,
        })
    }

    /// Adequacy, factors, scales and scores of the survey items (every
    /// numeric column of `survey`): what the survey measures, before any clustering.
    pub fn measure(&self, survey: &Attributes) -> Result<SurveyMeasurement> {
        if let Some(scale) = self.scale {
            scale.check(survey)?;
        }
        let items: Vec<String> = survey.numeric.iter().map(|(name, _)| name.clone()).collect();
        if items.len() < 3 {
            return Err(Error::InsufficientData {
                what: format!(
                    "the survey has {} numeric item(s); factor analysis needs at least 3",
                    items.len()
                ),
            });
        }
        let answers = Array2::from_shape_fn((survey.ids.len(), items.len()), |(i, j)| survey.numeric[j].1[i]);
        let kmo = kmo(answers.view())?;
        let bartlett = bartlett_sphericity(answers.view())?;
        let n_factors = match self.n_factors {
            Some(n) => n,
            None => {
                let params = ParallelAnalysisParams {
                    seed: self.seed,
                    ..ParallelAnalysisParams::default()
                };
                parallel_analysis(answers.view(), &params)?.n_factors.max(1)
            }
        };
        let factors = FactorAnalysis::params(n_factors)
            .rotation(self.rotation)
            .fit(answers.view())?;
        let (complete, answers_imputed) = impute_item_means(answers.view());
        let scores = factors.transform(complete.view())?;
        let scales = scales(&factors, &items, complete.view())?;
        Ok(SurveyMeasurement {
            items,
            kmo,
            bartlett,
            factors,
            scales,
            scores,
            complete,
            answers_imputed,
        })
    }

    fn scorecard(
        &self,
        z: ArrayView2<'_, f64>,
        labels: &[usize],
        scales: &[Scale],
        names: &[String],
        options: &ValidateOptions,
    ) -> Result<Scorecard> {
        let reliabilities = reliabilities(scales);
        let input = ValidationInput {
            scales: &reliabilities,
            ..ValidationInput::new(z, names, labels)
        };
        let options = ValidateOptions {
            seed: self.seed,
            ..options.clone()
        };
        validate(&input, &options)
    }
}

/// What the survey items say before any clustering.
#[derive(Debug, Clone)]
pub struct SurveyMeasurement {
    /// The items, in column order.
    pub items: Vec<String>,
    /// Sampling adequacy.
    pub kmo: Kmo,
    /// Bartlett's test of sphericity.
    pub bartlett: Bartlett,
    /// The factor model (minres, rotated).
    pub factors: FactorAnalysis,
    /// The scales read off the loadings, with their α.
    pub scales: Vec<Scale>,
    /// Factor scores (regression method), respondents × factors.
    pub scores: Array2<f64>,
    /// The answers with missing ones replaced by the item mean.
    pub complete: Array2<f64>,
    /// Answers imputed.
    pub answers_imputed: usize,
}

impl SurveyMeasurement {
    /// The name of factor `f`: its scale's name, else `factor <f+1>`.
    pub fn factor_name(&self, f: usize) -> String {
        self.scales
            .iter()
            .find(|s| s.factor == f)
            .map_or_else(|| format!("factor {}", f + 1), |s| s.name.clone())
    }

    /// The scales of two items or more, as the scorecard's Measurable check takes them.
    pub fn reliabilities(&self) -> Vec<ScaleReliability> {
        reliabilities(&self.scales)
    }

    /// One line for the report: adequacy, factors and scales with α.
    pub fn describe(&self) -> String {
        let scales: Vec<String> = self
            .scales
            .iter()
            .map(|s| format!("{} (α {:.2}: {})", s.name, s.alpha, s.items.join(", ")))
            .collect();
        format!(
            "survey: KMO {:.2} ({}), Bartlett χ² {:.0} (df {}, p {:.1e}); {} factors (minres, varimax); scales {}",
            self.kmo.overall,
            self.kmo.band.name(),
            self.bartlett.statistic,
            self.bartlett.df,
            self.bartlett.p_value,
            self.factors.n_factors(),
            scales.join("; ")
        )
    }
}

/// The scales of two items or more, with their α.
fn reliabilities(scales: &[Scale]) -> Vec<ScaleReliability> {
    scales
        .iter()
        .filter(|s| s.items.len() >= 2)
        .map(|s| ScaleReliability {
            name: s.name.clone(),
            alpha: s.alpha,
            n_items: s.items.len(),
        })
        .collect()
}

/// Demographics aligned with the respondents.
struct JoinedDemographics {
    numeric: Array2<f64>,
    numeric_names: Vec<String>,
    categorical: Array2<u32>,
}

/// The demographics of each respondent: numeric columns standardised (a
/// missing value → the column mean, i.e. 0), categorical columns as level
/// codes, "missing" being a level of its own.
fn join_demographics(ids: &[String], table: &Attributes) -> Result<JoinedDemographics> {
    let row_of: std::collections::HashMap<&str, usize> =
        table.ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let rows: Vec<Option<usize>> = ids.iter().map(|id| row_of.get(id.as_str()).copied()).collect();
    let raw = Array2::from_shape_fn((ids.len(), table.numeric.len()), |(i, j)| {
        rows[i].map_or(f64::NAN, |r| table.numeric[j].1[r])
    });
    let (filled, _) = impute_item_means(raw.view());
    let numeric = if filled.ncols() > 0 {
        StandardScaler::fit(filled.view())?.transform(filled.view())?
    } else {
        filled
    };
    let mut categorical = Array2::<u32>::zeros((ids.len(), table.categorical.len()));
    for (j, (_, values)) in table.categorical.iter().enumerate() {
        let mut levels: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            let value = row.map_or("", |r| values[r].as_str());
            let next = levels.len() as u32;
            categorical[[i, j]] = *levels.entry(value).or_insert(next);
        }
    }
    Ok(JoinedDemographics {
        numeric,
        numeric_names: table.numeric.iter().map(|(n, _)| n.clone()).collect(),
        categorical,
    })
}

/// Column names of the clustered matrix.
fn factor_names(scales: &[Scale], n_factors: usize, basis: ClusterBasis, items: &[String]) -> Vec<String> {
    match basis {
        ClusterBasis::RawItems => items.to_vec(),
        ClusterBasis::FactorScores => (0..n_factors)
            .map(|f| {
                scales
                    .iter()
                    .find(|s| s.factor == f)
                    .map_or_else(|| format!("factor {}", f + 1), |s| s.name.clone())
            })
            .collect(),
    }
}

/// Each item joins the factor it loads on most (by absolute loading); a
/// factor's items form a scale, named after their shared prefix.
fn scales(factors: &FactorAnalysis, items: &[String], answers: ArrayView2<'_, f64>) -> Result<Vec<Scale>> {
    let loadings = factors.loadings();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); loadings.ncols()];
    for (item, row) in loadings.rows().into_iter().enumerate() {
        let best = (0..row.len())
            .max_by(|&a, &b| row[a].abs().total_cmp(&row[b].abs()))
            .expect("factors");
        members[best].push(item);
    }
    members
        .into_iter()
        .enumerate()
        .filter(|(_, m)| !m.is_empty())
        .map(|(factor, m)| {
            let names: Vec<String> = m.iter().map(|&i| items[i].clone()).collect();
            let alpha = if m.len() >= 2 {
                cronbach_alpha(answers.select(Axis(1), &m).view())?.alpha
            } else {
                f64::NAN
            };
            Ok(Scale {
                name: shared_prefix(&names).unwrap_or_else(|| format!("factor {}", factor + 1)),
                factor,
                items: names,
                alpha,
            })
        })
        .collect()
}

/// The part before the last `_` when every name has the same one.
fn shared_prefix(names: &[String]) -> Option<String> {
    let prefix = |n: &String| n.rsplit_once('_').map(|(p, _)| p.to_owned());
    let first = prefix(names.first()?)?;
    names
        .iter()
        .all(|n| prefix(n).as_deref() == Some(first.as_str()))
        .then_some(first)
}

/// Missing answers replaced by their item's mean over the answered rows.
fn impute_item_means(answers: ArrayView2<'_, f64>) -> (Array2<f64>, usize) {
    let mut filled = answers.to_owned();
    let mut imputed = 0;
    for mut column in filled.columns_mut() {
        let answered: Vec<f64> = column.iter().copied().filter(|v| v.is_finite()).collect();
        let mean = answered.iter().sum::<f64>() / answered.len().max(1) as f64;
        for v in column.iter_mut().filter(|v| !v.is_finite()) {
            *v = mean;
            imputed += 1;
        }
    }
    (filled, imputed)
}

/// Labels renumbered by decreasing segment size (ties: lower label first).
fn largest_first(labels: &[usize], k: usize) -> Vec<usize> {
    let mut new_label = vec![0; k];
    for (new, old) in largest_first_order(&segment_sizes(labels, k)).into_iter().enumerate() {
        new_label[old] = new;
    }
    labels.iter().map(|&l| new_label[l]).collect()
}

fn segment_means(scores: ArrayView2<'_, f64>, labels: &[usize], k: usize) -> Array2<f64> {
    let mut sums = Array2::<f64>::zeros((k, scores.ncols()));
    let mut counts = vec![0usize; k];
    for (row, &l) in scores.rows().into_iter().zip(labels) {
        sums.row_mut(l).zip_mut_with(&row, |s, v| *s += v);
        counts[l] += 1;
    }
    for (mut row, &c) in sums.rows_mut().into_iter().zip(&counts) {
        row.mapv_inplace(|v| v / c.max(1) as f64);
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{Attitude, generate_survey};

    fn survey(n: usize) -> crate::synth::Survey {
        let ids: Vec<String> = (0..n).map(|i| format!("C{i}")).collect();
        generate_survey(&ids, 7)
    }

    /// For each true attitude, the share of its respondents in its most common segment.
    fn recovery(labels: &[usize], truth: &[Attitude], k: usize) -> Vec<f64> {
        Attitude::ALL
            .iter()
            .map(|a| {
                let mut counts = vec![0usize; k];
                let members = labels.iter().zip(truth).filter(|(_, t)| *t == a);
                members.clone().for_each(|(&l, _)| counts[l] += 1);
                *counts.iter().max().unwrap() as f64 / members.count() as f64
            })
            .collect()
    }

    #[test]
    fn both_bases_recover_the_four_attitudes() {
        let s = survey(3000);
        for basis in [ClusterBasis::RawItems, ClusterBasis::FactorScores] {
            let settings = AttitudinalSegmentation {
                basis,
                validate: None,
                ..AttitudinalSegmentation::default()
            };
            let r = settings.fit(&s.to_attributes()).unwrap();
            assert_eq!(
                r.measurement.factors.n_factors(),
                4,
                "parallel analysis finds the four attitudes"
            );
            let names: Vec<&str> = r.measurement.scales.iter().map(|s| s.name.as_str()).collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, vec!["innovation", "practical", "price", "quality"], "{names:?}");
            assert!(
                r.measurement.scales.iter().all(|s| s.items.len() == 4 && s.alpha > 0.7),
                "{:?}",
                r.measurement.scales
            );
            let shares = recovery(&r.labels, &s.attitudes, 4);
            assert!(shares.iter().all(|&v| v >= 0.9), "{basis:?}: {shares:?}");
            assert!(r.measurement.kmo.overall > 0.7 && r.measurement.bartlett.p_value < 1e-10);
        }
    }

    #[test]
    fn missing_answers_are_imputed_and_counted_and_alpha_reaches_the_scorecard() {
        let mut table = survey(600).to_attributes();
        table.numeric[0].1[3] = f64::NAN;
        table.numeric[5].1[7] = f64::NAN;
        let settings = AttitudinalSegmentation {
            n_factors: Some(4),
            validate: Some(ValidateOptions {
                replicates: 10,
                splits: 5,
                ..ValidateOptions::default()
            }),
            ..AttitudinalSegmentation::default()
        };
        let r = settings.fit(&table).unwrap();
        assert_eq!(r.measurement.answers_imputed, 2);
        assert_eq!(r.measurement.scores.nrows(), 600);
        let card = r.scorecard.unwrap();
        let alphas: Vec<_> = card
            .overall
            .iter()
            .filter(|c| c.measure.starts_with("Cronbach"))
            .collect();
        assert_eq!(alphas.len(), 4);
        assert!(
            alphas.iter().all(|c| c.verdict == crate::validate::Verdict::Pass),
            "{alphas:?}"
        );
    }

    #[test]
    fn too_few_items_and_too_many_segments_are_errors() {
        let mut table = survey(50).to_attributes();
        let err = AttitudinalSegmentation::default().fit(&Attributes {
            numeric: table.numeric[..2].to_vec(),
            ..table.clone()
        });
        assert!(err.unwrap_err().to_string().contains("at least 3"));
        table.ids.truncate(50);
        let err = AttitudinalSegmentation {
            k: 60,
            n_factors: Some(2),
            ..AttitudinalSegmentation::default()
        }
        .fit(&table)
        .unwrap_err();
        assert!(err.to_string().contains("k=60"), "{err}");
    }

    #[test]
    fn demographics_join_through_k_prototypes() {
        let s = survey(1500);
        let mut demographics = Attributes {
            ids: s.ids.iter().rev().cloned().collect(),
            numeric: vec![("age".into(), (0..1500).map(|i| 20.0 + (i % 50) as f64).collect())],
            categorical: vec![(
                "region".into(),
                (0..1500).map(|i| ["North", "South"][i % 2].to_string()).collect(),
            )],
        };
        demographics.ids.pop(); // one respondent without a row
        demographics.numeric[0].1.pop();
        demographics.categorical[0].1.pop();
        let settings = AttitudinalSegmentation {
            n_factors: Some(4),
            validate: None,
            ..AttitudinalSegmentation::default()
        };
        let r = settings
            .fit_with_demographics(&s.to_attributes(), Some(&demographics))
            .unwrap();
        assert_eq!(r.algorithm, "k-prototypes");
        assert_eq!(r.labels.len(), 1500);
        // Attitudes are independent of these demographics; the items still decide.
        let shares = recovery(&r.labels, &s.attitudes, 4);
        assert!(shares.iter().all(|&v| v >= 0.8), "{shares:?}");
        let joined = join_demographics(&s.ids, &demographics).unwrap();
        assert_eq!(
            joined.categorical.column(0).iter().max(),
            Some(&2),
            "North, South and missing"
        );
        assert!(joined.numeric.column(0).iter().all(|v| v.is_finite()));
    }

    #[test]
    fn prefixes_name_scales() {
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(shared_prefix(&names(&["price_1", "price_2"])), Some("price".into()));
        assert_eq!(shared_prefix(&names(&["price_1", "quality_2"])), None);
        assert_eq!(shared_prefix(&names(&["q1"])), None);
    }
}
