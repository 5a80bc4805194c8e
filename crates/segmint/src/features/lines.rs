//! Each customer's transaction lines, grouped by a counting sort and put in
//! time (or period) order: the view the per-customer features and the
//! summary of a `Transactions` table read.

use rayon::prelude::*;

use super::summary::Period;
use crate::data::Transactions;

/// Line indices grouped by customer (counting sort), each group in time order.
pub(crate) struct CustomerLines {
    start: Vec<usize>,
    lines: Vec<u32>,
}

impl CustomerLines {
    /// Each customer's lines in time order, ties in line order.
    pub(crate) fn new(tx: &Transactions) -> Self {
        let times = tx.timestamps();
        Self::grouped(tx.customer_codes(), tx.n_customers(), |i| times[i])
    }

    /// Each customer's lines by period, within a period in line order.
    pub(crate) fn by_period(tx: &Transactions, period: Period) -> Self {
        let times = tx.timestamps();
        Self::grouped(tx.customer_codes(), tx.n_customers(), |i| period.index(times[i]))
    }

    /// Groups lines by their customer code (`< n_customers`), each group
    /// sorted by `key(line)`, ties in line order.
    fn grouped(codes: &[u32], n_customers: usize, key: impl Fn(usize) -> i64 + Sync) -> Self {
        let mut start = vec![0usize; n_customers + 1];
        for &c in codes {
            start[c as usize + 1] += 1;
        }
        for c in 1..start.len() {
            start[c] += start[c - 1];
        }
        let mut cursor = start.clone();
        let mut lines = vec![0u32; codes.len()];
        for (i, &c) in codes.iter().enumerate() {
            lines[cursor[c as usize]] = i as u32;
            cursor[c as usize] += 1;
        }
        // Lines are appended in file order; sort only the groups that are not already in order.
        let mut groups: Vec<&mut [u32]> = Vec::with_capacity(n_customers);
        let mut rest = &mut lines[..];
        for c in 0..n_customers {
            let (group, tail) = rest.split_at_mut(start[c + 1] - start[c]);
            groups.push(group);
            rest = tail;
        }
        groups
            .into_par_iter()
            .for_each_init(Vec::new, |keyed, g| sort_lines(g, &key, keyed));
        CustomerLines { start, lines }
    }

    pub(crate) fn lines(&self, customer: usize) -> &[u32] {
        &self.lines[self.start[customer]..self.start[customer + 1]]
    }
}

/// Lines of one customer above which the sort itself runs in parallel (one
/// customer may hold a fifth of a retailer's log: a marketplace account).
const PARALLEL_SORT_LINES: usize = 1 << 16;

/// Sorts a customer's line indices by `key`, ties in line order, unless they
/// are in order already. The keys are gathered next to the indices first:
/// comparing through `key(i)` would miss the cache at every step.
fn sort_lines(group: &mut [u32], key: impl Fn(usize) -> i64, keyed: &mut Vec<(i64, u32)>) {
    if group.is_sorted_by_key(|&i| key(i as usize)) {
        return;
    }
    keyed.clear();
    keyed.extend(group.iter().map(|&i| (key(i as usize), i)));
    // (key, line) pairs are distinct, so an unstable sort gives one order.
    if keyed.len() >= PARALLEL_SORT_LINES {
        keyed.par_sort_unstable();
    } else {
        keyed.sort_unstable();
    }
    for (slot, &(_, i)) in group.iter_mut().zip(keyed.iter()) {
        *slot = i;
    }
}
