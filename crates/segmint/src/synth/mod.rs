//! A seeded generator of a realistic customer base with known ground truth.
//!
//! Customers are drawn from the four behavioural archetypes of the domain;
//! [`generate`] gives a [`CustomerBase`]: transactions, each customer's true
//! archetype, demographics (also as a customers table), a product catalogue
//! with launch dates and the last six months of interactions.
//! [`generate_survey`] adds a psychographic survey driven by the four
//! attitudinal archetypes. With a [`Movement`], a second period follows in
//! which customers move between the archetypes by a known matrix.
//! Each customer has their own random stream (ChaCha8, stream = customer
//! index), so the output depends only on the seed and the parameters — not on
//! the thread count — and generation runs in parallel from 100 to 10^7
//! customers.

mod archetype;
mod movement;
mod survey;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::weighted::WeightedIndex;
use rand_distr::{Distribution, Exp, LogNormal, Normal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use archetype::{Archetype, Behaviour};
pub use movement::{FirstPeriod, Movement};
pub use survey::{ATTITUDE_SCALES, Attitude, ITEMS_PER_SCALE, Survey, generate_survey};

use crate::data::{Attributes, Interactions, LineFields, Products, Transactions, TransactionsBuilder};
use crate::error::{Error, Result};
use crate::features::Sources;

const DAY: i64 = 86_400;
/// 2024-01-01 00:00:00, the default start of the synthetic window.
pub const DEFAULT_START: i64 = 1_704_067_200;
const CUSTOMERS_PER_TASK: usize = 2048;
/// Products in the synthetic catalogue.
const N_PRODUCTS: usize = 240;
/// The interactions export covers the last six months of the window.
const INTERACTION_DAYS: f64 = 180.0;
/// A product is new for this many days after its launch.
const NEW_PRODUCT_DAYS: f64 = 90.0;

/// Product categories of the synthetic retailer.
pub const CATEGORIES: [&str; 8] = [
    "Apparel",
    "Beauty",
    "Books",
    "Electronics",
    "Garden",
    "Grocery",
    "Home",
    "Toys",
];

/// Sales channels of the synthetic retailer.
pub const CHANNELS: [&str; 3] = ["store", "web", "app"];

/// Interaction kinds of the synthetic CRM export.
pub const INTERACTION_KINDS: [&str; 3] = ["email_open", "visit", "service"];
const TASKS_PER_BATCH: usize = 32;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SynthParams {
    /// Number of customers.
    pub n_customers: usize,
    /// Seed; the same seed gives the same customers.
    pub seed: u64,
    /// Start of the observation window (seconds since the epoch).
    pub start: i64,
    /// Length of the window in days (two years by default).
    pub days: u32,
    /// Share of each archetype, in [`Archetype::ALL`] order (normalised).
    pub mix: [f64; 4],
    /// A second period after the window, with customers moving between archetypes.
    pub movement: Option<Movement>,
}

impl SynthParams {
    /// `n_customers` customers over two years from 2024-01-01, default mix
    /// (15% loyalists, 20% new, 40% budget-conscious, 25% at risk).
    pub fn new(n_customers: usize, seed: u64) -> Self {
        SynthParams {
            n_customers,
            seed,
            start: DEFAULT_START,
            days: 730,
            mix: [0.15, 0.20, 0.40, 0.25],
            movement: None,
        }
    }

    /// End of the data (of the second period, when there is one): the natural `as_of` for features.
    pub fn end(&self) -> i64 {
        self.start + i64::from(self.total_days()) * DAY
    }

    /// Days of data: the window and the second period.
    fn total_days(&self) -> u32 {
        self.days + self.movement.as_ref().map_or(0, |m| m.days)
    }

    /// Customers acquired in the second period.
    fn n_acquired(&self) -> usize {
        self.movement
            .as_ref()
            .map_or(0, |m| (m.acquisition * self.n_customers as f64).round() as usize)
    }

    fn check(&self) -> Result<()> {
        if let Some(movement) = &self.movement {
            movement.check()?;
        }
        if self.n_customers == 0 || self.n_customers + self.n_acquired() > u32::MAX as usize {
            return Err(Error::invalid_parameter(
                "n_customers",
                self.n_customers,
                "between 1 and 4294967295, counting the customers a second period acquires",
            ));
        }
        if self.days < 120 {
            return Err(Error::invalid_parameter("days", self.days, "at least 120"));
        }
        if self.mix.iter().any(|m| !(m.is_finite() && *m >= 0.0)) || self.mix.iter().sum::<f64>() <= 0.0 {
            return Err(Error::invalid_parameter(
                "mix",
                format!("{:?}", self.mix),
                "non-negative shares with a positive sum",
            ));
        }
        Ok(())
    }
}

/// Gender, as recorded in the synthetic demographic table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Gender {
    /// Female.
    Female,
    /// Male.
    Male,
}

impl Gender {
    /// `"Female"` or `"Male"`.
    pub fn name(self) -> &'static str {
        match self {
            Gender::Female => "Female",
            Gender::Male => "Male",
        }
    }
}

/// Sales regions of the synthetic retailer.
pub const REGIONS: [&str; 5] = ["North", "South", "East", "West", "Central"];

/// Demographic and contact attributes, one entry per customer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Demographics {
    /// Age in years.
    pub age: Vec<u8>,
    /// Gender.
    pub gender: Vec<Gender>,
    /// Index into [`REGIONS`].
    pub region: Vec<u8>,
    /// Whether the customer opted in to e-mail.
    pub email_opt_in: Vec<bool>,
}

/// A generated customer base.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerBase {
    /// Transaction lines (returns are negative lines).
    pub transactions: Transactions,
    /// The true archetype of each customer, in `transactions.customer_ids()` order.
    pub archetypes: Vec<Archetype>,
    /// Demographics, same order.
    pub demographics: Demographics,
    /// The product catalogue with launch dates.
    pub products: Products,
    /// E-mail opens, visits and service contacts of the last six months.
    pub interactions: Interactions,
    /// The demographics as a customers table (`age`, `email_opt_in` numeric;
    /// `gender`, `region` categorical), as `data::read_attributes` reads it.
    pub customers: Attributes,
    /// End of the data.
    pub as_of: i64,
    /// With a [`Movement`]: the end of the first period and each customer's
    /// archetype in it (`archetypes` then holds those of the second).
    pub first_period: Option<FirstPeriod>,
}

impl CustomerBase {
    /// The products and interactions, as the feature table takes them.
    pub fn sources(&self) -> Sources<'_> {
        Sources {
            products: Some(&self.products),
            interactions: Some(&self.interactions),
            customers: Some(&self.customers),
        }
    }
}

impl Demographics {
    /// The attributes as a customers table keyed by `ids` (same order).
    pub fn to_attributes(&self, ids: &[String]) -> Attributes {
        Attributes {
            ids: ids.to_vec(),
            numeric: vec![
                ("age".into(), self.age.iter().map(|&a| f64::from(a)).collect()),
                (
                    "email_opt_in".into(),
                    self.email_opt_in.iter().map(|&o| f64::from(u8::from(o))).collect(),
                ),
            ],
            categorical: vec![
                (
                    "gender".into(),
                    self.gender.iter().map(|g| g.name().to_owned()).collect(),
                ),
                (
                    "region".into(),
                    self.region
                        .iter()
                        .map(|&r| REGIONS[usize::from(r)].to_owned())
                        .collect(),
                ),
            ],
        }
    }
}

/// Product launch days (sorted, relative to the window start) and categories.
#[derive(Debug)]
struct Catalogue {
    launch_day: Vec<f64>,
    category: Vec<usize>,
}

impl Catalogue {
    /// Half the products predate the window, half launch during it.
    fn draw(rng: &mut ChaCha8Rng, days: f64) -> Catalogue {
        let mut launch_day: Vec<f64> = (0..N_PRODUCTS)
            .map(|i| {
                if i % 2 == 0 {
                    rng.random_range(-365.0..0.0)
                } else {
                    rng.random_range(0.0..days)
                }
            })
            .collect();
        launch_day.sort_by(f64::total_cmp);
        let category = (0..N_PRODUCTS).map(|_| rng.random_range(0..CATEGORIES.len())).collect();
        Catalogue { launch_day, category }
    }

    /// A product on sale on `day`: with probability `affinity` one launched in the last 90 days.
    fn pick(&self, rng: &mut ChaCha8Rng, day: f64, affinity: f64) -> usize {
        let on_sale = self.launch_day.partition_point(|&d| d <= day).max(1);
        let new_from = self.launch_day.partition_point(|&d| d <= day - NEW_PRODUCT_DAYS);
        if new_from < on_sale && rng.random_bool(affinity) {
            rng.random_range(new_from..on_sale)
        } else {
            rng.random_range(0..on_sale)
        }
    }

    fn products(&self, start: i64) -> Products {
        Products {
            ids: (1..=N_PRODUCTS).map(|i| format!("P{i:04}")).collect(),
            launch: self
                .launch_day
                .iter()
                .map(|d| start + (d * DAY as f64) as i64)
                .collect(),
            price_tier: vec![String::new(); N_PRODUCTS],
        }
    }
}

/// Generates a customer base.
pub fn generate(params: &SynthParams) -> Result<CustomerBase> {
    params.check()?;
    let n = params.n_customers + params.n_acquired();
    let root = ChaCha8Rng::seed_from_u64(params.seed);
    let mut catalogue_rng = root.clone();
    catalogue_rng.set_stream(u64::MAX);
    let catalogue = Catalogue::draw(&mut catalogue_rng, f64::from(params.days));
    // Channels come from streams of their own, so that adding them left every
    // other draw (and so every earlier data set of a seed) unchanged.
    let channel_root = ChaCha8Rng::seed_from_u64(params.seed ^ CHANNEL_SEED);
    let move_root = ChaCha8Rng::seed_from_u64(params.seed ^ MOVEMENT_SEED);
    let draw_task = |task: usize| -> Vec<(Customer, Vec<u8>)> {
        (task * CUSTOMERS_PER_TASK..((task + 1) * CUSTOMERS_PER_TASK).min(n))
            .map(|i| {
                let mut rng = root.clone();
                rng.set_stream(i as u64);
                let mut move_rng = move_root.clone();
                move_rng.set_stream(i as u64);
                let acquired = i >= params.n_customers;
                let customer = Customer::draw(&mut rng, &mut move_rng, params, &catalogue, acquired);
                let mut rng = channel_root.clone();
                rng.set_stream(i as u64);
                let archetype = customer.first_archetype.unwrap_or(customer.archetype);
                let channels = order_channels(&mut rng, archetype, customer.n_orders);
                (customer, channels)
            })
            .collect()
    };
    let product_ids = catalogue.products(params.start).ids;

    let width = n.to_string().len().max(6);
    let ids = (1..=n).map(|i| format!("C{i:0width$}")).collect();
    let mut builder = TransactionsBuilder::with_customer_ids(
        ids,
        LineFields {
            order: true,
            product: true,
            category: true,
            channel: true,
            discount: true,
            ..Default::default()
        },
    );
    let mut interactions = Interactions {
        kinds: INTERACTION_KINDS.map(String::from).to_vec(),
        ..Default::default()
    };
    let mut archetypes = Vec::with_capacity(n);
    let mut first_archetypes = Vec::with_capacity(n);
    let mut demo = Demographics::default();
    let mut next_order = 0u32;
    let n_tasks = n.div_ceil(CUSTOMERS_PER_TASK);
    // Draw a batch of tasks in parallel, append it in order, drop it: memory
    // stays at the output plus one batch.
    for batch in (0..n_tasks).step_by(TASKS_PER_BATCH) {
        let drawn: Vec<Vec<(Customer, Vec<u8>)>> = (batch..(batch + TASKS_PER_BATCH).min(n_tasks))
            .into_par_iter()
            .map(draw_task)
            .collect();
        for (customer, channels) in drawn.into_iter().flatten() {
            let code = archetypes.len() as u32;
            for line in &customer.lines {
                let tx_line = crate::data::Line {
                    timestamp: line.time,
                    amount: line.amount,
                    product: Some(&product_ids[line.product]),
                    category: Some(CATEGORIES[catalogue.category[line.product]]),
                    channel: Some(CHANNELS[usize::from(channels[line.order as usize])]),
                    discounted: Some(line.discounted),
                    ..Default::default()
                };
                builder.push_coded(code, next_order + line.order, &tx_line);
            }
            next_order += customer.n_orders;
            for &(time, kind, satisfaction) in &customer.interactions {
                interactions.customer.push(code);
                interactions.timestamp.push(time);
                interactions.kind.push(kind);
                interactions.satisfaction.push(satisfaction);
            }
            archetypes.push(customer.archetype);
            first_archetypes.push(customer.first_archetype);
            demo.age.push(customer.age);
            demo.gender.push(customer.gender);
            demo.region.push(customer.region);
            demo.email_opt_in.push(customer.email_opt_in);
        }
    }
    let transactions = builder.finish();
    interactions.customer_ids = transactions.customer_ids().to_vec();
    let customers = demo.to_attributes(transactions.customer_ids());
    Ok(CustomerBase {
        transactions,
        archetypes,
        customers,
        demographics: demo,
        products: catalogue.products(params.start),
        interactions,
        as_of: params.end(),
        first_period: params.movement.as_ref().map(|_| FirstPeriod {
            end: params.start + i64::from(params.days) * DAY,
            archetypes: first_archetypes,
        }),
    })
}

/// For each segment, how many of its customers come from each true archetype
/// (columns in [`Archetype::ALL`] order): how well a segmentation recovers them.
pub fn archetype_counts(truth: &[Archetype], labels: &[usize], n_segments: usize) -> Result<Vec<[usize; 4]>> {
    if truth.len() != labels.len() {
        return Err(Error::ShapeMismatch {
            what: "labels (one per customer)".into(),
            expected: truth.len().to_string(),
            found: labels.len().to_string(),
        });
    }
    let mut counts = vec![[0usize; 4]; n_segments];
    for (&a, &l) in truth.iter().zip(labels) {
        let row = counts
            .get_mut(l)
            .ok_or_else(|| Error::invalid_parameter("labels", l, format!("labels below n_segments={n_segments}")))?;
        row[a as usize] += 1;
    }
    Ok(counts)
}

const CHANNEL_SEED: u64 = 0x6368_616e_6e65_6c73;
const MOVEMENT_SEED: u64 = 0x6d6f_7665_6d65_6e74;

/// The channel of each order: the customer's main channel (drawn from the
/// archetype's mix) with the archetype's loyalty, otherwise any channel of the mix.
fn order_channels(rng: &mut ChaCha8Rng, archetype: Archetype, n_orders: u32) -> Vec<u8> {
    let (mix, loyalty) = match archetype {
        Archetype::HighValueLoyalist => ([0.3, 0.3, 0.4], 0.5),
        Archetype::NewPotential => ([0.15, 0.45, 0.4], 0.8),
        Archetype::BudgetConscious => ([0.2, 0.7, 0.1], 0.85),
        Archetype::AtRiskChurned => ([0.7, 0.25, 0.05], 0.9),
    };
    let pick = WeightedIndex::new(mix).expect("positive weights");
    let main = pick.sample(rng) as u8;
    (0..n_orders)
        .map(|_| {
            if rng.random_bool(loyalty) {
                main
            } else {
                pick.sample(rng) as u8
            }
        })
        .collect()
}

#[derive(Debug)]
struct Line {
    time: i64,
    amount: f64,
    order: u32,
    product: usize,
    discounted: bool,
}

#[derive(Debug)]
struct Customer {
    /// The archetype of the last period.
    archetype: Archetype,
    /// The archetype of the first period, with a second one (`None`: acquired in the second).
    first_archetype: Option<Archetype>,
    lines: Vec<Line>,
    n_orders: u32,
    /// Time, kind (index into [`INTERACTION_KINDS`]) and satisfaction (`NaN` unless a service contact).
    interactions: Vec<(i64, u32, f64)>,
    age: u8,
    gender: Gender,
    region: u8,
    email_opt_in: bool,
}

/// How a customer buys while they behave as one archetype.
struct Rhythm {
    behaviour: Behaviour,
    gap: Exp<f64>,
    basket: LogNormal<f64>,
}

impl Rhythm {
    fn draw(rng: &mut ChaCha8Rng, behaviour: Behaviour) -> Rhythm {
        let b = behaviour;
        let gap = Exp::new(1.0 / rng.random_range(b.mean_gap_days.0..b.mean_gap_days.1)).expect("positive rate");
        let basket = LogNormal::new(b.median_order_value.ln(), b.order_value_sigma).expect("valid sigma");
        Rhythm { behaviour, gap, basket }
    }
}

impl Customer {
    /// Customer `acquired` in the second period, or drawn from the mix and
    /// moved by `movement` (drawn from `move_rng`, so that a base without a
    /// second period keeps every draw of `rng`).
    fn draw(
        rng: &mut ChaCha8Rng,
        move_rng: &mut ChaCha8Rng,
        params: &SynthParams,
        catalogue: &Catalogue,
        acquired: bool,
    ) -> Customer {
        let (first_archetype, archetype) = if acquired {
            (None, Archetype::NewPotential)
        } else {
            let a = Archetype::draw(rng, &params.mix);
            (Some(a), params.movement.as_ref().map_or(a, |m| m.next(a, move_rng)))
        };
        let b = first_archetype.unwrap_or(archetype).behaviour();
        let window = f64::from(params.days);
        let end = f64::from(params.total_days());
        let (from, until) = if acquired { (window, end) } else { (0.0, window) };
        let first = from + (until - from) * rng.random_range(b.first_purchase.0..b.first_purchase.1);
        let active_until = match b.active_days {
            Some((lo, hi)) => (first + rng.random_range(lo..hi)).min(until),
            None => until,
        };
        let rhythm = Rhythm::draw(rng, b);
        let mut orders = Orders::default();
        let mut day = first;
        // Returns of the first period stay in it, as without a second period,
        // so that its lines are those of the same seed without one.
        orders.buy(rng, params, catalogue, &rhythm, &mut day, active_until, until);
        let mut last = (b, active_until);
        // The second period: the first archetype's rhythm goes on, another's starts.
        let moves_on = first_archetype.is_some() && params.movement.is_some();
        if moves_on && archetype != Archetype::AtRiskChurned {
            let later = if first_archetype == Some(archetype) {
                rhythm
            } else {
                let later = Rhythm::draw(rng, archetype.behaviour());
                day = window + later.gap.sample(rng);
                later
            };
            orders.buy(rng, params, catalogue, &later, &mut day, end, end);
            last = (later.behaviour, end);
        }
        let interactions = draw_interactions(rng, params, &last.0, first, last.1);
        let age = Normal::new(b.age.0, b.age.1)
            .expect("valid sd")
            .sample(rng)
            .clamp(18.0, 90.0);
        Customer {
            archetype,
            first_archetype,
            lines: orders.lines,
            n_orders: orders.n,
            interactions,
            age: age.round() as u8,
            gender: if rng.random_bool(0.53) {
                Gender::Female
            } else {
                Gender::Male
            },
            region: rng.random_range(0..REGIONS.len() as u8),
            email_opt_in: rng.random_bool(b.email_opt_in),
        }
    }
}

/// The lines of one customer's orders and returns.
#[derive(Default)]
struct Orders {
    lines: Vec<Line>,
    n: u32,
}

impl Orders {
    /// Orders from `day` until `until` at `rhythm`; returns fall before `end`.
    #[allow(clippy::too_many_arguments)]
    fn buy(
        &mut self,
        rng: &mut ChaCha8Rng,
        params: &SynthParams,
        catalogue: &Catalogue,
        rhythm: &Rhythm,
        day: &mut f64,
        until: f64,
        end: f64,
    ) {
        let b = &rhythm.behaviour;
        while *day < until {
            // Whole days plus a time of day keep every line inside the window.
            let time = params.start + day.floor() as i64 * DAY + rng.random_range(8 * 3600..22 * 3600);
            let total = rhythm.basket.sample(rng).max(1.0);
            let n_lines = rng.random_range(1..=3);
            let discounted = rng.random_bool(b.promo_rate);
            let mut left = total;
            for l in 0..n_lines {
                let part = if l + 1 == n_lines {
                    left
                } else {
                    left * rng.random_range(0.2..0.7)
                };
                left -= part;
                self.lines.push(Line {
                    time,
                    amount: cents(part),
                    order: self.n,
                    product: catalogue.pick(rng, *day, b.new_product_affinity),
                    discounted,
                });
            }
            self.n += 1;
            let return_day = *day + rng.random_range(1.0..21.0);
            if rng.random_bool(b.return_rate) && return_day < end {
                let returned = self.lines.last().map_or(0, |l| l.product);
                self.lines.push(Line {
                    time: params.start + return_day.floor() as i64 * DAY + 12 * 3600,
                    amount: -cents(total * rng.random_range(0.2..1.0)),
                    order: self.n,
                    product: returned,
                    discounted,
                });
                self.n += 1;
            }
            *day += rhythm.gap.sample(rng).max(0.5);
        }
    }
}

/// A Poisson stream of interactions over the customer's active days within
/// the export window (lapsed customers fade out within two weeks).
fn draw_interactions(
    rng: &mut ChaCha8Rng,
    params: &SynthParams,
    b: &Behaviour,
    first: f64,
    active_until: f64,
) -> Vec<(i64, u32, f64)> {
    let window = f64::from(params.total_days());
    let from = first.max(window - INTERACTION_DAYS);
    let until = (active_until + 14.0).min(window);
    let gap = Exp::new(b.interactions_per_month / crate::features::DAYS_PER_MONTH).expect("positive rate");
    let score = Normal::new(b.satisfaction, 0.7).expect("valid sd");
    let mut out = Vec::new();
    let mut day = from + gap.sample(rng);
    while day < until {
        let time = params.start + (day * DAY as f64) as i64;
        let r: f64 = rng.random();
        let kind = if r < 0.55 {
            0
        } else if r < 0.9 {
            1
        } else {
            2
        };
        let satisfaction = if kind == 2 {
            score.sample(rng).clamp(1.0, 5.0).round()
        } else {
            f64::NAN
        };
        out.push((time, kind, satisfaction));
        day += gap.sample(rng);
    }
    out
}

fn cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests;
