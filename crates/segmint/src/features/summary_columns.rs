//! The repeat-purchase summary straight from columns (a customer key, a time
//! and an amount per line, as a DataFrame holds them) without building a
//! [`Transactions`](crate::data::Transactions) table. The lines are grouped
//! by block of customers (line order kept within a block) and the blocks are
//! tallied in parallel, each block's tallies sized for the L2 cache;
//! customers come out in order of first appearance.
//!
//! Two paths give the same rows. A log of dense integer keys in time order
//! (no `NaT`, finite amounts, under 65,536 periods), the usual case, takes
//! [`sorted_dense`]: blocks by key range, each line packed to 16 bytes, every
//! pass parallel; the tally marks each purchasing customer's first line in a
//! bitset over the lines, and the order of first appearance is read off it.
//! Anything else takes the general path:
//! one serial pass codes the lines by customer (a direct table for dense
//! integer keys, a hash map otherwise) in order of first appearance, the
//! lines are copied into blocks of codes and tallied; only when some
//! customer's counted lines are out of time order are its lines sorted by
//! time and tallied again, so the result never depends on the line order
//! beyond that of [`rfm_summary`](super::rfm_summary). The general path also
//! names the first row with a missing time or a non-finite amount.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use hashbrown::HashMap;
use rayon::prelude::*;
use rustc_hash::FxBuildHasher;

use super::behaviour::CustomerLines;
use super::summary::{
    CalibrationHoldout, HoldoutTally, Period, RfmSummary, SummaryOptions, Tally, check_multiplier, duration_holdout,
    holdout_end,
};
use crate::error::{Error, Result};

/// Transaction lines as parallel columns.
#[derive(Debug, Clone, Copy)]
pub struct SummaryColumns<'a> {
    /// The customer key of each line: integer ids, or codes of a factorisation.
    pub keys: &'a [i64],
    /// The time of each line in ticks since 1970-01-01; `i64::MIN` (NumPy's `NaT`) is missing.
    pub times: &'a [i64],
    /// Ticks per second of `times`: 1 (seconds), 10^3, 10^6 or 10^9 (nanoseconds).
    pub ticks_per_second: i64,
    /// The amount of each line; negative amounts are returns, never purchases.
    pub amounts: &'a [f64],
}

impl SummaryColumns<'_> {
    fn check(&self) -> Result<()> {
        for (what, len) in [("times", self.times.len()), ("amounts", self.amounts.len())] {
            if len != self.keys.len() {
                return Err(Error::ShapeMismatch {
                    what: format!("{what} (one per line, as keys)"),
                    expected: self.keys.len().to_string(),
                    found: len.to_string(),
                });
            }
        }
        // Slots and line numbers are 32-bit; u32::MAX marks an empty slot.
        if self.keys.len() >= u32::MAX as usize {
            return Err(Error::invalid_parameter(
                "keys",
                format!("{} lines", self.keys.len()),
                "fewer than 4294967295 lines; split the input",
            ));
        }
        Ok(())
    }
}

/// [`rfm_summary`](super::rfm_summary) of the lines in `columns`, with the
/// customers' keys as ids in order of first appearance. Equal, value for value,
/// to the summary of the same lines as a `Transactions` table.
pub fn rfm_summary_columns(columns: &SummaryColumns<'_>, options: &SummaryOptions) -> Result<RfmSummary<i64>> {
    check_multiplier(options)?;
    columns.check()?;
    if columns.keys.is_empty() {
        return Err(Error::InsufficientData {
            what: "no transactions: the summary needs at least one purchase".into(),
        });
    }
    match sorted_dense(columns, options) {
        Some(out) => Ok(out),
        None => general_summary(columns, options),
    }
}

/// The general path of [`rfm_summary_columns`] (checked columns, at least one line).
fn general_summary(columns: &SummaryColumns<'_>, options: &SummaryOptions) -> Result<RfmSummary<i64>> {
    let period = options.period;
    let sink = SummarySink {
        period,
        end_period: options.observation_end.map(|end| period.index(end)),
    };
    let run = dispatch(columns, &sink)?;
    let end_period = sink
        .end_period
        .unwrap_or_else(|| period.index(run.latest.div_euclid(columns.ticks_per_second)));
    let mut out = RfmSummary::default();
    for (&key, state) in run.keys.iter().zip(&run.states) {
        if let Some(row) = state.inner.finish(end_period, options.multiplier) {
            push_row(&mut out, key, row);
        }
    }
    Ok(out)
}

/// [`calibration_holdout`](super::calibration_holdout) of the lines in
/// `columns`; `calibration_end` and `options.observation_end` are in seconds.
pub fn calibration_holdout_columns(
    columns: &SummaryColumns<'_>,
    calibration_end: i64,
    options: &SummaryOptions,
) -> Result<CalibrationHoldout<i64>> {
    let end = holdout_end(calibration_end, options)?;
    columns.check()?;
    let tps = columns.ticks_per_second;
    let sink = SplitSink {
        period: options.period,
        calibration_end: calibration_end.saturating_mul(tps),
        end: end.saturating_mul(tps),
    };
    let run = dispatch(columns, &sink)?;
    let calibration_period = options.period.index(calibration_end);
    let mut out = CalibrationHoldout {
        duration_holdout: duration_holdout(calibration_end, end, options),
        ..Default::default()
    };
    for (&key, state) in run.keys.iter().zip(&run.states) {
        let (calibration, holdout) = &state.inner;
        if let Some(row) = calibration.finish(calibration_period, options.multiplier) {
            push_row(&mut out.calibration, key, row);
            let (frequency, monetary) = holdout.finish();
            out.frequency_holdout.push(frequency);
            out.monetary_value_holdout.push(monetary);
        }
    }
    Ok(out)
}

fn push_row(out: &mut RfmSummary<i64>, key: i64, [frequency, recency, t, monetary]: [f64; 4]) {
    out.ids.push(key);
    out.frequency.push(frequency);
    out.recency.push(recency);
    out.t.push(t);
    out.monetary_value.push(monetary);
}

/// A customer's tally and the time of its latest counted line.
#[derive(Debug, Clone)]
struct Timed<T> {
    latest: i64,
    inner: T,
}

impl<T: Default> Default for Timed<T> {
    fn default() -> Self {
        Timed {
            latest: i64::MIN,
            inner: T::default(),
        }
    }
}

impl<T> Timed<T> {
    /// Records a counted line at `t`; false when it is earlier than the previous one.
    #[inline]
    fn advance(&mut self, t: i64) -> bool {
        let in_order = t >= self.latest;
        self.latest = t;
        in_order
    }
}

/// What a pass does with each line of a customer.
trait Sink: Sync {
    type Tally: Default + Clone + Send;
    /// Feeds one line (`t` in ticks of `1 / TPS` s); false when it is a
    /// counted line earlier than the customer's previous counted line.
    fn add<const TPS: i64>(&self, state: &mut Timed<Self::Tally>, t: i64, amount: f64) -> bool;
}

/// Purchases up to the end period.
struct SummarySink {
    period: Period,
    end_period: Option<i64>,
}

impl Sink for SummarySink {
    type Tally = Tally;

    #[inline]
    fn add<const TPS: i64>(&self, state: &mut Timed<Tally>, t: i64, amount: f64) -> bool {
        let p = self.period.index_in::<TPS>(t);
        if amount < 0.0 || self.end_period.is_some_and(|end| p > end) {
            return true;
        }
        state.inner.push(p, amount);
        state.advance(t)
    }
}

/// Purchases split at the calibration end (raw times, in ticks).
struct SplitSink {
    period: Period,
    calibration_end: i64,
    end: i64,
}

impl Sink for SplitSink {
    type Tally = (Tally, HoldoutTally);

    #[inline]
    fn add<const TPS: i64>(&self, state: &mut Timed<Self::Tally>, t: i64, amount: f64) -> bool {
        if amount < 0.0 || t > self.end {
            return true;
        }
        let p = self.period.index_in::<TPS>(t);
        if t <= self.calibration_end {
            state.inner.0.push(p, amount);
        } else {
            state.inner.1.push(p, amount);
        }
        state.advance(t)
    }
}

/// A line of a time-ordered log in its block of customers: its row, its
/// customer's offset in the block, its period after the log's first one.
#[derive(Debug, Clone, Copy, Default)]
struct Packed {
    row: u32,
    local: u16,
    period: u16,
    amount: f64,
}

/// The summary of a log of dense integer keys in time order, every pass
/// parallel; `None` when the log is not such (the general path then runs, and
/// names any bad row). Equal to the general path's rows: each customer's
/// lines are tallied in line order, which is time order.
fn sorted_dense(columns: &SummaryColumns<'_>, options: &SummaryOptions) -> Option<RfmSummary<i64>> {
    match columns.ticks_per_second {
        1 => sorted_dense_in::<1>(columns, options),
        1_000 => sorted_dense_in::<1_000>(columns, options),
        1_000_000 => sorted_dense_in::<1_000_000>(columns, options),
        1_000_000_000 => sorted_dense_in::<1_000_000_000>(columns, options),
        _ => None,
    }
}

fn sorted_dense_in<const TPS: i64>(columns: &SummaryColumns<'_>, options: &SummaryOptions) -> Option<RfmSummary<i64>> {
    let SummaryColumns {
        keys, times, amounts, ..
    } = *columns;
    let n = keys.len();
    if u32::try_from(n).is_err() {
        return None; // rows are packed as u32
    }
    // The times of a log in time order lie between its ends (pass 3 checks
    // the order, and a NaT, i64::MIN, can only come first).
    let (&tmin, &tmax) = (times.first()?, times.last()?);
    let period = options.period;
    let first_period = period.index_in::<TPS>(tmin);
    if tmin == i64::MIN || period.index_in::<TPS>(tmax) - first_period > i64::from(u16::MAX) {
        return None;
    }
    let chunk = n.div_ceil(4 * rayon::current_num_threads()).max(1 << 15);
    // Pass 1: the key range.
    let (kmin, kmax) = keys
        .par_chunks(chunk)
        .map(|k| {
            k.iter()
                .fold((i64::MAX, i64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)))
        })
        .reduce(|| (i64::MAX, i64::MIN), |(a, b), (c, d)| (a.min(c), b.max(d)));
    let span = (i128::from(kmax) - i128::from(kmin)).max(0) as u128;
    // Key offsets are stored as u32: the span must stay under u32::MAX.
    if span >= (2 * n as u128).max(1 << 16).min(u128::from(u32::MAX)) {
        return None;
    }
    let width = span as usize + 1;
    let n_blocks = (width - 1) / (1 << DENSE_BLOCK_SHIFT) + 1;
    // Pass 2: lines per block in each chunk of lines.
    let counts: Vec<Vec<usize>> = keys
        .par_chunks(chunk)
        .map(|ks| {
            let mut c = vec![0usize; n_blocks];
            for &k in ks {
                c[(k.wrapping_sub(kmin) as u64 >> DENSE_BLOCK_SHIFT) as usize] += 1;
            }
            c
        })
        .collect();
    let mut start = vec![0usize; n_blocks + 1];
    for b in 0..n_blocks {
        start[b + 1] = start[b] + counts.iter().map(|c| c[b]).sum::<usize>();
    }
    // Pass 3: each chunk copies its lines into its own piece of every block
    // (blocks hold chunk 0's lines, then chunk 1's …: line order), checking
    // the time order and the amounts on the way.
    // Filled in parallel: 16 bytes a line is too much to write on one thread.
    let mut lines: Vec<Packed> = (0..n).into_par_iter().map(|_| Packed::default()).collect();
    let mut pieces: Vec<Vec<&mut [Packed]>> = counts.iter().map(|_| Vec::with_capacity(n_blocks)).collect();
    let block_major = (0..n_blocks).flat_map(|b| counts.iter().map(move |count| count[b]));
    for (i, piece) in split_lengths(&mut lines, block_major).into_iter().enumerate() {
        pieces[i % counts.len()].push(piece);
    }
    let chunks: Vec<(bool, i64, i64)> = pieces
        .into_par_iter()
        .zip(keys.par_chunks(chunk))
        .zip(times.par_chunks(chunk))
        .zip(amounts.par_chunks(chunk))
        .enumerate()
        .map(|(c, (((mut pieces, ks), ts), am))| {
            let mut cursor = vec![0usize; n_blocks];
            let mut good = true;
            let mut previous = ts[0];
            for (i, ((&k, &t), &amount)) in ks.iter().zip(ts).zip(am).enumerate() {
                good &= (t >= previous) & amount.is_finite();
                previous = t;
                let offset = k.wrapping_sub(kmin) as usize;
                let b = offset >> DENSE_BLOCK_SHIFT;
                pieces[b][cursor[b]] = Packed {
                    row: (c * chunk + i) as u32,
                    local: (offset & ((1 << DENSE_BLOCK_SHIFT) - 1)) as u16,
                    period: (period.index_in::<TPS>(t) - first_period) as u16,
                    amount,
                };
                cursor[b] += 1;
            }
            (good, ts[0], previous)
        })
        .collect();
    let in_order = chunks.windows(2).all(|w| w[0].2 <= w[1].1);
    if !in_order || !chunks.iter().all(|c| c.0) {
        return None;
    }
    // Pass 4: tally the blocks: each customer's row of the summary, by key
    // offset, and the mark of each purchasing customer's first line.
    let end_period = options
        .observation_end
        .map_or_else(|| period.index_in::<TPS>(tmax), |end| period.index(end))
        - first_period;
    let multiplier = options.multiplier;
    let first_lines: Vec<AtomicU64> = (0..n.div_ceil(64)).map(|_| AtomicU64::new(0)).collect();
    let blocks: Vec<Vec<[f64; 4]>> = (0..n_blocks)
        .into_par_iter()
        .map(|b| {
            let size = (width - (b << DENSE_BLOCK_SHIFT)).min(1 << DENSE_BLOCK_SHIFT);
            let mut tallies = vec![Tally::default(); size];
            let mut first_row = vec![u32::MAX; size];
            for line in &lines[start[b]..start[b + 1]] {
                let i = line.local as usize;
                first_row[i] = first_row[i].min(line.row);
                let p = i64::from(line.period);
                if line.amount >= 0.0 && p <= end_period {
                    tallies[i].push(p, line.amount);
                }
            }
            let rows = tallies.iter().zip(&first_row).map(|(tally, &row)| {
                let finished = tally.finish(end_period, multiplier);
                if finished.is_some() {
                    first_lines[row as usize >> 6].fetch_or(1 << (row & 63), Relaxed);
                }
                finished.unwrap_or_default() // never read: its first line is unmarked
            });
            rows.collect()
        })
        .collect();
    drop(lines);
    // Order of first appearance: the marked first lines in line order. Each
    // stretch of the bitset fills its own stretch of the output, first with
    // the ids (the lines' keys), then with their rows.
    let words = first_lines.len().div_ceil(4 * rayon::current_num_threads()).max(1);
    let marks: Vec<usize> = first_lines
        .par_chunks(words)
        .map(|bits| bits.iter().map(|w| w.load(Relaxed).count_ones() as usize).sum())
        .collect();
    let m = marks.iter().sum();
    let mut out = RfmSummary {
        ids: vec![0; m],
        frequency: vec![0.0; m],
        recency: vec![0.0; m],
        t: vec![0.0; m],
        monetary_value: vec![0.0; m],
    };
    (
        first_lines.par_chunks(words).enumerate(),
        split_lengths(&mut out.ids, marks.iter().copied()),
        split_lengths(&mut out.frequency, marks.iter().copied()),
        split_lengths(&mut out.recency, marks.iter().copied()),
        split_lengths(&mut out.t, marks.iter().copied()),
        split_lengths(&mut out.monetary_value, marks.iter().copied()),
    )
        .into_par_iter()
        .for_each(|((piece, bits), ids, frequency, recency, t, monetary)| {
            let rows = bits.iter().enumerate().flat_map(|(w, bits)| {
                let mut bits = bits.load(Relaxed);
                let first = (piece * words + w) * 64;
                std::iter::from_fn(move || {
                    if bits == 0 {
                        return None;
                    }
                    let row = first + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    Some(row)
                })
            });
            for (id, row) in ids.iter_mut().zip(rows) {
                *id = keys[row];
            }
            let row_of = |key: i64| {
                let offset = key.wrapping_sub(kmin) as usize;
                &blocks[offset >> DENSE_BLOCK_SHIFT][offset & ((1 << DENSE_BLOCK_SHIFT) - 1)]
            };
            for (i, &key) in ids.iter().enumerate() {
                // The rows lie scattered over the blocks: ask for them early.
                if let Some(&ahead) = ids.get(i + FETCH_AHEAD) {
                    prefetch(row_of(ahead));
                }
                [frequency[i], recency[i], t[i], monetary[i]] = *row_of(key);
            }
        });
    Some(out)
}

/// `values` cut into consecutive pieces of the given lengths (which sum to at most its length).
fn split_lengths<T>(mut values: &mut [T], lengths: impl Iterator<Item = usize>) -> Vec<&mut [T]> {
    lengths
        .map(|len| {
            let (piece, rest) = std::mem::take(&mut values).split_at_mut(len);
            values = rest;
            piece
        })
        .collect()
}

/// How many output rows ahead of the one being gathered [`prefetch`] asks for.
const FETCH_AHEAD: usize = 16;

/// Asks the cache for the line holding `value` (a hint; nothing off x86-64).
#[inline(always)]
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    if let Some(simd) = pulp::x86::V1::try_new() {
        simd.sse
            ._mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(std::ptr::from_ref(value).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// Each customer's key (first-appearance order) and tally, and the latest time.
struct Tallied<T> {
    keys: Vec<i64>,
    states: Vec<T>,
    latest: i64,
}

/// Runs the pass with the time resolution as a constant.
fn dispatch<S: Sink>(columns: &SummaryColumns<'_>, sink: &S) -> Result<Tallied<Timed<S::Tally>>> {
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

/// Customers per block on the time-ordered path, whose tally holds 44 bytes
/// a customer: 704 KiB a block, sized for a 1 MiB L2 (it spills a 512 KiB
/// one). Fewer blocks make the packing's scattered writes cheaper, more than
/// the larger blocks slow the tally; packing plus tally was slower at 2^12,
/// 2^13 and 2^15.
const DENSE_BLOCK_SHIFT: u32 = 14;
const _: () = assert!(DENSE_BLOCK_SHIFT <= 16, "a line's offset in its block is a u16");

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Transactions;
    use crate::features::{calibration_holdout, rfm_summary};
    use crate::synth::{SynthParams, generate};

    /// A synthetic log (with returns) as columns, its keys spread by `stride`.
    fn synthetic(stride: i64) -> (Transactions, Vec<i64>) {
        let tx = generate(&SynthParams::new(300, 11)).expect("generate").transactions;
        let keys = tx.customer_codes().iter().map(|&c| 7 + i64::from(c) * stride).collect();
        (tx, keys)
    }

    /// Columns of lines timed in seconds.
    fn seconds<'a>(keys: &'a [i64], times: &'a [i64], amounts: &'a [f64]) -> SummaryColumns<'a> {
        SummaryColumns {
            keys,
            times,
            ticks_per_second: 1,
            amounts,
        }
    }

    fn columns<'a>(keys: &'a [i64], tx: &'a Transactions) -> SummaryColumns<'a> {
        SummaryColumns {
            keys,
            times: tx.timestamps(),
            ticks_per_second: 1,
            amounts: tx.amounts(),
        }
    }

    /// The summary with text ids in place of keys, for comparing with the table's.
    fn with_ids(s: RfmSummary<i64>, tx: &Transactions, stride: i64) -> RfmSummary {
        let ids = s
            .ids
            .iter()
            .map(|k| tx.customer_ids()[((k - 7) / stride) as usize].clone());
        RfmSummary {
            ids: ids.collect(),
            frequency: s.frequency,
            recency: s.recency,
            t: s.t,
            monetary_value: s.monetary_value,
        }
    }

    #[test]
    fn equals_the_table_summary_for_dense_and_sparse_keys_in_any_order() {
        for (stride, period) in [(1, Period::Day), (1 << 40, Period::Week)] {
            let (tx, keys) = synthetic(stride);
            assert!(tx.amounts().iter().any(|&a| a < 0.0), "the log has returns");
            let options = SummaryOptions {
                period,
                ..Default::default()
            };
            let expected = rfm_summary(&tx, &options).unwrap();
            let ours = rfm_summary_columns(&columns(&keys, &tx), &options).unwrap();
            assert_eq!(with_ids(ours, &tx, stride), expected);
            // Reversed lines: every customer out of time order, ties reversed too.
            let rev = |v: &[i64]| v.iter().rev().copied().collect::<Vec<_>>();
            let (keys_r, times_r) = (rev(&keys), rev(tx.timestamps()));
            let amounts_r: Vec<f64> = tx.amounts().iter().rev().copied().collect();
            let reversed = SummaryColumns {
                keys: &keys_r,
                times: &times_r,
                ticks_per_second: 1,
                amounts: &amounts_r,
            };
            let ours = rfm_summary_columns(&reversed, &options).unwrap();
            let mut by_id: Vec<_> = (0..ours.ids.len())
                .map(|i| (ours.ids[i], ours.frequency[i], ours.t[i]))
                .collect();
            by_id.sort_by_key(|r| r.0);
            let n = expected.ids.len();
            assert_eq!(by_id.len(), n);
            for (i, id) in expected.ids.iter().enumerate() {
                let key = 7 + tx.customer_ids().iter().position(|x| x == id).unwrap() as i64 * stride;
                let row = by_id.binary_search_by_key(&key, |r| r.0).unwrap();
                assert_eq!((by_id[row].1, by_id[row].2), (expected.frequency[i], expected.t[i]));
            }
        }
    }

    #[test]
    fn the_time_ordered_path_equals_the_general_path() {
        let (tx, _) = synthetic(1);
        let mut order: Vec<usize> = (0..tx.timestamps().len()).collect();
        order.sort_by_key(|&i| tx.timestamps()[i]);
        let codes = tx.customer_codes();
        let keys: Vec<i64> = order.iter().map(|&i| 3 + i64::from(codes[i])).collect();
        let secs: Vec<i64> = order.iter().map(|&i| tx.timestamps()[i]).collect();
        let nanos: Vec<i64> = secs.iter().map(|t| t * 1_000_000_000 + 123).collect();
        let amounts: Vec<f64> = order.iter().map(|&i| tx.amounts()[i]).collect();
        let (_, latest) = tx.time_span().unwrap();
        for (times, tps) in [(&secs, 1), (&nanos, 1_000_000_000)] {
            let cols = SummaryColumns {
                keys: &keys,
                times,
                ticks_per_second: tps,
                amounts: &amounts,
            };
            for (period, multiplier, end) in [
                (Period::Day, 1.0, None),
                (Period::Week, 1.0, None),
                (Period::Day, 7.0, Some(latest - 40 * 86_400)),
            ] {
                let options = SummaryOptions {
                    period,
                    multiplier,
                    observation_end: end,
                };
                let fast = sorted_dense(&cols, &options).expect("a time-ordered log of dense keys");
                assert!(!fast.ids.is_empty());
                assert_eq!(fast, general_summary(&cols, &options).unwrap());
            }
        }
        // Out of time order: the general path.
        let mut swapped = secs.clone();
        swapped.swap(10, 11_000.min(secs.len() - 1));
        let cols = SummaryColumns {
            keys: &keys,
            times: &swapped,
            ticks_per_second: 1,
            amounts: &amounts,
        };
        assert!(sorted_dense(&cols, &SummaryOptions::default()).is_none());
    }

    #[test]
    fn a_nat_anywhere_or_disorder_between_chunks_leaves_the_time_ordered_path() {
        // 100,000 lines: chunks of 32,768 lines on any thread count.
        let n = 100_000;
        let keys: Vec<i64> = (0..n as i64).map(|i| (i * 7_919) % 20_000).collect();
        let times: Vec<i64> = (0..n as i64).map(|i| 1_600_000_000 + i * 600).collect();
        let amounts = vec![1.5; n];
        let options = SummaryOptions::default();
        assert!(sorted_dense(&seconds(&keys, &times, &amounts), &options).is_some());
        for row in [0, n / 2, n - 1] {
            let mut with_nat = times.clone();
            with_nat[row] = i64::MIN;
            let cols = seconds(&keys, &with_nat, &amounts);
            assert!(sorted_dense(&cols, &options).is_none(), "NaT at row {row}");
            let err = rfm_summary_columns(&cols, &options).unwrap_err();
            assert!(matches!(err, Error::MissingValue { row: r, .. } if r == row), "{err}");
        }
        // Each chunk in time order, the second one earlier than the first.
        let mut shifted = times.clone();
        for t in &mut shifted[1 << 15..1 << 16] {
            *t -= 10_000_000;
        }
        assert!(sorted_dense(&seconds(&keys, &shifted, &amounts), &options).is_none());
    }

    #[test]
    fn many_blocks_of_customers_give_the_table_summary() {
        // 3 blocks of customers on the time-ordered path (5 on the general one); each customer's
        // lines spread over the log, a bad line late in block 0.
        let n = 2 * (1 << DENSE_BLOCK_SHIFT) + 500;
        let rows: Vec<(u32, i64, f64)> = (0..6 * n)
            .map(|i| ((i * 7919 % n) as u32, (i as i64 / 3) * 3_600, (i % 13) as f64 - 1.0))
            .collect();
        let ids = (0..n).map(|c| c.to_string()).collect();
        let (codes, times, amounts): (Vec<u32>, Vec<i64>, Vec<f64>) =
            rows.iter()
                .fold(Default::default(), |(mut c, mut t, mut a), &(x, y, z)| {
                    c.push(x);
                    t.push(y);
                    a.push(z);
                    (c, t, a)
                });
        let tx = Transactions::from_codes(ids, codes.clone(), times.clone(), amounts.clone(), None).unwrap();
        let keys: Vec<i64> = codes.iter().map(|&c| 7 + i64::from(c)).collect();
        let options = SummaryOptions::default();
        let ours = rfm_summary_columns(&columns(&keys, &tx), &options).unwrap();
        // The table orders customers by code, the columns by first appearance.
        let rows = |s: RfmSummary| {
            let mut rows: Vec<_> = (0..s.ids.len())
                .map(|i| {
                    (
                        s.ids[i].clone(),
                        [s.frequency[i], s.recency[i], s.t[i], s.monetary_value[i]],
                    )
                })
                .collect();
            rows.sort_by(|a, b| a.0.cmp(&b.0));
            rows
        };
        assert_eq!(rows(with_ids(ours, &tx, 1)), rows(rfm_summary(&tx, &options).unwrap()));
        // The time-ordered path across blocks, customers in order of first appearance.
        let fast = sorted_dense(&columns(&keys, &tx), &options).expect("a time-ordered log of dense keys");
        assert_eq!(fast, general_summary(&columns(&keys, &tx), &options).unwrap());
        let mut bad = amounts;
        let (late, early) = (6 * n - 5, 4 * n);
        bad[late] = f64::NAN;
        bad[early] = f64::INFINITY;
        let cols = SummaryColumns {
            amounts: &bad,
            ..columns(&keys, &tx)
        };
        let err = rfm_summary_columns(&cols, &options).unwrap_err();
        assert!(
            matches!(err, Error::NonFiniteEntry { row, .. } if row == early),
            "{err}"
        );
    }

    #[test]
    fn the_time_ordered_path_leaves_out_customers_without_a_purchase() {
        // 100,000 lines in time order (several chunks), the end half-way:
        // customer 3 only returns, customers 5 and 7 first appear after the end.
        let n = 100_000;
        let mut keys: Vec<i64> = (0..n as i64).map(|i| 100 + (i * 7_919) % 20_000).collect();
        let mut amounts: Vec<f64> = (0..n).map(|i| (i % 11) as f64 + 0.5).collect();
        for i in (0..n).step_by(97) {
            (keys[i], amounts[i]) = (3, -2.0);
        }
        (keys[n - 20], keys[n - 10]) = (5, 7);
        let times: Vec<i64> = (0..n as i64).map(|i| 1_600_000_000 + i * 600).collect();
        let cols = seconds(&keys, &times, &amounts);
        let options = SummaryOptions {
            observation_end: Some(times[n / 2]),
            ..Default::default()
        };
        let fast = sorted_dense(&cols, &options).expect("a time-ordered log of dense keys");
        for left_out in [3, 5, 7] {
            assert!(!fast.ids.contains(&left_out), "customer {left_out}");
        }
        assert_eq!(fast, general_summary(&cols, &options).unwrap());
    }

    #[test]
    fn a_period_whose_spend_overflows_is_summed_as_the_branching_form_sums_it() {
        // Customer 1 overflows its first period (left out of monetary_value),
        // customer 2 a repeat period (monetary_value is +inf, never NaN).
        const DAY: i64 = 86_400;
        let keys = [1, 1, 2, 1, 2, 2, 2];
        let times = [0, 10, 20, DAY, DAY, DAY + 5, 2 * DAY];
        let amounts = [1e308, 1e308, 1.0, 5.0, 1e308, 1e308, 3.0];
        let cols = seconds(&keys, &times, &amounts);
        let options = SummaryOptions::default();
        let fast = sorted_dense(&cols, &options).expect("a time-ordered log of dense keys");
        assert_eq!(fast.ids, [1, 2]);
        assert_eq!(fast.frequency, [1.0, 2.0]);
        assert_eq!(fast.monetary_value, [5.0, f64::INFINITY]);
        assert_eq!(fast, general_summary(&cols, &options).unwrap());
    }

    #[test]
    fn the_time_ordered_path_is_the_same_on_any_thread_count_and_at_the_edges() {
        // 200,000 lines: many chunks and blocks; some amounts are -0.0 (a purchase of nothing).
        let n = 200_000;
        let keys: Vec<i64> = (0..n as i64).map(|i| -5_000 + (i * 7_919) % 30_000).collect();
        let times: Vec<i64> = (0..n as i64).map(|i| 1_600_000_000 + i * 300).collect();
        let amounts: Vec<f64> = (0..n)
            .map(|i| if i % 7 == 0 { -0.0 } else { (i % 13) as f64 })
            .collect();
        let cols = seconds(&keys, &times, &amounts);
        let options = SummaryOptions::default();
        let on = |threads: usize, options: &SummaryOptions| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| sorted_dense(&cols, options).expect("a time-ordered log of dense keys"))
        };
        let one = on(1, &options);
        assert_eq!(one, general_summary(&cols, &options).unwrap());
        for threads in [2, 8] {
            assert_eq!(on(threads, &options), one, "{threads} threads");
        }
        // An end before every line: nobody has a purchase.
        let early = SummaryOptions {
            observation_end: Some(times[0] - 2 * 86_400),
            ..Default::default()
        };
        assert!(on(2, &early).ids.is_empty());
        assert_eq!(on(2, &early), general_summary(&cols, &early).unwrap());
    }

    #[test]
    fn nanoseconds_and_a_given_end_give_the_seconds_summary() {
        let (tx, keys) = synthetic(1);
        let (_, latest) = tx.time_span().unwrap();
        let options = SummaryOptions {
            observation_end: Some(latest - 40 * 86_400),
            multiplier: 7.0,
            ..Default::default()
        };
        let nanos: Vec<i64> = tx.timestamps().iter().map(|t| t * 1_000_000_000).collect();
        let cols = SummaryColumns {
            times: &nanos,
            ticks_per_second: 1_000_000_000,
            ..columns(&keys, &tx)
        };
        let ours = rfm_summary_columns(&cols, &options).unwrap();
        assert_eq!(with_ids(ours, &tx, 1), rfm_summary(&tx, &options).unwrap());
    }

    #[test]
    fn calibration_and_holdout_equal_the_table_split() {
        let (tx, keys) = synthetic(1);
        let (first, latest) = tx.time_span().unwrap();
        let calibration_end = first + (latest - first) / 2;
        let options = SummaryOptions {
            observation_end: Some(latest),
            ..Default::default()
        };
        let expected = calibration_holdout(&tx, calibration_end, &options).unwrap();
        let ours = calibration_holdout_columns(&columns(&keys, &tx), calibration_end, &options).unwrap();
        assert_eq!(ours.frequency_holdout, expected.frequency_holdout);
        assert_eq!(ours.monetary_value_holdout, expected.monetary_value_holdout);
        assert_eq!(ours.duration_holdout, expected.duration_holdout);
        assert_eq!(with_ids(ours.calibration, &tx, 1), expected.calibration);
    }

    #[test]
    fn missing_times_bad_amounts_and_resolutions_are_errors() {
        let keys = [1, 2, 2];
        let (times, amounts) = ([10, i64::MIN, 30], [1.0, 2.0, f64::NAN]);
        let cols = SummaryColumns {
            keys: &keys,
            times: &times,
            ticks_per_second: 1,
            amounts: &amounts,
        };
        let options = SummaryOptions::default();
        let err = rfm_summary_columns(&cols, &options).unwrap_err();
        assert!(
            matches!(
                err,
                Error::MissingValue {
                    what: "times",
                    row: 1,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "column times has no value at row 1: expected a time (found NaT)"
        );
        let cols = SummaryColumns {
            times: &[10, 20, 30],
            ..cols
        };
        let err = rfm_summary_columns(&cols, &options).unwrap_err();
        assert!(
            matches!(
                err,
                Error::NonFiniteEntry {
                    what: "amounts",
                    row: 2,
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            "column amounts holds NaN at row 2: expected a finite number"
        );
        let cols = SummaryColumns {
            ticks_per_second: 60,
            ..cols
        };
        assert!(matches!(
            rfm_summary_columns(&cols, &options),
            Err(Error::InvalidParameter {
                name: "ticks_per_second",
                ..
            })
        ));
        let short = SummaryColumns { keys: &[1, 2], ..cols };
        assert!(matches!(
            rfm_summary_columns(&short, &options),
            Err(Error::ShapeMismatch { .. })
        ));
    }
}
