//! The summary of any log: one serial pass codes the lines by customer (a
//! direct table for dense integer keys, a hash map otherwise) in order of
//! first appearance, the lines are copied into blocks of customers (line
//! order kept within a block) and the blocks are tallied in parallel, each
//! block's tallies sized for the L2 cache. Only a block in which some
//! customer's counted lines go back in time is sorted by customer and
//! period (its lines are contiguous, so the sort stays in cache) and tallied
//! again.

use hashbrown::HashMap;
use rayon::prelude::*;
use rustc_hash::FxBuildHasher;

use super::columns::{Sink, SummaryColumns, Timed};
use crate::error::{Error, Result};

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
/// each within cache; a block with a customer whose purchases go back in
/// time is sorted and tallied again.
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
    let mut lines = scatter(columns, &codes, &start);
    let mut states = vec![Timed::<S::Tally>::default(); keys.len()];
    let mut blocks = Vec::with_capacity(start.len() - 1);
    let mut rest = &mut lines[..];
    for w in start.windows(2) {
        let (block, tail) = rest.split_at_mut(w[1] - w[0]);
        blocks.push(block);
        rest = tail;
    }
    let runs: Vec<BlockRun> = states
        .par_chunks_mut(1 << BLOCK_SHIFT)
        .zip(blocks)
        .enumerate()
        .map(|(b, (states, lines))| tally_block::<S, TPS>(sink, b << BLOCK_SHIFT, states, lines))
        .collect();
    if let Some(row) = runs.iter().filter_map(|r| r.bad_row).min() {
        check_line(row, columns.times[row], columns.amounts[row])?;
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

/// Tallies one block's lines into its customers' states (`first` is its
/// first customer); when some customer's counted lines are out of time
/// order, orders the block's lines by customer and period and tallies again.
fn tally_block<S: Sink, const TPS: i64>(
    sink: &S,
    first: usize,
    states: &mut [Timed<S::Tally>],
    lines: &mut [Line],
) -> BlockRun {
    let run = tally_lines::<S, TPS>(sink, first, states, lines);
    if run.in_order || run.bad_row.is_some() {
        return run;
    }
    states.fill(Timed::default());
    sort_block::<S, TPS>(sink, lines, first, states.len());
    tally_lines::<S, TPS>(sink, first, states, lines)
}

/// Lines of one customer above which their sort runs in parallel (one
/// customer may hold a fifth of a log).
const PARALLEL_SORT_LINES: usize = 1 << 16;

/// Orders a block's lines by customer (a counting sort over the block's
/// `n_customers`, which keeps line order), then each customer's by period,
/// within a period in line order.
fn sort_block<S: Sink, const TPS: i64>(sink: &S, lines: &mut [Line], first: usize, n_customers: usize) {
    let mut start = vec![0usize; n_customers + 1];
    for line in lines.iter() {
        start[line.code as usize - first + 1] += 1;
    }
    for c in 1..start.len() {
        start[c] += start[c - 1];
    }
    let mut grouped = vec![Line::default(); lines.len()];
    let mut cursor = start.clone();
    for line in lines.iter() {
        let at = &mut cursor[line.code as usize - first];
        grouped[*at] = *line;
        *at += 1;
    }
    for w in start.windows(2) {
        let customer = &mut grouped[w[0]..w[1]];
        let key = |l: &Line| (sink.period::<TPS>(l.t), l.row);
        if customer.is_sorted_by_key(key) {
            continue;
        }
        // (period, row) pairs are distinct, so an unstable sort gives one order.
        if customer.len() >= PARALLEL_SORT_LINES {
            customer.par_sort_unstable_by_key(key);
        } else {
            customer.sort_unstable_by_key(key);
        }
    }
    lines.copy_from_slice(&grouped);
}

/// Feeds a block's lines, in their order, to their customers' states.
fn tally_lines<S: Sink, const TPS: i64>(
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
