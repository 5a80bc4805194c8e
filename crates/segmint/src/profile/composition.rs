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
}

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
            });
        }
    }
    for (name, values) in &table.categorical {
        for (s, out) in per_segment.iter_mut().enumerate() {
            let members: Vec<usize> = (0..ids.len()).filter(|&i| labels[i] == s).collect();
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for &i in &members {
                let level = rows[i]
                    .map(|r| values[r].as_str())
                    .filter(|v| !v.is_empty())
                    .unwrap_or("missing");
                *counts.entry(level).or_default() += 1;
            }
            out.push(Composition {
                attribute: name.clone(),
                mean: None,
                overall_mean: None,
                levels: top_shares(counts, members.len()),
            });
        }
    }
    per_segment
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
