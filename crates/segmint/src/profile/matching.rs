//! Matching segments to archetypes: a score per (segment, archetype) from
//! KPI levels, a one-to-one assignment that maximises the total score
//! (Hungarian algorithm), a confidence, and a descriptive name from the key
//! drivers when no archetype fits.

use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;
use serde::{Deserialize, Serialize};

use super::vocabulary::capitalised;
use super::{Archetype, Catalogue, Level, LevelRange, SegmentProfile, Strategy};
use crate::error::{Error, Result};

/// A KPI's closeness falls linearly from 1 at the edge of its expected range
/// to 0 one band (a quarter of the base) away from it.
const ZERO_CLOSENESS_DISTANCE: f64 = 0.25;
/// An archetype is scored only when the data have at least this share of its KPIs.
const MIN_COVERAGE: f64 = 0.5;
/// Scores are integers for the assignment: millionths.
const SCORE_SCALE: f64 = 1e6;

/// How segments are named.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NamingOptions {
    /// Catalogues to match, each one-to-one; the first names the segments.
    pub catalogues: Vec<Catalogue>,
    /// Lowest match score that names a segment after an archetype (0–1).
    pub min_score: f64,
}

impl Default for NamingOptions {
    fn default() -> Self {
        NamingOptions {
            catalogues: Catalogue::built_in(),
            min_score: 0.7,
        }
    }
}

/// How sure a match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Score ≥ 0.85 and at least 0.15 ahead of the segment's next-best archetype.
    High,
    /// Score ≥ 0.75 and ahead of every other archetype.
    Medium,
    /// Anything else that still reached `min_score`.
    Low,
}

impl Confidence {
    fn of(score: f64, margin: f64) -> Confidence {
        if score >= 0.85 && margin >= 0.15 {
            Confidence::High
        } else if score >= 0.75 && margin > 0.0 {
            Confidence::Medium
        } else {
            Confidence::Low
        }
    }

    /// `high`, `medium`, `low`.
    pub fn label(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

/// One KPI's part in a match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiEvidence {
    /// Column name.
    pub kpi: String,
    /// The level the archetype expects.
    pub expected: LevelRange,
    /// The segment's level (band of its median).
    pub found: Level,
    /// 1 inside the expected range, falling to 0 one band (a quarter of the base) away.
    pub closeness: f64,
}

/// The archetype of one catalogue matched to a segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchetypeMatch {
    /// Catalogue name.
    pub catalogue: String,
    /// The archetype, when its score reached the minimum and none of its
    /// KPIs is a full band or more outside the expected range.
    pub archetype: Option<String>,
    /// The score of the archetype the assignment gave the segment (0–1),
    /// also when it fell short of the minimum.
    pub score: Option<f64>,
    /// That score minus the best score of any other archetype for this segment.
    pub margin: Option<f64>,
    /// How sure the match is.
    pub confidence: Option<Confidence>,
    /// The archetype's summary, characteristics, insights, strategies and
    /// KPI to watch (empty without a match).
    pub summary: String,
    /// See [`Archetype::characteristics`].
    pub characteristics: Vec<String>,
    /// See [`Archetype::insights`].
    pub insights: Vec<String>,
    /// See [`Archetype::strategies`].
    pub strategies: Vec<Strategy>,
    /// See [`Archetype::kpi_to_watch`].
    pub kpi_to_watch: String,
    /// How each expected KPI compared.
    pub evidence: Vec<KpiEvidence>,
}

/// Matches the segments to every catalogue in `options`, records the
/// matches in each profile, and names each segment after its archetype in
/// the first catalogue, or after its key drivers.
pub fn name_segments(profiles: &mut [SegmentProfile], options: &NamingOptions) -> Result<()> {
    if !(0.0..=1.0).contains(&options.min_score) {
        return Err(Error::invalid_parameter(
            "min_score",
            options.min_score,
            "a match score between 0 and 1",
        ));
    }
    for profile in profiles.iter_mut() {
        profile.archetypes.clear();
    }
    for catalogue in &options.catalogues {
        let matches = match_catalogue(profiles, catalogue, options.min_score);
        for (profile, m) in profiles.iter_mut().zip(matches) {
            profile.archetypes.push(m);
        }
    }
    let names: Vec<String> = profiles
        .iter()
        .map(|p| match p.archetype().and_then(|m| m.archetype.clone()) {
            Some(name) => name,
            None => descriptive_name(p),
        })
        .collect();
    for (i, profile) in profiles.iter_mut().enumerate() {
        let taken = names.iter().enumerate().any(|(j, n)| j != i && *n == names[i]);
        profile.name = if taken {
            format!("{} (segment {})", names[i], profile.segment)
        } else {
            names[i].clone()
        };
    }
    Ok(())
}

/// "High AOV, low frequency": the two strongest key drivers.
fn descriptive_name(profile: &SegmentProfile) -> String {
    let phrases: Vec<&str> = profile.key_drivers.iter().take(2).map(|d| d.phrase.as_str()).collect();
    if phrases.is_empty() {
        "Close to the base average".into()
    } else {
        capitalised(&phrases.join(", "))
    }
}

/// The score of `archetype` for `profile`: the mean closeness of its expected
/// KPIs; `None` when the data lack one of its required KPIs or half of all.
fn score(profile: &SegmentProfile, archetype: &Archetype) -> (Option<f64>, Vec<KpiEvidence>) {
    let evidence: Vec<KpiEvidence> = archetype
        .expect
        .iter()
        .filter_map(|(kpi, &expected)| {
            let summary = profile.kpi(kpi)?;
            let p = summary.percentile?;
            let closeness = if wrong_sign(archetype, kpi, expected, summary) {
                0.0
            } else {
                (1.0 - expected.distance(p) / ZERO_CLOSENESS_DISTANCE).max(0.0)
            };
            Some(KpiEvidence {
                kpi: kpi.clone(),
                expected,
                found: Level::of_percentile(p),
                closeness,
            })
        })
        .collect();
    let coverage = evidence.len() as f64 / archetype.expect.len() as f64;
    let has_required = archetype
        .required
        .iter()
        .all(|kpi| evidence.iter().any(|e| e.kpi == *kpi));
    let mean = evidence.iter().map(|e| e.closeness).sum::<f64>() / evidence.len().max(1) as f64;
    ((coverage >= MIN_COVERAGE && has_required).then_some(mean), evidence)
}

/// Whether a defining (required) KPI that the archetype expects in the upper
/// half of the base is zero or negative in the segment. Levels are relative to
/// the base, so in a base of refunds only, the least negative revenue is
/// "very high": such a segment is not "High-Value" whatever its rank.
fn wrong_sign(archetype: &Archetype, kpi: &str, expected: LevelRange, summary: &super::KpiSummary) -> bool {
    let typical = summary.median.or(summary.mean);
    archetype.required.iter().any(|r| r == kpi) && expected.from >= Level::High && typical.is_some_and(|v| v <= 0.0)
}

fn match_catalogue(profiles: &[SegmentProfile], catalogue: &Catalogue, min_score: f64) -> Vec<ArchetypeMatch> {
    let scored: Vec<Vec<(Option<f64>, Vec<KpiEvidence>)>> = profiles
        .iter()
        .map(|p| catalogue.archetypes.iter().map(|a| score(p, a)).collect())
        .collect();
    let scores: Vec<Vec<f64>> = scored
        .iter()
        .map(|row| row.iter().map(|(s, _)| s.unwrap_or(0.0)).collect())
        .collect();
    // The assignment sees vetoed pairs as 0: a segment should not take an
    // archetype it cannot be named after from a segment that can.
    let eligible: Vec<Vec<f64>> = scored
        .iter()
        .map(|row| {
            row.iter()
                .map(|(s, evidence)| if vetoed(evidence) { 0.0 } else { s.unwrap_or(0.0) })
                .collect()
        })
        .collect();
    let shares: Vec<f64> = profiles.iter().map(|p| p.share).collect();
    let assignment = assign(&eligible, &shares);
    profiles
        .iter()
        .enumerate()
        .map(|(s, _)| {
            let Some(a) = assignment[s] else {
                return unmatched(catalogue, None, None, Vec::new());
            };
            let (score, evidence) = scored[s][a].clone();
            let best_other = (0..scores[s].len())
                .filter(|&o| o != a)
                .map(|o| scores[s][o])
                .fold(0.0, f64::max);
            let margin = score.map(|v| v - best_other);
            let vetoed = vetoed(&evidence);
            match score.filter(|&v| v >= min_score && !vetoed) {
                Some(v) => {
                    let archetype = &catalogue.archetypes[a];
                    let margin = v - best_other;
                    ArchetypeMatch {
                        catalogue: catalogue.name.clone(),
                        archetype: Some(archetype.name.clone()),
                        score: Some(v),
                        margin: Some(margin),
                        confidence: Some(Confidence::of(v, margin)),
                        summary: archetype.summary.clone(),
                        characteristics: archetype.characteristics.clone(),
                        insights: archetype.insights.clone(),
                        strategies: archetype.strategies.clone(),
                        kpi_to_watch: archetype.kpi_to_watch.clone(),
                        evidence,
                    }
                }
                None => unmatched(catalogue, score, margin, evidence),
            }
        })
        .collect()
}

/// A KPI a full band or more outside its expected range vetoes the name.
fn vetoed(evidence: &[KpiEvidence]) -> bool {
    evidence.iter().any(|e| e.closeness == 0.0)
}

fn unmatched(
    catalogue: &Catalogue,
    score: Option<f64>,
    margin: Option<f64>,
    evidence: Vec<KpiEvidence>,
) -> ArchetypeMatch {
    ArchetypeMatch {
        catalogue: catalogue.name.clone(),
        archetype: None,
        score,
        margin,
        confidence: None,
        summary: String::new(),
        characteristics: Vec::new(),
        insights: Vec::new(),
        strategies: Vec::new(),
        kpi_to_watch: String::new(),
        evidence,
    }
}

/// The one-to-one assignment of segments (rows) to archetypes (columns)
/// with the highest total score; with more segments than archetypes some
/// segments get none. Equal scores go to the larger segment: each weight
/// carries the segment's share in thousandths below the score's millionths
/// (a bonus under 0.001 of score).
fn assign(scores: &[Vec<f64>], shares: &[f64]) -> Vec<Option<usize>> {
    let (n_segments, n_archetypes) = (scores.len(), scores.first().map_or(0, Vec::len));
    let mut assignment = vec![None; n_segments];
    if n_segments == 0 || n_archetypes == 0 {
        return assignment;
    }
    let weight = |s: usize, a: usize| {
        let bonus = if scores[s][a] > 0.0 {
            (shares[s] * 999.0).round()
        } else {
            0.0
        };
        (scores[s][a] * SCORE_SCALE).round() as i64 + bonus as i64
    };
    // kuhn_munkres needs no more rows than columns: put the smaller side in the rows.
    if n_segments <= n_archetypes {
        let m = Matrix::from_fn(n_segments, n_archetypes, |(s, a)| weight(s, a));
        let (_, columns) = kuhn_munkres(&m);
        for (s, a) in columns.into_iter().enumerate() {
            assignment[s] = Some(a);
        }
    } else {
        let m = Matrix::from_fn(n_archetypes, n_segments, |(a, s)| weight(s, a));
        let (_, columns) = kuhn_munkres(&m);
        for (a, s) in columns.into_iter().enumerate() {
            assignment[s] = Some(a);
        }
    }
    assignment
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{KeyDriver, KpiSummary};

    fn profile(segment: usize, kpis: &[(&str, f64)]) -> SegmentProfile {
        SegmentProfile {
            segment,
            name: String::new(),
            size: 10,
            share: 0.25,
            revenue_share: None,
            clv_share: None,
            kpis: kpis
                .iter()
                .map(|&(name, p)| KpiSummary {
                    name: name.into(),
                    mean: Some(p),
                    index: None,
                    median: Some(p),
                    q1: None,
                    q3: None,
                    percentile: Some(p),
                    level: Some(Level::of_percentile(p)),
                    level_range: None,
                    cohen_d: None,
                    higher_is_better: None,
                })
                .collect(),
            key_drivers: Vec::new(),
            centroid: Vec::new(),
            archetypes: Vec::new(),
            composition: Vec::new(),
        }
    }

    fn catalogue() -> Catalogue {
        Catalogue::from_toml(
            r#"name = "test"
[[archetype]]
name = "Big spenders"
expect = { aov = "very_high", frequency = "high..very_high" }
[[archetype]]
name = "Bargain hunters"
expect = { aov = "low", discount = "very_high" }
"#,
            std::path::Path::new("test.toml"),
        )
        .unwrap()
    }

    #[test]
    fn closeness_falls_with_distance_from_the_expected_band() {
        let c = catalogue();
        let (s, evidence) = score(&profile(0, &[("aov", 0.9), ("frequency", 0.375)]), &c.archetypes[0]);
        // aov inside its band (1); frequency 0.125 below "high" (1 − 0.125/0.25 = 0.5).
        assert!((s.unwrap() - 0.75).abs() < 1e-12, "{evidence:?}");
        // Half the expected KPIs are enough to score; fewer are not.
        assert_eq!(score(&profile(0, &[("aov", 0.1)]), &c.archetypes[1]).0, Some(1.0));
        assert_eq!(score(&profile(0, &[("x", 0.1)]), &c.archetypes[1]).0, None);
    }

    #[test]
    fn a_defining_kpi_expected_high_but_not_positive_vetoes_the_name() {
        let c = Catalogue::from_toml(
            r#"name = "test"
[[archetype]]
name = "High-Value Loyalists"
required = ["monetary"]
expect = { monetary = "very_high", frequency = "high..very_high" }
"#,
            std::path::Path::new("test.toml"),
        )
        .unwrap();
        let mut refunds = profile(0, &[("monetary", 0.9), ("frequency", 0.9)]);
        assert_eq!(score(&refunds, &c.archetypes[0]).0, Some(1.0));
        refunds.kpis[0].median = Some(-42.0);
        let (_, evidence) = score(&refunds, &c.archetypes[0]);
        let closeness = |kpi: &str| evidence.iter().find(|e| e.kpi == kpi).unwrap().closeness;
        assert_eq!((closeness("monetary"), closeness("frequency")), (0.0, 1.0));
        let mut profiles = vec![refunds];
        let options = NamingOptions {
            catalogues: vec![c],
            min_score: 0.7,
        };
        name_segments(&mut profiles, &options).unwrap();
        assert_eq!(profiles[0].archetypes[0].archetype, None);
        assert_ne!(profiles[0].name, "High-Value Loyalists");
    }

    #[test]
    fn assignment_is_one_to_one_and_maximises_the_total() {
        // Segment 0 fits both archetypes best as "Big spenders" only slightly;
        // segment 1 fits only "Big spenders": the total is higher the other way round.
        let scores = vec![vec![0.9, 0.8], vec![0.85, 0.1]];
        assert_eq!(assign(&scores, &[0.5, 0.5]), vec![Some(1), Some(0)]);
        // More segments than archetypes: the weakest segment goes unnamed.
        let scores = vec![vec![0.9], vec![0.95], vec![0.2]];
        assert_eq!(assign(&scores, &[0.3, 0.3, 0.4]), vec![None, Some(0), None]);
        // Equal scores: the larger segment takes the archetype.
        let scores = vec![vec![1.0], vec![1.0]];
        assert_eq!(assign(&scores, &[0.1, 0.6]), vec![None, Some(0)]);
        assert_eq!(assign(&scores, &[0.6, 0.1]), vec![Some(0), None]);
    }

    #[test]
    fn names_come_from_archetypes_or_from_key_drivers() {
        let mut profiles = vec![
            profile(0, &[("aov", 0.9), ("frequency", 0.8), ("discount", 0.2)]),
            profile(1, &[("aov", 0.4), ("frequency", 0.4), ("discount", 0.5)]),
        ];
        profiles[1].key_drivers = vec![KeyDriver {
            kpi: "discount".into(),
            label: "discount".into(),
            cohen_d: 0.7,
            level: None,
            phrase: "promotion-driven".into(),
            description: String::new(),
        }];
        let options = NamingOptions {
            catalogues: vec![catalogue()],
            min_score: 0.7,
        };
        name_segments(&mut profiles, &options).unwrap();
        assert_eq!(profiles[0].name, "Big spenders");
        let m = &profiles[0].archetypes[0];
        assert_eq!((m.score, m.confidence), (Some(1.0), Some(Confidence::High)));
        // Segment 1 gets "Bargain hunters" but scores 0.2 < 0.7: aov 0.15 above
        // "low" (closeness 0.4) and discount 0.25 below "very_high" (0).
        assert_eq!(profiles[1].archetypes[0].archetype, None);
        assert_eq!(profiles[1].name, "Promotion-driven");
        let bad = NamingOptions {
            min_score: 1.5,
            ..options
        };
        assert!(name_segments(&mut profiles, &bad).is_err());
    }
}
