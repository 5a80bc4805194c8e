//! The summary of a log of dense integer keys (no `NaT`, finite amounts,
//! under 65,536 periods) in any line order, every pass parallel: blocks by
//! key range, each line packed to 16 bytes; the tally marks each purchasing
//! customer's first line in a bitset over the lines, and the order of first
//! appearance is read off it.
//!
//! Blocks hold 16,384 customers, so that a block's tallies fit a 1 MiB L2;
//! each is tallied by the branch-free `Tally::push`. A block in which some
//! customer's purchases go back in time is put in order by two counting
//! sorts (by period, then by customer: no comparisons, however many lines
//! one customer holds) and tallied again. Each stretch of the bitset then
//! fills its own stretch of the output columns in parallel, the scattered
//! block rows prefetched ahead of the gather.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use rayon::prelude::*;

use super::SummaryOptions;
use super::columns::SummaryColumns;
use super::{RfmSummary, Tally};

/// A line in its block of customers: its row, its customer's offset in the
/// block, its period after the log's first one.
#[derive(Debug, Clone, Copy, Default)]
struct Packed {
    row: u32,
    local: u16,
    period: u16,
    amount: f64,
}

/// The summary of a log of dense integer keys, every pass parallel; `None`
/// when the log is not such (the general path then runs, and names any bad
/// row). Equal to the general path's rows: each customer's purchases are
/// tallied by period, within a period in line order.
pub(super) fn dense_summary(columns: &SummaryColumns<'_>, options: &SummaryOptions) -> Option<RfmSummary<i64>> {
    match columns.ticks_per_second {
        1 => dense_summary_in::<1>(columns, options),
        1_000 => dense_summary_in::<1_000>(columns, options),
        1_000_000 => dense_summary_in::<1_000_000>(columns, options),
        1_000_000_000 => dense_summary_in::<1_000_000_000>(columns, options),
        _ => None,
    }
}

fn dense_summary_in<const TPS: i64>(columns: &SummaryColumns<'_>, options: &SummaryOptions) -> Option<RfmSummary<i64>> {
    let SummaryColumns {
        keys, times, amounts, ..
    } = *columns;
    let n = keys.len();
    if u32::try_from(n).is_err() {
        return None; // rows are packed as u32
    }
    let chunk = n.div_ceil(4 * rayon::current_num_threads()).max(1 << 15);
    // Pass 1: the key range and the time range.
    let ((kmin, kmax), (tmin, tmax)) = keys
        .par_chunks(chunk)
        .zip(times.par_chunks(chunk))
        .map(|(k, t)| (min_max(k), min_max(t)))
        .reduce(
            || ((i64::MAX, i64::MIN), (i64::MAX, i64::MIN)),
            |(k1, t1), (k2, t2)| (widest(k1, k2), widest(t1, t2)),
        );
    let period = options.period;
    let first_period = period.index_in::<TPS>(tmin);
    // A NaT is i64::MIN: the general path names its row.
    if tmin == i64::MIN || period.index_in::<TPS>(tmax) - first_period > i64::from(u16::MAX) {
        return None;
    }
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
    // the amounts on the way.
    // Filled in parallel: 16 bytes a line is too much to write on one thread.
    let mut lines: Vec<Packed> = (0..n).into_par_iter().map(|_| Packed::default()).collect();
    let mut pieces: Vec<Vec<&mut [Packed]>> = counts.iter().map(|_| Vec::with_capacity(n_blocks)).collect();
    let block_major = (0..n_blocks).flat_map(|b| counts.iter().map(move |count| count[b]));
    for (i, piece) in split_lengths(&mut lines, block_major).into_iter().enumerate() {
        pieces[i % counts.len()].push(piece);
    }
    let finite = pieces
        .into_par_iter()
        .zip(keys.par_chunks(chunk))
        .zip(times.par_chunks(chunk))
        .zip(amounts.par_chunks(chunk))
        .enumerate()
        .map(|(c, (((mut pieces, ks), ts), am))| {
            let mut cursor = vec![0usize; n_blocks];
            let mut finite = true;
            for (i, ((&k, &t), &amount)) in ks.iter().zip(ts).zip(am).enumerate() {
                finite &= amount.is_finite();
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
            finite
        })
        .reduce(|| true, |a, b| a & b);
    if !finite {
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
    let n_periods = (period.index_in::<TPS>(tmax) - first_period) as usize + 1;
    let blocks: Vec<Vec<[f64; 4]>> = split_lengths(&mut lines, start.windows(2).map(|w| w[1] - w[0]))
        .into_par_iter()
        .enumerate()
        .map(|(b, lines)| {
            let size = (width - (b << DENSE_BLOCK_SHIFT)).min(1 << DENSE_BLOCK_SHIFT);
            let mut tallies = vec![Tally::default(); size];
            if !tally_block(lines, &mut tallies, end_period) {
                sort_block(lines, size, n_periods);
                tallies.fill(Tally::default());
                tally_block(lines, &mut tallies, end_period);
            }
            let mut first_row = vec![u32::MAX; size];
            for line in lines.iter() {
                let i = line.local as usize;
                first_row[i] = first_row[i].min(line.row);
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

/// Tallies a block's purchases up to `end_period` in line order; false when
/// some customer's purchase falls in an earlier period than their previous one.
fn tally_block(lines: &[Packed], tallies: &mut [Tally], end_period: i64) -> bool {
    let mut in_order = true;
    for line in lines {
        let p = i64::from(line.period);
        if line.amount >= 0.0 && p <= end_period {
            let tally = &mut tallies[line.local as usize];
            in_order &= !tally.is_after(p);
            tally.push(p, line.amount);
        }
    }
    in_order
}

/// Orders a block's lines by customer, then period, then line: a stable
/// counting sort by period, then one by customer.
fn sort_block(lines: &mut [Packed], n_customers: usize, n_periods: usize) {
    let mut by_period = vec![Packed::default(); lines.len()];
    counting_sort(lines, &mut by_period, n_periods, |l| l.period as usize);
    counting_sort(&by_period, lines, n_customers, |l| l.local as usize);
}

/// Copies `from` into `to` ordered by `bucket` (< `n_buckets`), keeping the order within a bucket.
fn counting_sort(from: &[Packed], to: &mut [Packed], n_buckets: usize, bucket: impl Fn(&Packed) -> usize) {
    let mut next = vec![0usize; n_buckets + 1];
    for line in from {
        next[bucket(line) + 1] += 1;
    }
    for b in 1..next.len() {
        next[b] += next[b - 1];
    }
    for line in from {
        let at = &mut next[bucket(line)];
        to[*at] = *line;
        *at += 1;
    }
}

fn min_max(values: &[i64]) -> (i64, i64) {
    values
        .iter()
        .fold((i64::MAX, i64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)))
}

fn widest((lo1, hi1): (i64, i64), (lo2, hi2): (i64, i64)) -> (i64, i64) {
    (lo1.min(lo2), hi1.max(hi2))
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
/// Customers per block on the time-ordered path, whose tally holds 44 bytes
/// a customer: 704 KiB a block, sized for a 1 MiB L2 (it spills a 512 KiB
/// one): fewer blocks make the packing's scattered writes cheaper, more than
/// the larger blocks slow the tally.
pub(super) const DENSE_BLOCK_SHIFT: u32 = 14;
const _: () = assert!(DENSE_BLOCK_SHIFT <= 16, "a line's offset in its block is a u16");
