//! A psychographic survey for the synthetic base: four latent attitudes,
//! each measured by four 5-point Likert items, drive the four attitudinal
//! archetypes.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::Attributes;

/// The latent attitudes, in factor order, and the prefix of their items.
pub const ATTITUDE_SCALES: [&str; 4] = ["price", "quality", "innovation", "practical"];
/// Items per attitude.
pub const ITEMS_PER_SCALE: usize = 4;
/// Loading of each item of a scale on its attitude (items differ in quality, as real ones do).
const LOADINGS: [f64; ITEMS_PER_SCALE] = [0.85, 0.8, 0.75, 0.7];
/// Spread of an attitude within an archetype.
const WITHIN_SD: f64 = 0.45;
/// Keeps the survey's random streams apart from the customers' own.
const SURVEY_STREAM_OFFSET: u64 = 1 << 40;

/// The four attitudinal archetypes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Attitude {
    /// Price and promotions first.
    ValueSeeker,
    /// Premium quality first.
    QualityEnthusiast,
    /// New things first.
    Innovator,
    /// Reliability and convenience first.
    PracticalPragmatist,
}

impl Attitude {
    /// All four, in order.
    pub const ALL: [Attitude; 4] = [
        Attitude::ValueSeeker,
        Attitude::QualityEnthusiast,
        Attitude::Innovator,
        Attitude::PracticalPragmatist,
    ];

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Attitude::ValueSeeker => "Value Seekers",
            Attitude::QualityEnthusiast => "Quality Enthusiasts",
            Attitude::Innovator => "Innovators",
            Attitude::PracticalPragmatist => "Practical Pragmatists",
        }
    }

    /// Mean of each latent attitude (price, quality, innovation, practicality) in this archetype.
    fn profile(self) -> [f64; 4] {
        match self {
            Attitude::ValueSeeker => [1.6, -0.6, -0.5, 0.0],
            Attitude::QualityEnthusiast => [-0.7, 1.6, 0.2, -0.4],
            Attitude::Innovator => [-0.3, 0.3, 1.6, -0.7],
            Attitude::PracticalPragmatist => [0.0, -0.4, -0.7, 1.6],
        }
    }

    /// Share of customers (30 / 25 / 20 / 25 %).
    fn share(self) -> f64 {
        match self {
            Attitude::ValueSeeker => 0.30,
            Attitude::QualityEnthusiast | Attitude::PracticalPragmatist => 0.25,
            Attitude::Innovator => 0.20,
        }
    }
}

/// Survey answers, one row per customer.
#[derive(Debug, Clone, PartialEq)]
pub struct Survey {
    /// Customer ids.
    pub ids: Vec<String>,
    /// Item names (`price_1` … `practical_4`), scale by scale.
    pub items: Vec<String>,
    /// Answers 1–5, customers × items.
    pub answers: Array2<f64>,
    /// The true attitudinal archetype of each customer.
    pub attitudes: Vec<Attitude>,
}

impl Survey {
    /// The answers as an attribute table (every item numeric).
    pub fn to_attributes(&self) -> Attributes {
        Attributes {
            ids: self.ids.clone(),
            numeric: self
                .items
                .iter()
                .zip(self.answers.columns())
                .map(|(name, column)| (name.clone(), column.to_vec()))
                .collect(),
            categorical: Vec::new(),
        }
    }
}

/// Every customer answers the survey: an archetype is drawn (30/25/20/25 %),
/// then each attitude around the archetype's mean, then each item as
/// loading × attitude + noise, cut into five answer categories.
pub fn generate_survey(ids: &[String], seed: u64) -> Survey {
    let root = ChaCha8Rng::seed_from_u64(seed);
    let rows: Vec<(Attitude, Vec<f64>)> = (0..ids.len())
        .into_par_iter()
        .map(|i| {
            let mut rng = root.clone();
            rng.set_stream(SURVEY_STREAM_OFFSET + i as u64);
            respondent(&mut rng)
        })
        .collect();
    let items: Vec<String> = ATTITUDE_SCALES
        .iter()
        .flat_map(|scale| (1..=ITEMS_PER_SCALE).map(move |j| format!("{scale}_{j}")))
        .collect();
    let answers = Array2::from_shape_fn((ids.len(), items.len()), |(i, j)| rows[i].1[j]);
    Survey {
        ids: ids.to_vec(),
        items,
        answers,
        attitudes: rows.into_iter().map(|(a, _)| a).collect(),
    }
}

fn respondent(rng: &mut ChaCha8Rng) -> (Attitude, Vec<f64>) {
    let u: f64 = rng.random();
    let mut cumulative = 0.0;
    let attitude = Attitude::ALL
        .into_iter()
        .find(|a| {
            cumulative += a.share();
            u < cumulative
        })
        .unwrap_or(Attitude::PracticalPragmatist);
    let noise = Normal::new(0.0, 1.0).expect("unit normal");
    let latent: Vec<f64> = attitude
        .profile()
        .iter()
        .map(|m| m + WITHIN_SD * noise.sample(rng))
        .collect();
    let answers = latent
        .iter()
        .flat_map(|&f| LOADINGS.map(|l| l * f + (1.0 - l * l).sqrt() * noise.sample(rng)))
        .map(likert)
        .collect();
    (attitude, answers)
}

/// A continuous response cut into the answers 1–5 at −1.5, −0.5, 0.5, 1.5.
fn likert(z: f64) -> f64 {
    [-1.5, -0.5, 0.5, 1.5].iter().filter(|&&cut| z > cut).count() as f64 + 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_likert_and_archetypes_follow_their_shares() {
        let ids: Vec<String> = (0..4000).map(|i| format!("C{i}")).collect();
        let survey = generate_survey(&ids, 3);
        assert_eq!(survey.answers.dim(), (4000, 16));
        assert!(
            survey
                .answers
                .iter()
                .all(|&a| (1.0..=5.0).contains(&a) && a.fract() == 0.0)
        );
        let share = |a: Attitude| survey.attitudes.iter().filter(|&&x| x == a).count() as f64 / 4000.0;
        assert!((share(Attitude::ValueSeeker) - 0.30).abs() < 0.03);
        assert!((share(Attitude::Innovator) - 0.20).abs() < 0.03);
        // Value seekers answer the price items higher than quality enthusiasts do.
        let mean = |a: Attitude, item: usize| {
            let rows: Vec<f64> = (0..4000)
                .filter(|&i| survey.attitudes[i] == a)
                .map(|i| survey.answers[[i, item]])
                .collect();
            rows.iter().sum::<f64>() / rows.len() as f64
        };
        assert!(mean(Attitude::ValueSeeker, 0) > mean(Attitude::QualityEnthusiast, 0) + 1.0);
        assert_eq!(survey.to_attributes().numeric[5].0, "quality_2");
    }

    #[test]
    fn the_same_on_any_thread_count() {
        let ids: Vec<String> = (0..500).map(|i| format!("C{i}")).collect();
        let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        assert_eq!(one.install(|| generate_survey(&ids, 9)), generate_survey(&ids, 9));
    }
}
