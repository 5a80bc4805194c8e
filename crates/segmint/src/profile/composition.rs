//! Who is in a segment: the demographic and geographic make-up from the
//! customers table (means of numeric attributes, level shares of categorical ones).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::data::Attributes;

/// Levels listed per categorical attribute; the rest are summed as "other".
const TOP_LEVELS: usize = 5;

/// One attribute of one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Composition {
    /// Attribute (column) name.
    pub attribute: String,
    /// Mean over the segment's customers with a value (numeric attributes).
    pub mean: Option<f64>,
    /// Overall mean, for comparison (numeric attributes).
    pub overall_mean: Option<f64>,
    /// Share of the segment at each level, largest first (categorical
    /// attributes; "missing" for customers without a row or a value).
    pub levels: Vec<(String, f64)>,
    /// Share of the whole base at each level of `levels`, in the same order.
    #[serde(default)]
    pub base_levels: Vec<(String, f64)>,
    /// The levels that mark the segment: over-represented against the base
    /// by [`MARKER_ABSOLUTE`] or [`MARKER_RELATIVE`], and at least
    /// [`MARKER_MIN_SHARE`] of the segment.
    #[serde(default)]
    pub marked: Vec<String>,
}

/// A level marks a segment when its share there exceeds the base's by this
/// much (flexclust's `barchart` marks binary variables at 0.25 absolute)…
pub const MARKER_ABSOLUTE: f64 = 0.25;
/// … or by this fraction of the base's share (flexclust: 50% relative) …
pub const MARKER_RELATIVE: f64 = 0.5;
/// … provided it is at least this share of the segment (so that 3% against 2% marks nothing).
pub const MARKER_MIN_SHARE: f64 = 0.1;

impl Composition {
    /// One line for people: `age 41.2 (base 39.8)` or `region North 31%, South 22%`.
    pub fn describe(&self) -> String {
        match (self.mean, self.overall_mean) {
            // Shares and small scores (opt-ins, ratings) need two decimals; ages and incomes one.
            (Some(mean), Some(overall)) if overall.abs() < 10.0 => {
                format!("{} {mean:.2} (base {overall:.2})", self.attribute)
            }
            (Some(mean), Some(overall)) => format!("{} {mean:.1} (base {overall:.1})", self.attribute),
            _ => {
                let levels: Vec<String> = self
                    .levels
                    .iter()
                    .map(|(level, share)| format!("{level} {:.0}%", 100.0 * share))
                    .collect();
                format!("{} {}", self.attribute, levels.join(", "))
            }
        }
    }

    /// The levels that mark the segment, in words: `Marital_Status Married
    /// 61% (base 39%)`; `None` when none does.
    pub fn marking(&self) -> Option<String> {
        if self.marked.is_empty() {
            return None;
        }
        let base = |level: &str| {
            self.base_levels
                .iter()
                .find(|(l, _)| l == level)
                .map_or(0.0, |(_, b)| *b)
        };
        let parts: Vec<String> = self
            .levels
            .iter()
            .filter(|(level, _)| self.marked.contains(level))
            .map(|(level, share)| format!("{level} {:.0}% (base {:.0}%)", 100.0 * share, 100.0 * base(level)))
            .collect();
        Some(format!("{} {}", self.attribute, parts.join(", ")))
    }
}

/// The composition of each of `k` segments: `ids` and `labels` give each
/// customer's segment, `table` their attributes.
pub fn segment_composition(table: &Attributes, ids: &[String], labels: &[usize], k: usize) -> Vec<Vec<Composition>> {
    let row_of: HashMap<&str, usize> = table.ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let rows: Vec<Option<usize>> = ids.iter().map(|id| row_of.get(id.as_str()).copied()).collect();
    let mut per_segment: Vec<Vec<Composition>> = vec![Vec::new(); k];
    for (name, values) in &table.numeric {
        let value = |i: usize| rows[i].map(|r| values[r]).filter(|v| v.is_finite());
        let overall = mean((0..ids.len()).filter_map(value));
        for (s, out) in per_segment.iter_mut().enumerate() {
            let members = (0..ids.len()).filter(|&i| labels[i] == s);
            out.push(Composition {
                attribute: name.clone(),
                mean: mean(members.filter_map(value)),
                overall_mean: overall,
                levels: Vec::new(),
                base_levels: Vec::new(),
                marked: Vec::new(),
            });
        }
    }
    for (name, values) in &table.categorical {
        let level_of = |i: usize| {
            rows[i]
                .map(|r| values[r].as_str())
                .filter(|v| !v.is_empty())
                .unwrap_or("missing")
        };
        let mut base: HashMap<&str, usize> = HashMap::new();
        for i in 0..ids.len() {
            *base.entry(level_of(i)).or_default() += 1;
        }
        let base_share = |level: &str| base.get(level).map_or(0.0, |&n| n as f64 / ids.len().max(1) as f64);
        for (s, out) in per_segment.iter_mut().enumerate() {
            let members: Vec<usize> = (0..ids.len()).filter(|&i| labels[i] == s).collect();
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for &i in &members {
                *counts.entry(level_of(i)).or_default() += 1;
            }
            let share = |n: usize| n as f64 / members.len().max(1) as f64;
            let mut marked: Vec<(&str, usize)> = counts
                .iter()
                .filter(|&(level, &n)| marks(share(n), base_share(level)))
                .map(|(level, &n)| (*level, n))
                .collect();
            marked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let levels = top_shares(counts, members.len());
            out.push(Composition {
                attribute: name.clone(),
                mean: None,
                overall_mean: None,
                base_levels: levels
                    .iter()
                    .map(|(level, _)| (level.clone(), base_share(level)))
                    .collect(),
                levels,
                marked: marked.into_iter().map(|(level, _)| level.to_owned()).collect(),
            });
        }
    }
    per_segment
}

/// Whether a level's share in a segment marks it against its base share.
fn marks(share: f64, base: f64) -> bool {
    let above = share - base;
    share >= MARKER_MIN_SHARE && above > 0.0 && (above >= MARKER_ABSOLUTE || above >= MARKER_RELATIVE * base)
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, count) = values.fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    (count > 0).then(|| sum / count as f64)
}

/// Level shares, largest first (ties by name), the tail beyond [`TOP_LEVELS`] as "other".
fn top_shares(counts: HashMap<&str, usize>, total: usize) -> Vec<(String, f64)> {
    let mut sorted: Vec<(&str, usize)> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let share = |n: usize| n as f64 / total.max(1) as f64;
    let mut shares: Vec<(String, f64)> = sorted
        .iter()
        .take(TOP_LEVELS)
        .map(|(l, n)| ((*l).to_owned(), share(*n)))
        .collect();
    let rest: usize = sorted.iter().skip(TOP_LEVELS).map(|(_, n)| n).sum();
    if rest > 0 {
        shares.push(("other".into(), share(rest)));
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_and_level_shares_per_segment_with_missing_rows() {
        let table = Attributes {
            ids: vec!["a".into(), "b".into(), "c".into()],
            numeric: vec![("age".into(), vec![20.0, 40.0, f64::NAN])],
            categorical: vec![("region".into(), vec!["North".into(), "South".into(), "".into()])],
        };
        let ids: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| (*s).to_string()).collect();
        let c = segment_composition(&table, &ids, &[0, 0, 1, 1], 2);
        assert_eq!(c[0][0].mean, Some(30.0));
        assert_eq!(c[0][0].overall_mean, Some(30.0));
        assert_eq!(c[1][0].mean, None, "c has no age, d has no row");
        assert_eq!(c[0][1].levels, vec![("North".into(), 0.5), ("South".into(), 0.5)]);
        assert_eq!(c[1][1].levels, vec![("missing".into(), 1.0)]);
        assert_eq!(c[0][0].describe(), "age 30.0 (base 30.0)");
        assert_eq!(c[0][1].describe(), "region North 50%, South 50%");
        // The base of four: North 1, South 1, missing 2 (c has no value, d no row).
        assert_eq!(
            c[0][1].base_levels,
            vec![("North".into(), 0.25), ("South".into(), 0.25)]
        );
        assert_eq!(c[0][1].marked, vec!["North".to_string(), "South".to_string()]);
        assert_eq!(
            c[0][1].marking().as_deref(),
            Some("region North 50% (base 25%), South 50% (base 25%)")
        );
        assert_eq!(c[1][1].marked, vec!["missing".to_string()]);
    }

    #[test]
    fn a_level_marks_a_segment_only_when_clearly_over_represented() {
        assert!(marks(0.6, 0.3), "+30 points");
        assert!(marks(0.3, 0.18), "+67% relative");
        assert!(!marks(0.35, 0.3), "+5 points, +17%");
        assert!(!marks(0.03, 0.01), "too small a share of the segment");
        assert!(!marks(0.2, 0.5), "under-represented");
    }

    #[test]
    fn many_levels_keep_the_top_five_and_sum_the_rest() {
        let counts: HashMap<&str, usize> =
            [("a", 5), ("b", 4), ("c", 3), ("d", 2), ("e", 2), ("f", 1), ("g", 1)].into();
        let shares = top_shares(counts, 18);
        assert_eq!(shares.len(), 6);
        assert_eq!(shares[3].0, "d");
        assert_eq!(shares[5], ("other".into(), 2.0 / 18.0));
    }
}
