//! The full behavioural feature table: one row per customer from the
//! transactions and, when given, the products and interactions sources —
//! RFM, order rhythm, returns, discounts, category and channel breadth,
//! new-product adoption, interactions and engagement. The columns from the
//! transactions are computed per customer, in parallel, over [`CustomerLines`](super::lines::CustomerLines):
//! the lines grouped by customer with a counting sort, each group in time order.

use std::collections::HashMap;

use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::lines::CustomerLines;
use crate::data::{Attributes, CustomerTable, Interactions, Products, SECONDS_PER_DAY, Transactions, format_timestamp};
use crate::error::{Error, Result};

/// Average days per month (365.25 / 12).
pub const DAYS_PER_MONTH: f64 = 30.4375;

/// The default trailing window of the recent features: the last twelve
/// months, the span of a retailer's annual buying cycle.
pub const DEFAULT_RECENT_DAYS: u32 = 365;

/// Options for [`customer_features`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FeatureOptions {
    /// End of the observation window in seconds since the epoch; defaults to
    /// the latest transaction. Must not precede any transaction.
    pub as_of: Option<i64>,
    /// Gross margin applied to net revenue for the historical CLV (1 = revenue).
    pub margin: f64,
    /// A purchase within this many days of its product's launch is an early adoption.
    pub new_product_days: u32,
    /// Engagement score settings.
    pub engagement: EngagementOptions,
    /// Interaction kinds that count as service contacts (lower case).
    pub service_kinds: Vec<String>,
    /// The trailing window of `recent_frequency` and `recent_monetary`, in
    /// days up to `as_of`: the behaviour a lapse shows in.
    pub recent_days: u32,
}

impl Default for FeatureOptions {
    fn default() -> Self {
        FeatureOptions {
            as_of: None,
            margin: 1.0,
            new_product_days: 90,
            engagement: EngagementOptions::default(),
            service_kinds: ["service", "support", "complaint", "call", "chat"]
                .map(String::from)
                .to_vec(),
            recent_days: DEFAULT_RECENT_DAYS,
        }
    }
}

/// The engagement score, 0–100:
/// `100 × (w · 2^(−d/h) + (1 − w) · (1 − e^(−n/s)))`, where `d` is the days
/// since the last interaction, `n` the interactions in the last `window_days`,
/// `h` the half-life, `s` the saturation count and `w` the recency weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EngagementOptions {
    /// Days for the recency part to halve.
    pub half_life_days: f64,
    /// Window for the frequency part, in days.
    pub window_days: f64,
    /// Interactions in the window at which the frequency part reaches 1 − 1/e.
    pub saturation: f64,
    /// Weight of recency against frequency.
    pub recency_weight: f64,
}

impl Default for EngagementOptions {
    fn default() -> Self {
        EngagementOptions {
            half_life_days: 30.0,
            window_days: 90.0,
            saturation: 4.0,
            recency_weight: 0.5,
        }
    }
}

impl EngagementOptions {
    fn check(&self) -> Result<()> {
        let positive = [
            ("engagement.half_life_days", self.half_life_days),
            ("engagement.window_days", self.window_days),
            ("engagement.saturation", self.saturation),
        ];
        if let Some((name, v)) = positive.into_iter().find(|(_, v)| !(v.is_finite() && *v > 0.0)) {
            return Err(Error::invalid_parameter(name, v, "a finite number > 0"));
        }
        if !(0.0..=1.0).contains(&self.recency_weight) {
            return Err(Error::invalid_parameter(
                "engagement.recency_weight",
                self.recency_weight,
                "a weight between 0 and 1",
            ));
        }
        Ok(())
    }
}

/// The optional sources the features use.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sources<'a> {
    /// Product launch dates (otherwise a product's first sale in the data stands for its launch).
    pub products: Option<&'a Products>,
    /// Interactions, for service contacts, satisfaction and engagement.
    pub interactions: Option<&'a Interactions>,
    /// Customer attributes (demographics, contact opt-ins): not features, but
    /// the pipeline reads channel opt-ins from them for the Accessible check.
    pub customers: Option<&'a Attributes>,
}

/// Columns always present, in order (the first five are [`super::RFM_COLUMNS`]).
pub const CORE_COLUMNS: [&str; 16] = [
    "recency_days",
    "frequency",
    "monetary",
    "aov",
    "tenure_days",
    "repeat_frequency",
    "items_per_order",
    "interpurchase_mean_days",
    "interpurchase_sd_days",
    "purchases_per_month",
    "clv_historical",
    "return_rate",
    "gross_revenue",
    "recent_frequency",
    "recent_monetary",
    "recent_aov",
];

/// The behavioural feature table (formulas and units in docs/methodology.md).
///
/// Always: [`CORE_COLUMNS`]. With a discount column: `discount_order_share`,
/// `discount_revenue_share`. With categories: `category_breadth`. With
/// channels: `channel_breadth`, `main_channel_share`. With
/// products: `new_product_share`. With interactions: `interactions`,
/// `service_contacts`, `mean_satisfaction`, `engagement_score`.
/// Undefined values (inter-purchase time with fewer than two orders, mean
/// satisfaction without a rating) are `NaN`. Rows follow [`Transactions::customer_ids`].
pub fn customer_features(tx: &Transactions, options: &FeatureOptions, sources: Sources<'_>) -> Result<CustomerTable> {
    let as_of = check_as_of(tx, options.as_of)?;
    if !(options.margin.is_finite() && options.margin >= 0.0) {
        return Err(Error::invalid_parameter(
            "margin",
            options.margin,
            "a finite number >= 0",
        ));
    }
    options.engagement.check()?;
    if options.recent_days == 0 {
        return Err(Error::invalid_parameter("recent_days", 0, "at least 1 day"));
    }
    if sources.products.is_some() && tx.products().is_none() {
        return Err(Error::invalid_parameter(
            "products",
            "a products table without a product column in the transactions",
            "the transactions' product column beside it (product_col, --product-col): \
             the launch dates are matched to the products bought",
        ));
    }
    let groups = CustomerLines::new(tx);
    let launch = launch_times(tx, sources.products, options.new_product_days);
    let mut columns: Vec<String> = CORE_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    let fields = tx.fields();
    let optional = [
        (fields.discount, &["discount_order_share", "discount_revenue_share"][..]),
        (fields.category, &["category_breadth"][..]),
        (fields.channel, &["channel_breadth", "main_channel_share"][..]),
        (fields.product, &["new_product_share"][..]),
    ];
    for (present, names) in optional {
        if present {
            columns.extend(names.iter().map(|c| (*c).to_owned()));
        }
    }
    let width = columns.len();
    let mut values = Array2::<f64>::zeros((tx.n_customers(), width));
    // Each customer's row is written in place: a row allocated per customer
    // would hold as much memory again as the table until it is copied in.
    values
        .as_slice_mut()
        .expect("a new array is in standard layout")
        .par_chunks_mut(width)
        .enumerate()
        .for_each_init(
            || (Vec::new(), Vec::with_capacity(width)),
            |(scratch, row), (c, out)| {
                let lines = groups.lines(c);
                row.clear();
                purchase_features(tx, lines, as_of, options, scratch, row);
                if fields.discount {
                    discount_features(tx, lines, row);
                }
                if fields.category {
                    row.push(category_breadth(tx, lines) as f64);
                }
                if fields.channel {
                    channel_features(tx, lines, row);
                }
                if let Some(launch) = &launch {
                    row.push(new_product_share(tx, lines, launch, options.new_product_days));
                }
                out.copy_from_slice(row);
            },
        );
    let mut table = CustomerTable::new(tx.customer_ids().to_vec(), columns, values)?;
    if let Some(interactions) = sources.interactions {
        table = table.with_columns(interaction_features(tx, interactions, as_of, options))?;
    }
    // An overflowing sum would otherwise surface as a blank cell, or as a bad matrix entry far downstream.
    table.check_finite()?;
    Ok(table)
}

/// The observation end: `as_of`, or the latest transaction.
pub(crate) fn check_as_of(tx: &Transactions, as_of: Option<i64>) -> Result<i64> {
    let Some((_, latest)) = tx.time_span() else {
        return Err(Error::InsufficientData {
            what: "no transactions: features need at least one line".into(),
        });
    };
    let as_of = as_of.unwrap_or(latest);
    if as_of < latest {
        return Err(Error::invalid_parameter(
            "as_of",
            format_timestamp(as_of),
            format!(
                "a time at or after the latest transaction ({})",
                format_timestamp(latest)
            ),
        ));
    }
    Ok(as_of)
}

/// One order: its key (order id, or the time without one) and first time.
#[derive(Debug, Clone, Copy)]
struct Order {
    key: i64,
    time: i64,
}

/// Recency, frequency, value, order rhythm and returns of one customer.
fn purchase_features(
    tx: &Transactions,
    lines: &[u32],
    as_of: i64,
    options: &FeatureOptions,
    orders: &mut Vec<Order>,
    row: &mut Vec<f64>,
) {
    let (amounts, times) = (tx.amounts(), tx.timestamps());
    let key = |i: usize| tx.order_codes().map_or(times[i], |o| i64::from(o[i]));
    orders.clear();
    let (mut net, mut gross, mut returned, mut items) = (0.0, 0.0, 0.0, 0.0);
    let (mut first_buy, mut last_buy) = (i64::MAX, i64::MIN);
    let recent_from = as_of - i64::from(options.recent_days) * SECONDS_PER_DAY as i64;
    let mut recent_net = 0.0;
    for &l in lines {
        let i = l as usize;
        net += amounts[i];
        if times[i] > recent_from {
            recent_net += amounts[i];
        }
        if amounts[i] > 0.0 {
            first_buy = first_buy.min(times[i]);
            last_buy = last_buy.max(times[i]);
            gross += amounts[i];
            items += tx.quantities().map_or(1.0, |q| q[i]);
            orders.push(Order {
                key: key(i),
                time: times[i],
            });
        } else {
            returned -= amounts[i];
        }
    }
    merge_orders(orders);
    let frequency = orders.len() as f64;
    let recent_frequency = orders.iter().filter(|o| o.time > recent_from).count() as f64;
    // Recency and tenure span the purchase lines; a customer with only returns keeps the span of all lines.
    let (first, last) = if orders.is_empty() {
        let all = lines.iter().map(|&l| times[l as usize]);
        (all.clone().min().unwrap_or(as_of), all.max().unwrap_or(as_of))
    } else {
        (first_buy, last_buy)
    };
    let days = |seconds: i64| seconds as f64 / SECONDS_PER_DAY;
    let tenure = days(as_of - first);
    let (gap_mean, gap_sd) = gap_stats(orders);
    let per_order = |v: f64| if frequency > 0.0 { v / frequency } else { 0.0 };
    row.extend([
        days(as_of - last),
        frequency,
        net,
        per_order(net),
        tenure,
        (frequency - 1.0).max(0.0),
        per_order(items),
        gap_mean,
        gap_sd,
        frequency / (tenure / DAYS_PER_MONTH).max(1.0),
        net * options.margin,
        if gross > 0.0 { returned / gross } else { 0.0 },
        gross,
        recent_frequency,
        recent_net,
        // Without a recent order, the usual basket of the whole history (aov).
        if recent_frequency > 0.0 {
            recent_net / recent_frequency
        } else {
            per_order(net)
        },
    ]);
}

/// Merges purchase lines of the same order into one order (its first time), in time order.
fn merge_orders(orders: &mut Vec<Order>) {
    orders.sort_unstable_by_key(|o| (o.key, o.time));
    orders.dedup_by_key(|o| o.key);
    orders.sort_unstable_by_key(|o| (o.time, o.key));
}

/// Mean and population standard deviation of the days between consecutive orders (`NaN` below two orders).
fn gap_stats(orders: &[Order]) -> (f64, f64) {
    if orders.len() < 2 {
        return (f64::NAN, f64::NAN);
    }
    let gaps = orders
        .windows(2)
        .map(|w| (w[1].time - w[0].time) as f64 / SECONDS_PER_DAY);
    let n = (orders.len() - 1) as f64;
    let mean = gaps.clone().sum::<f64>() / n;
    let var = gaps.map(|g| (g - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// Share of orders with a discounted line, and share of gross revenue bought on discount.
fn discount_features(tx: &Transactions, lines: &[u32], row: &mut Vec<f64>) {
    let flags = tx.discount_flags().expect("called only with a discount column");
    let amounts = tx.amounts();
    let key = |i: usize| tx.order_codes().map_or(tx.timestamps()[i], |o| i64::from(o[i]));
    let mut orders: Vec<(i64, bool)> = Vec::new();
    let (mut gross, mut discounted) = (0.0, 0.0);
    for &l in lines {
        let i = l as usize;
        if amounts[i] > 0.0 {
            gross += amounts[i];
            if flags[i] {
                discounted += amounts[i];
            }
            orders.push((key(i), flags[i]));
        }
    }
    // Per order: discounted when any of its lines is (true sorts after false).
    orders.sort_unstable();
    orders.dedup_by(|next, kept| {
        next.0 == kept.0 && {
            kept.1 |= next.1;
            true
        }
    });
    let n = orders.len() as f64;
    let with_discount = orders.iter().filter(|o| o.1).count() as f64;
    row.push(if n > 0.0 { with_discount / n } else { 0.0 });
    row.push(if gross > 0.0 { discounted / gross } else { 0.0 });
}

/// Distinct categories among the purchase lines.
fn category_breadth(tx: &Transactions, lines: &[u32]) -> usize {
    let (_, codes) = tx.categories().expect("called only with a category column");
    let mut seen: Vec<u32> = lines
        .iter()
        .map(|&l| l as usize)
        .filter(|&i| tx.amounts()[i] > 0.0)
        .map(|i| codes[i])
        .collect();
    seen.sort_unstable();
    seen.dedup();
    seen.len()
}

/// Distinct channels among the purchase lines, and the share of gross revenue
/// bought through the customer's main channel (1 for a single-channel buyer).
fn channel_features(tx: &Transactions, lines: &[u32], row: &mut Vec<f64>) {
    let (_, codes) = tx.channels().expect("called only with a channel column");
    let amounts = tx.amounts();
    let mut spend: Vec<(u32, f64)> = lines
        .iter()
        .map(|&l| l as usize)
        .filter(|&i| amounts[i] > 0.0)
        .map(|i| (codes[i], amounts[i]))
        .collect();
    // Sums in line order, not in channel-code order: the codes depend on
    // where the log was cut (a partition of customers codes its own channels).
    let gross: f64 = spend.iter().map(|&(_, amount)| amount).sum();
    spend.sort_by_key(|&(channel, _)| channel);
    let mut per_channel: Vec<f64> = Vec::new();
    for (k, &(channel, amount)) in spend.iter().enumerate() {
        if k == 0 || spend[k - 1].0 != channel {
            per_channel.push(0.0);
        }
        *per_channel.last_mut().expect("a channel was just pushed") += amount;
    }
    let main = per_channel.iter().copied().fold(0.0, f64::max);
    row.push(per_channel.len() as f64);
    row.push(if gross > 0.0 { main / gross } else { 0.0 });
}

/// Launch time of each product code (`None` when unknown), when the data has products.
///
/// From the products table when given; otherwise the product's first sale,
/// except for products already selling in the first `new_product_days` of the
/// data, whose launch may predate it and stays unknown.
fn launch_times(tx: &Transactions, products: Option<&Products>, new_product_days: u32) -> Option<Vec<Option<i64>>> {
    let (ids, codes) = tx.products()?;
    if let Some(products) = products {
        let by_id = products.launch_by_id();
        return Some(ids.iter().map(|id| by_id.get(id.as_str()).copied()).collect());
    }
    let mut first = vec![i64::MAX; ids.len()];
    for (&code, &t) in codes.iter().zip(tx.timestamps()) {
        first[code as usize] = first[code as usize].min(t);
    }
    let (start, _) = tx.time_span()?;
    let known_after = start + i64::from(new_product_days) * 86_400;
    Some(first.into_iter().map(|t| (t > known_after).then_some(t)).collect())
}

/// Share of purchase lines bought within `days` of the product's launch.
fn new_product_share(tx: &Transactions, lines: &[u32], launch: &[Option<i64>], days: u32) -> f64 {
    let (_, codes) = tx.products().expect("called only with a product column");
    let window = i64::from(days) * 86_400;
    let (mut purchases, mut early) = (0usize, 0usize);
    for &l in lines {
        let i = l as usize;
        if tx.amounts()[i] <= 0.0 {
            continue;
        }
        purchases += 1;
        if let Some(t0) = launch[codes[i] as usize] {
            let since = tx.timestamps()[i] - t0;
            early += usize::from((0..=window).contains(&since));
        }
    }
    if purchases > 0 {
        early as f64 / purchases as f64
    } else {
        0.0
    }
}

/// Interactions up to `as_of`, service contacts, mean satisfaction and engagement.
fn interaction_features(
    tx: &Transactions,
    interactions: &Interactions,
    as_of: i64,
    options: &FeatureOptions,
) -> Vec<(String, Vec<f64>)> {
    let n = tx.n_customers();
    let code: HashMap<&str, usize> = tx
        .customer_ids()
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    // The table row of each distinct interaction customer, and which kinds are service contacts.
    let row_of: Vec<Option<usize>> = interactions
        .customer_ids
        .iter()
        .map(|id| code.get(id.as_str()).copied())
        .collect();
    let is_service: Vec<bool> = interactions
        .kinds
        .iter()
        .map(|k| options.service_kinds.iter().any(|s| s == k))
        .collect();
    let e = &options.engagement;
    let window = (e.window_days * SECONDS_PER_DAY) as i64;
    let mut total = vec![0.0; n];
    let mut service = vec![0.0; n];
    let mut rated = vec![(0.0, 0usize); n];
    let mut last = vec![i64::MIN; n];
    let mut recent = vec![0.0; n];
    for i in 0..interactions.len() {
        let t = interactions.timestamp[i];
        let Some(c) = row_of[interactions.customer[i] as usize] else {
            continue;
        };
        if t > as_of {
            continue;
        }
        total[c] += 1.0;
        if is_service[interactions.kind[i] as usize] {
            service[c] += 1.0;
        }
        let s = interactions.satisfaction[i];
        if s.is_finite() {
            rated[c].0 += s;
            rated[c].1 += 1;
        }
        last[c] = last[c].max(t);
        if as_of - t <= window {
            recent[c] += 1.0;
        }
    }
    let engagement = (0..n)
        .map(|c| {
            if total[c] == 0.0 {
                return 0.0;
            }
            let days = (as_of - last[c]) as f64 / SECONDS_PER_DAY;
            let recency = 0.5f64.powf(days / e.half_life_days);
            let frequency = 1.0 - (-recent[c] / e.saturation).exp();
            100.0 * (e.recency_weight * recency + (1.0 - e.recency_weight) * frequency)
        })
        .collect();
    let satisfaction = rated
        .iter()
        .map(|&(sum, count)| if count > 0 { sum / count as f64 } else { f64::NAN })
        .collect();
    vec![
        ("interactions".into(), total),
        ("service_contacts".into(), service),
        ("mean_satisfaction".into(), satisfaction),
        ("engagement_score".into(), engagement),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Line, LineFields, TransactionsBuilder};
    use approx::assert_relative_eq;

    const DAY: i64 = 86_400;

    fn line<'a>(customer: &'a str, day: i64, amount: f64, order: &'a str) -> Line<'a> {
        Line {
            customer,
            timestamp: day * DAY,
            amount,
            order: Some(order),
            ..Default::default()
        }
    }

    /// Customer a: orders on days 0 (two lines), 10 and 40, a return on day 12.
    fn sample() -> Transactions {
        let fields = LineFields {
            order: true,
            quantity: true,
            product: true,
            category: true,
            channel: true,
            discount: true,
        };
        let mut b = TransactionsBuilder::with_fields(fields);
        let channels = ["web", "web", "store", "store", "web", "app"];
        let rows = [
            (line("a", 0, 10.0, "o1"), 1.0, "p1", "books", false),
            (line("a", 0, 30.0, "o1"), 2.0, "p2", "music", true),
            (line("a", 10, 20.0, "o2"), 1.0, "p1", "books", false),
            (line("a", 12, -5.0, "r1"), -1.0, "p1", "books", false),
            (line("a", 40, 40.0, "o3"), 4.0, "p3", "games", true),
            (line("b", 100, 8.0, "o4"), 1.0, "p1", "books", false),
        ];
        for ((base, quantity, product, category, discounted), channel) in rows.into_iter().zip(channels) {
            b.push_line(&Line {
                quantity: Some(quantity),
                product: Some(product),
                category: Some(category),
                channel: Some(channel),
                discounted: Some(discounted),
                ..base
            });
        }
        b.finish()
    }

    #[test]
    fn every_feature_of_a_hand_computed_customer() {
        let tx = sample();
        let products = Products {
            ids: vec!["p1".into(), "p2".into(), "p3".into()],
            launch: vec![-1000 * DAY, -1000 * DAY, 20 * DAY],
            price_tier: vec![String::new(); 3],
        };
        let sources = Sources {
            products: Some(&products),
            ..Sources::default()
        };
        let t = customer_features(&tx, &FeatureOptions::default(), sources).unwrap();
        let get = |c: &str| t.column(c).unwrap()[0];
        assert_relative_eq!(get("recency_days"), 60.0); // as_of = day 100
        assert_relative_eq!(get("frequency"), 3.0);
        assert_relative_eq!(get("monetary"), 95.0);
        assert_relative_eq!(get("aov"), 95.0 / 3.0);
        assert_relative_eq!(get("tenure_days"), 100.0);
        assert_relative_eq!(get("repeat_frequency"), 2.0);
        assert_relative_eq!(get("items_per_order"), 8.0 / 3.0);
        // Gaps 10 and 30 days: mean 20, population sd 10.
        assert_relative_eq!(get("interpurchase_mean_days"), 20.0);
        assert_relative_eq!(get("interpurchase_sd_days"), 10.0);
        assert_relative_eq!(get("purchases_per_month"), 3.0 / (100.0 / DAYS_PER_MONTH));
        assert_relative_eq!(get("clv_historical"), 95.0);
        assert_relative_eq!(get("return_rate"), 5.0 / 100.0);
        assert_relative_eq!(get("gross_revenue"), 100.0);
        assert_relative_eq!(get("discount_order_share"), 2.0 / 3.0); // o1 and o3
        assert_relative_eq!(get("discount_revenue_share"), 70.0 / 100.0);
        assert_relative_eq!(get("category_breadth"), 3.0);
        // Purchases: 80 on the web (days 0 and 40), 20 in store; the return does not count.
        assert_relative_eq!(get("channel_breadth"), 2.0);
        assert_relative_eq!(get("main_channel_share"), 0.8);
        // p3 was bought 20 days after its launch; p1, p2 long after theirs.
        assert_relative_eq!(get("new_product_share"), 1.0 / 4.0);
        // b: one order, no gaps.
        let b = t.values().row(1).to_vec();
        assert!(b[7].is_nan() && b[8].is_nan());
    }

    #[test]
    fn without_a_products_table_first_sales_after_the_first_window_are_launches() {
        let mut b = TransactionsBuilder::with_fields(LineFields {
            product: true,
            ..Default::default()
        });
        for (day, product) in [(0, "old"), (200, "old"), (200, "new"), (400, "new")] {
            b.push_line(&Line {
                customer: "a",
                timestamp: day * DAY,
                amount: 1.0,
                product: Some(product),
                ..Default::default()
            });
        }
        let t = customer_features(&b.finish(), &FeatureOptions::default(), Sources::default()).unwrap();
        // "old" sold on day 0: launch unknown. "new" launched day 200: the day-200 sale is early.
        assert_relative_eq!(t.column("new_product_share").unwrap()[0], 1.0 / 4.0);
    }

    #[test]
    fn interactions_give_contacts_satisfaction_and_engagement() {
        let tx = sample();
        let mut builder = crate::data::InteractionsBuilder::default();
        builder.push("a", 100 * DAY, "service", 4.0);
        builder.push("a", 70 * DAY, "Email_Open", f64::NAN);
        builder.push("a", 5 * DAY, "service", 2.0);
        builder.push("ghost", 99 * DAY, "service", 5.0);
        let interactions = builder.finish();
        let sources = Sources {
            interactions: Some(&interactions),
            ..Sources::default()
        };
        let t = customer_features(&tx, &FeatureOptions::default(), sources).unwrap();
        let row = |c: &str| t.column(c).unwrap().to_vec();
        assert_eq!(row("interactions"), vec![3.0, 0.0]);
        assert_eq!(row("service_contacts"), vec![2.0, 0.0]);
        assert_relative_eq!(row("mean_satisfaction")[0], 3.0);
        assert!(row("mean_satisfaction")[1].is_nan());
        // Last contact today (recency part 1); two contacts in the last 90 days.
        let expected = 100.0 * (0.5 + 0.5 * (1.0 - (-2.0f64 / 4.0).exp()));
        assert_relative_eq!(row("engagement_score")[0], expected);
        assert_eq!(row("engagement_score")[1], 0.0);
    }

    #[test]
    fn net_revenue_over_customers_equals_net_revenue_over_lines() {
        let tx = sample();
        let t = customer_features(&tx, &FeatureOptions::default(), Sources::default()).unwrap();
        let by_customer: f64 = t.column("monetary").unwrap().sum();
        assert_relative_eq!(by_customer, tx.amounts().iter().sum::<f64>());
    }

    #[test]
    fn a_negative_margin_is_rejected() {
        let options = FeatureOptions {
            margin: -0.1,
            ..Default::default()
        };
        let err = customer_features(&sample(), &options, Sources::default()).unwrap_err();
        assert!(err.to_string().contains("margin"), "{err}");
    }

    #[test]
    fn a_products_table_without_a_product_column_is_an_error() {
        let mut b = TransactionsBuilder::with_fields(LineFields::default());
        b.push_line(&line("a", 0, 10.0, "o1"));
        let products = Products {
            ids: vec!["p1".into()],
            launch: vec![0],
            price_tier: vec![String::new()],
        };
        let sources = Sources {
            products: Some(&products),
            ..Sources::default()
        };
        let err = customer_features(&b.finish(), &FeatureOptions::default(), sources).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidParameter);
        assert!(
            err.to_string().contains("product column beside it (product_col"),
            "{err}"
        );
    }
}
