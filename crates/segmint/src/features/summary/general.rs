//! The summary of any log: one serial pass codes the lines by customer (a
//! direct table for dense integer keys, a hash map otherwise) in order of
//! first appearance, the lines are copied into blocks of customers (line
//! order kept within a block) and the blocks are tallied in parallel, each
//! block's tallies sized for the L2 cache. Only when some customer's counted
//! lines are out of time order are its lines sorted by time and tallied
//! again, so the result never depends on the line order beyond that of
//! [`rfm_summary`](super::rfm_summary).

use hashbrown::HashMap;
use rayon::prelude::*;
use rustc_hash::FxBuildHasher;

use super::columns::{Sink, SummaryColumns, Timed};
use crate::error::{Error, Result};
use crate::features::behaviour::CustomerLines;

/// Each customer's key (first-appearance order) and tally, and the latest time.
pub(super) struct Tallied<T> {
    pub(super) keys: Vec<i64>,
    pub(super) states: Vec<T>,
    pub(super) latest: i64,
}

/// Runs the pass with the time resolution as a constant.
pub(super) fn dispatch<S: Sink>(columns: &SummaryColumns<'_>, sink: &S) -> Result<Tallied<Timed<S::Tally>>> {
    match columns.ticks_per_second {
        1 => by_keys::<S, 1>(columns, sink),
        1_000 => by_keys::<S, 1_000>(columns, sink),
        1_000_000 => by_keys::<S, 1_000_000>(columns, sink),
        1_000_000_000 => by_keys::<S, 1_000_000_000>(columns, sink),
        other => Err(Error::invalid_parameter(
            "ticks_per_second",
            other,
            "1, 1000, 1000000 or 1000000000 (seconds to nanoseconds)",
        )),
    }
}

/// Picks the key map: a direct table when the keys span at most about twice
/// as many values as there are lines, a hash map otherwise.
fn by_keys<S: Sink, const TPS: i64>(columns: &SummaryColumns<'_>, sink: &S) -> Result<Tallied<Timed<S::Tally>>> {
    let keys = columns.keys;
    let (min, max) = keys
        .iter()
        .fold((i64::MAX, i64::MIN), |(lo, hi), &k| (lo.min(k), hi.max(k)));
    let span = (i128::from(max) - i128::from(min)).max(0) as u128;
    let limit = (2 * keys.len() as u128).max(1 << 16);
    if span < limit {
        let table = vec![EMPTY; span as usize + 1];
        stream::<S, TPS, _>(columns, sink, DenseSlots { min, table })
    } else {
        let map = HashMap::with_capacity_and_hasher(keys.len().min(1 << 20), FxBuildHasher);
        stream::<S, TPS, _>(columns, sink, HashSlots(map))
    }
}

const EMPTY: u32 = u32::MAX;

/// Customer slots by key.
trait Slots {
    /// The slot of `key`; a new key gets `next`.
    fn slot(&mut self, key: i64, next: u32) -> u32;
}

/// Slots of keys in `min..min + table.len()`, by offset.
struct DenseSlots {
    min: i64,
    table: Vec<u32>,
}

impl Slots for DenseSlots {
    #[inline]
    fn slot(&mut self, key: i64, next: u32) -> u32 {
        let cell = &mut self.table[key.wrapping_sub(self.min) as usize];
        if *cell == EMPTY {
            *cell = next;
        }
        *cell
    }
}

struct HashSlots(HashMap<i64, u32, FxBuildHasher>);

impl Slots for HashSlots {
    #[inline]
    fn slot(&mut self, key: i64, next: u32) -> u32 {
        *self.0.entry(key).or_insert(next)
    }
}

/// Customers per block: a block's tallies stay in the L2 cache (48 bytes
/// each for the summary, 88 for the calibration/holdout split's pair, which
/// spills half of a 512 KiB L2 but still beats one scattered tally per line).
const BLOCK_SHIFT: u32 = 13;

/// One line, copied into its block of customers.
#[derive(Debug, Clone, Copy, Default)]
struct Line {
    row: u32,
    code: u32,
    t: i64,
    amount: f64,
}

/// Codes every line by customer (first appearance), groups the lines by
/// block of customers (line order kept) and tallies the blocks in parallel,
/// each within cache; regroups when some customer's counted lines are out
/// of time order.
fn stream<S: Sink, const TPS: i64, L: Slots>(
    columns: &SummaryColumns<'_>,
    sink: &S,
    mut slots: L,
) -> Result<Tallied<Timed<S::Tally>>> {
    let mut keys = Vec::new();
    let mut start = vec![0usize];
    let codes: Vec<u32> = columns
        .keys
        .iter()
        .map(|&key| {
            let s = slots.slot(key, keys.len() as u32);
            if s as usize == keys.len() {
                keys.push(key);
                if (s >> BLOCK_SHIFT) as usize == start.len() - 1 {
                    start.push(0);
                }
            }
            start[(s >> BLOCK_SHIFT) as usize + 1] += 1;
            s
        })
        .collect();
    drop(slots);
    for b in 1..start.len() {
        start[b] += start[b - 1];
    }
    let lines = scatter(columns, &codes, &start);
    let mut states = vec![Timed::<S::Tally>::default(); keys.len()];
    let blocks: Vec<&[Line]> = start.windows(2).map(|w| &lines[w[0]..w[1]]).collect();
    let runs: Vec<BlockRun> = states
        .par_chunks_mut(1 << BLOCK_SHIFT)
        .zip(blocks)
        .enumerate()
        .map(|(b, (states, lines))| tally_block::<S, TPS>(sink, b << BLOCK_SHIFT, states, lines))
        .collect();
    if let Some(row) = runs.iter().filter_map(|r| r.bad_row).min() {
        check_line(row, columns.times[row], columns.amounts[row])?;
    }
    if !runs.iter().all(|r| r.in_order) {
        states = regroup::<S, TPS>(columns, sink, &codes, keys.len());
    }
    let latest = runs.iter().map(|r| r.latest).max().unwrap_or(i64::MIN);
    Ok(Tallied { keys, states, latest })
}

/// The lines by block of customers (`start` holds the blocks' offsets), in line order within a block.
fn scatter(columns: &SummaryColumns<'_>, codes: &[u32], start: &[usize]) -> Vec<Line> {
    let mut lines = vec![Line::default(); codes.len()];
    let mut cursor = start[..start.len() - 1].to_vec();
    let rows = codes.iter().zip(columns.times).zip(columns.amounts).enumerate();
    for (row, ((&code, &t), &amount)) in rows {
        let at = &mut cursor[(code >> BLOCK_SHIFT) as usize];
        lines[*at] = Line {
            row: row as u32,
            code,
            t,
            amount,
        };
        *at += 1;
    }
    lines
}

/// What tallying one block found.
struct BlockRun {
    in_order: bool,
    latest: i64,
    /// The block's first line with a missing time or a non-finite amount.
    bad_row: Option<usize>,
}

/// Tallies one block's lines into its customers' states (`first` is its first customer).
fn tally_block<S: Sink, const TPS: i64>(
    sink: &S,
    first: usize,
    states: &mut [Timed<S::Tally>],
    lines: &[Line],
) -> BlockRun {
    let mut run = BlockRun {
        in_order: true,
        latest: i64::MIN,
        bad_row: None,
    };
    for line in lines {
        if check_line(line.row as usize, line.t, line.amount).is_err() {
            run.bad_row = Some(line.row as usize);
            break;
        }
        run.in_order &= sink.add::<TPS>(&mut states[line.code as usize - first], line.t, line.amount);
        run.latest = run.latest.max(line.t);
    }
    run
}

/// A line needs a time (not NaT) and a finite amount.
#[inline]
fn check_line(row: usize, t: i64, amount: f64) -> Result<()> {
    if t == i64::MIN {
        return Err(Error::MissingValue {
            what: "times",
            row,
            expected: "a time (found NaT)",
        });
    }
    if !amount.is_finite() {
        return Err(Error::NonFiniteEntry {
            what: "amounts",
            row,
            value: amount,
        });
    }
    Ok(())
}

/// Tallies again with each customer's lines grouped and in time order (ties in line order).
fn regroup<S: Sink, const TPS: i64>(
    columns: &SummaryColumns<'_>,
    sink: &S,
    codes: &[u32],
    n_customers: usize,
) -> Vec<Timed<S::Tally>> {
    let groups = CustomerLines::from_codes(codes, n_customers, columns.times);
    (0..n_customers)
        .into_par_iter()
        .map(|c| {
            let mut state = Timed::default();
            for &l in groups.lines(c) {
                let l = l as usize;
                sink.add::<TPS>(&mut state, columns.times[l], columns.amounts[l]);
            }
            state
        })
        .collect()
}
