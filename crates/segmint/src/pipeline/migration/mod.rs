//! Movement between segments: the same customers scored with the same model
//! at two dates, the transitions between their segments with the revenue of
//! each flow, and the segment sizes projected ahead by the transition matrix
//! (a first-order Markov chain, as in Pfeifer & Carraway 2000). The
//! dashboard page is `dashboard.rs`.

mod dashboard;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{CustomerData, Scores, SegmentationModel};
use crate::data::output::write_csv;
use crate::data::{FormulaCells, Transactions, format_timestamp, write_text_atomically};
use crate::error::{Error, Result};
use crate::profile::Archetype;
use crate::report::markdown::escape;

/// Where a customer stands at one of the two dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    /// In this segment.
    Segment(usize),
    /// Not in the log yet (first purchase after the first date).
    New,
    /// In the log but not placed: a basis value is missing under a model that drops such customers.
    Unplaced,
}

impl Place {
    fn segment(self) -> Option<usize> {
        match self {
            Place::Segment(s) => Some(s),
            _ => None,
        }
    }

    /// The segment number, or the word for a customer outside the segments.
    pub fn label(self) -> String {
        match self {
            Place::Segment(s) => s.to_string(),
            Place::New => "new".into(),
            Place::Unplaced => "unplaced".into(),
        }
    }
}

/// Customers and revenue moving from one place to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    /// Where they stood at the first date.
    pub from: Place,
    /// Where they stand at the second date.
    pub to: Place,
    /// Customers.
    pub customers: usize,
    /// Their revenue between the two dates.
    pub revenue: f64,
    /// +1 when they moved to a segment of higher value, −1 to a lower one,
    /// 0 when they stayed, one side is not a segment, or a value is unknown.
    pub direction: i8,
}

/// +1, −1 or 0 as a move from `from` to `to` raises or lowers the segment value.
fn direction(from: Place, to: Place, values: &[Option<f64>]) -> i8 {
    let value = |p: Place| p.segment().and_then(|s| values.get(s).copied().flatten());
    match (value(from), value(to)) {
        (Some(a), Some(b)) if b > a => 1,
        (Some(a), Some(b)) if b < a => -1,
        _ => 0,
    }
}

/// The movement of customers between segments from one date to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Migration {
    /// The first date (`YYYY-MM-DD HH:MM:SS`).
    pub from: String,
    /// The second date.
    pub to: String,
    /// Segment names, in segment order.
    pub names: Vec<String>,
    /// Each segment's value ([`SegmentationModel::segment_values`]), which orders upgrades and downgrades.
    pub values: Vec<Option<f64>>,
    /// Every flow with at least one customer: every customer of the log at
    /// the second date is in exactly one.
    pub flows: Vec<Flow>,
    /// Row-normalised transitions of the customers placed at both dates
    /// (`matrix[a][b]`: the share of segment `a` found in `b`; a row of
    /// zeros for a segment that was empty).
    pub matrix: Vec<Vec<f64>>,
    /// Segment sizes at the second date, then projected one period of the
    /// same length ahead per row by the matrix (no acquisition assumed; a
    /// segment nobody started in keeps its customers).
    pub projection: Vec<Vec<f64>>,
    /// Revenue per customer in each segment over the period, by the second
    /// date's segments; times a projected size, a projected revenue.
    pub revenue_per_customer: Vec<f64>,
    /// The archetype whose playbook each segment follows (summary,
    /// strategies, KPI to watch), `None` for a segment named after its drivers.
    pub playbooks: Vec<Option<Archetype>>,
}

impl SegmentationModel {
    /// Scores the customers of `data` at `from` and at `to` (seconds) with
    /// this model, the log cut at each date, and measures their movement;
    /// `periods` projections ahead.
    pub fn migration(&self, data: CustomerData<'_>, from: i64, to: i64, periods: usize) -> Result<Migration> {
        let Some(tx) = data.transactions else {
            return Err(Error::invalid_parameter(
                "transactions",
                "none",
                "a transaction log: migration compares two dates of one log",
            ));
        };
        if to <= from {
            return Err(Error::invalid_parameter(
                "to",
                format_timestamp(to),
                format!("a date after from ({})", format_timestamp(from)),
            ));
        }
        let at = |date: i64, cut: &Transactions| {
            self.score(
                CustomerData {
                    transactions: Some(cut),
                    audit: None,
                    ..data
                },
                Some(date),
            )
        };
        let before = at(from, &tx.up_to(from))?;
        let after = at(to, &tx.up_to(to))?;
        let revenue = revenue_between(tx, from, to);
        let k = self.names.len();
        let mut counts = vec![vec![0usize; k]; k];
        let place_then: HashMap<&str, Place> = places(&before).collect();
        let place_now: Vec<(&str, Place)> = places(&after).collect();
        let mut flows: HashMap<(Place, Place), Flow> = HashMap::new();
        let mut period_revenue = vec![0.0; k];
        for (id, to) in place_now {
            let from = place_then.get(id).copied().unwrap_or(Place::New);
            let money = revenue.get(id).copied().unwrap_or(0.0);
            if let (Place::Segment(a), Place::Segment(b)) = (from, to) {
                counts[a][b] += 1;
            }
            if let Place::Segment(b) = to {
                period_revenue[b] += money;
            }
            let flow = flows.entry((from, to)).or_insert(Flow {
                from,
                to,
                customers: 0,
                revenue: 0.0,
                direction: direction(from, to, &self.segment_values),
            });
            flow.customers += 1;
            flow.revenue += money;
        }
        let mut flows: Vec<Flow> = flows.into_values().collect();
        flows.sort_by_key(|f| (f.from, f.to));
        let matrix = normalised(&counts);
        let sizes_now = after.drift.sizes_now.iter().map(|&n| n as f64).collect();
        Ok(Migration {
            from: format_timestamp(from),
            to: format_timestamp(to),
            names: self.names.clone(),
            values: self.segment_values.clone(),
            revenue_per_customer: period_revenue
                .iter()
                .zip(&after.drift.sizes_now)
                .map(|(r, &n)| if n == 0 { 0.0 } else { r / n as f64 })
                .collect(),
            projection: project(sizes_now, &matrix, periods),
            flows,
            matrix,
            playbooks: self.playbooks.iter().map(|name| self.playbook(name)).collect(),
        })
    }

    /// The archetype called `name` in the catalogues the segments were named by.
    fn playbook(&self, name: &str) -> Option<Archetype> {
        let catalogues = &self.settings.naming.catalogues;
        let mut archetypes = catalogues.iter().flat_map(|c| &c.archetypes);
        archetypes.find(|a| a.name == name).cloned()
    }
}

impl Migration {
    /// The flows between two different segments, largest first by customers.
    pub fn movements(&self) -> Vec<&Flow> {
        let mut moved: Vec<&Flow> = self
            .flows
            .iter()
            .filter(|f| matches!((f.from, f.to), (Place::Segment(a), Place::Segment(b)) if a != b))
            .collect();
        moved.sort_by(|a, b| b.customers.cmp(&a.customers).then(a.from.cmp(&b.from)));
        moved
    }

    /// The biggest movements in words, at most `n`.
    pub fn headlines(&self, n: usize) -> Vec<String> {
        let total: f64 = self.flows.iter().map(|f| f.revenue).sum();
        self.movements()
            .into_iter()
            .take(n)
            .filter_map(|f| Some((f, f.from.segment()?, f.to.segment()?)))
            .map(|(f, a, b)| {
                let direction = match f.direction {
                    1 => " (an upgrade)",
                    -1 => " (a downgrade)",
                    _ => "",
                };
                let share = if total > 0.0 { 100.0 * f.revenue / total } else { 0.0 };
                // Returns can leave a flow a little below zero: "0%", not "-0%".
                let share = if share.round() == 0.0 { 0.0 } else { share };
                format!(
                    "{} {} became {}{direction}, carrying {share:.0}% of the period's revenue",
                    f.customers, self.names[a], self.names[b],
                )
            })
            .collect()
    }
}

impl Migration {
    /// Writes `transitions.csv` (long form: from and to segment with their
    /// names, customers, revenue, direction; `new` and `unplaced` places), `matrix.csv`,
    /// `projection.csv`, `migration.md` and the dashboard `report.html` into
    /// `dir`; returns their paths.
    pub fn write_files(&self, dir: impl AsRef<Path>, cells: FormulaCells) -> Result<Vec<PathBuf>> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let files = [
            "transitions.csv",
            "matrix.csv",
            "projection.csv",
            "migration.md",
            "report.html",
        ]
        .map(|f| dir.join(f));
        let name = |p: Place| p.segment().map_or(String::new(), |s| self.names[s].clone());
        let mut transitions = vec![vec![
            "from_segment".into(),
            "from_name".into(),
            "to_segment".into(),
            "to_name".into(),
            "customers".into(),
            "revenue".into(),
            "direction".into(),
        ]];
        transitions.extend(self.flows.iter().map(|f| {
            vec![
                f.from.label(),
                name(f.from),
                f.to.label(),
                name(f.to),
                f.customers.to_string(),
                f.revenue.to_string(),
                f.direction.to_string(),
            ]
        }));
        let mut matrix = vec![
            std::iter::once("from_segment".to_string())
                .chain(self.names.iter().cloned())
                .collect(),
        ];
        matrix.extend(self.matrix.iter().enumerate().map(|(a, row)| {
            std::iter::once(self.names[a].clone())
                .chain(row.iter().map(f64::to_string))
                .collect()
        }));
        let mut projection = vec![
            [
                "period".to_string(),
                "segment".into(),
                "name".into(),
                "customers".into(),
                "revenue".into(),
            ]
            .to_vec(),
        ];
        for (period, sizes) in self.projection.iter().enumerate() {
            for (s, &n) in sizes.iter().enumerate() {
                projection.push(vec![
                    period.to_string(),
                    s.to_string(),
                    self.names[s].clone(),
                    n.to_string(),
                    (n * self.revenue_per_customer[s]).to_string(),
                ]);
            }
        }
        for (path, rows) in files.iter().zip([transitions, matrix, projection]) {
            let (header, body) = rows.split_first().expect("a header row");
            let header: Vec<&str> = header.iter().map(String::as_str).collect();
            write_csv(path, &header, body.iter().cloned(), cells)?;
        }
        for (path, text) in files[3..].iter().zip([self.to_markdown(), self.to_html()?]) {
            write_text_atomically(path, &text)?;
        }
        Ok(files.to_vec())
    }

    /// The migration for people: the biggest movements in words, the matrix and the projection.
    pub fn to_markdown(&self) -> String {
        let mut text = format!("# Segment migration from {} to {}\n\n", self.from, self.to);
        for line in self.headlines(5) {
            text += &format!("- {}\n", escape(&line));
        }
        text += "\n## Transition matrix (share of each row's segment found in each column's)\n\n| from \\ to |";
        for name in &self.names {
            text += &format!(" {} |", escape(name));
        }
        text += &format!("\n|---|{}\n", "---:|".repeat(self.names.len()));
        for (name, row) in self.names.iter().zip(&self.matrix) {
            text += &format!("| {} |", escape(name));
            for v in row {
                text += &format!(" {:.1}% |", 100.0 * v);
            }
            text += "\n";
        }
        text += "\n## Projected segment sizes (no acquisition assumed)\n\n| period |";
        for name in &self.names {
            text += &format!(" {} |", escape(name));
        }
        text += &format!("\n|---:|{}\n", "---:|".repeat(self.names.len()));
        for (period, sizes) in self.projection.iter().enumerate() {
            text += &format!("| {period} |");
            for n in sizes {
                text += &format!(" {n:.0} |");
            }
            text += "\n";
        }
        text
    }
}

/// Every scored customer with their place: a segment, or unplaced.
fn places(scores: &Scores) -> impl Iterator<Item = (&str, Place)> {
    let placed = scores
        .ids
        .iter()
        .zip(&scores.segments)
        .map(|(id, &s)| (id.as_str(), Place::Segment(s)));
    placed.chain(scores.unplaced.iter().map(|d| (d.id.as_str(), Place::Unplaced)))
}

/// Each customer's revenue (signed amounts) in (from, to].
fn revenue_between(tx: &Transactions, from: i64, to: i64) -> HashMap<&str, f64> {
    let mut revenue = HashMap::new();
    let ids = tx.customer_ids();
    for ((&c, &t), &amount) in tx.customer_codes().iter().zip(tx.timestamps()).zip(tx.amounts()) {
        if t > from && t <= to {
            *revenue.entry(ids[c as usize].as_str()).or_insert(0.0) += amount;
        }
    }
    revenue
}

/// `counts` with each row divided by its sum (a row of zeros stays zero).
fn normalised(counts: &[Vec<usize>]) -> Vec<Vec<f64>> {
    counts
        .iter()
        .map(|row| {
            let total: usize = row.iter().sum();
            row.iter()
                .map(|&c| if total == 0 { 0.0 } else { c as f64 / total as f64 })
                .collect()
        })
        .collect()
}

/// `sizes`, then `sizes · P`, `sizes · P²` … for `periods` steps; a row of
/// `matrix` with no transition observed keeps its customers where they are.
fn project(sizes: Vec<f64>, matrix: &[Vec<f64>], periods: usize) -> Vec<Vec<f64>> {
    let matrix: Vec<Vec<f64>> = matrix
        .iter()
        .enumerate()
        .map(|(a, row)| {
            if row.iter().sum::<f64>() > 0.0 {
                row.clone()
            } else {
                (0..row.len()).map(|b| f64::from(u8::from(a == b))).collect()
            }
        })
        .collect();
    let matrix = &matrix;
    let mut rows = vec![sizes];
    for _ in 0..periods {
        let last = rows.last().expect("the starting sizes");
        let next = (0..matrix.len())
            .map(|b| last.iter().zip(matrix).map(|(n, row)| n * row[b]).sum())
            .collect();
        rows.push(next);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix_is_row_normalised_and_projects_sizes_forward() {
        let matrix = normalised(&[vec![8, 2], vec![1, 3], vec![0, 0]]);
        assert_eq!(matrix, vec![vec![0.8, 0.2], vec![0.25, 0.75], vec![0.0, 0.0]]);
        let two = normalised(&[vec![8, 2], vec![1, 3]]);
        let rows = project(vec![100.0, 40.0], &two, 2);
        assert_eq!(rows[1], vec![100.0 * 0.8 + 40.0 * 0.25, 100.0 * 0.2 + 40.0 * 0.75]);
        assert!(
            (rows[2].iter().sum::<f64>() - 140.0).abs() < 1e-9,
            "no acquisition, no loss"
        );
    }

    #[test]
    fn a_move_to_a_segment_of_higher_value_is_an_upgrade() {
        let values = [Some(10.0), Some(50.0), None];
        let s = Place::Segment;
        assert_eq!(direction(s(0), s(1), &values), 1);
        assert_eq!(direction(s(1), s(0), &values), -1);
        assert_eq!(direction(s(1), s(1), &values), 0);
        assert_eq!(direction(s(0), s(2), &values), 0);
        assert_eq!(direction(Place::New, s(1), &values), 0);
        assert_eq!(direction(s(0), s(9), &values), 0);
    }

    #[test]
    fn a_segment_nobody_started_in_keeps_its_customers_in_the_projection() {
        let matrix = normalised(&[vec![1, 1], vec![0, 0]]);
        let rows = project(vec![10.0, 4.0], &matrix, 1);
        assert_eq!(rows[1], vec![5.0, 9.0]);
    }
}

#[cfg(test)]
mod on_a_log {
    use super::*;
    use crate::pipeline::Segmentation;
    use crate::synth::{SynthParams, generate};

    #[test]
    fn every_customer_and_every_unit_of_revenue_is_in_one_flow() {
        let base = generate(&SynthParams::new(800, 12)).unwrap();
        let (start, end) = base.transactions.time_span().unwrap();
        let middle = start + (end - start) / 2;
        let first_half = base.transactions.up_to(middle);
        let fitted = Segmentation::new()
            .seed(1)
            .as_of(middle)
            .fit(&first_half, None)
            .unwrap();
        let data = CustomerData {
            transactions: Some(&base.transactions),
            ..CustomerData::default()
        };
        let m = fitted.model.migration(data, middle, end, 3).unwrap();

        let out_of = |s: usize| -> usize {
            m.flows
                .iter()
                .filter(|f| f.from == Place::Segment(s))
                .map(|f| f.customers)
                .sum()
        };
        let sizes: Vec<usize> = (0..m.names.len()).map(out_of).collect();
        assert_eq!(
            sizes, fitted.model.training.segment_sizes,
            "the first date is the training date"
        );
        let new: usize = m
            .flows
            .iter()
            .filter(|f| f.from == Place::New)
            .map(|f| f.customers)
            .sum();
        let all: usize = m.flows.iter().map(|f| f.customers).sum();
        assert_eq!(all, base.transactions.n_customers());
        assert_eq!(new, base.transactions.n_customers() - first_half.n_customers());
        let revenue: f64 = m.flows.iter().map(|f| f.revenue).sum();
        let expected: f64 = base
            .transactions
            .timestamps()
            .iter()
            .zip(base.transactions.amounts())
            .filter(|(t, _)| **t > middle)
            .map(|(_, a)| a)
            .sum();
        assert!(
            (revenue - expected).abs() < 1e-6 * expected.abs(),
            "{revenue} vs {expected}"
        );
        for row in &m.matrix {
            let total: f64 = row.iter().sum();
            assert!((total - 1.0).abs() < 1e-12 || total == 0.0, "{row:?}");
        }
        assert_eq!(m.projection.len(), 4);
        let placed_then: f64 = m.projection[0].iter().sum();
        assert!((m.projection[3].iter().sum::<f64>() - placed_then).abs() < 1e-6);
        assert!(!m.headlines(3).is_empty());
        let err = fitted.model.migration(data, end, middle, 1).unwrap_err().to_string();
        assert!(err.contains("invalid parameter to"), "{err}");
    }
}
