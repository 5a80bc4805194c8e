//! How the feature columns read to a marketer: a label and the phrase for a
//! segment that sits above or below the rest of the base, and whether higher
//! is better (`higher_is_better`; the dashboard colours levels by it).

/// Words for one KPI column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiWords {
    /// Short label (`AOV`, `purchase frequency`).
    pub label: String,
    /// Phrase for a segment above the rest (`high AOV`, `long inactive`).
    pub higher: String,
    /// Phrase for a segment below the rest.
    pub lower: String,
}

/// Known columns: (column, label, higher, lower).
const KNOWN: &[(&str, &str, &str, &str)] = &[
    (
        "recency_days",
        "days since last purchase",
        "long inactive",
        "recently active",
    ),
    ("frequency", "purchase frequency", "high frequency", "low frequency"),
    ("monetary", "revenue", "high revenue", "low revenue"),
    ("aov", "AOV", "high AOV", "low AOV"),
    ("tenure_days", "tenure", "long history", "short history"),
    (
        "repeat_frequency",
        "repeat purchases",
        "many repeat purchases",
        "few repeat purchases",
    ),
    ("items_per_order", "items per order", "large baskets", "small baskets"),
    (
        "interpurchase_mean_days",
        "days between orders",
        "long gaps between orders",
        "short gaps between orders",
    ),
    (
        "interpurchase_sd_days",
        "irregularity of orders",
        "irregular buying",
        "regular buying",
    ),
    (
        "purchases_per_month",
        "orders per month",
        "frequent buying",
        "infrequent buying",
    ),
    (
        "clv_historical",
        "historical value",
        "high historical value",
        "low historical value",
    ),
    ("return_rate", "return rate", "many returns", "few returns"),
    (
        "gross_revenue",
        "gross revenue",
        "high gross revenue",
        "low gross revenue",
    ),
    (
        "discount_order_share",
        "discount share",
        "promotion-driven",
        "rarely on promotion",
    ),
    (
        "discount_revenue_share",
        "discounted revenue share",
        "price sensitive",
        "pays full price",
    ),
    (
        "category_breadth",
        "category breadth",
        "broad baskets",
        "narrow baskets",
    ),
    ("channel_breadth", "channel breadth", "omnichannel", "single-channel"),
    (
        "main_channel_share",
        "main-channel share",
        "loyal to one channel",
        "spread across channels",
    ),
    (
        "new_product_share",
        "new-product adoption",
        "early adopters",
        "stay with established products",
    ),
    ("interactions", "interactions", "many interactions", "few interactions"),
    (
        "service_contacts",
        "service contacts",
        "many service contacts",
        "few service contacts",
    ),
    ("mean_satisfaction", "service satisfaction", "satisfied", "dissatisfied"),
    ("engagement_score", "engagement", "highly engaged", "disengaged"),
    ("p_alive", "P(alive)", "likely active", "likely lapsed"),
    (
        "expected_purchases_12m",
        "expected purchases (12 months)",
        "many purchases expected",
        "few purchases expected",
    ),
    ("clv", "CLV", "high CLV", "low CLV"),
];

/// The words for a column; an unknown column reads as itself (`high x`, `low x`).
pub fn kpi_words(column: &str) -> KpiWords {
    match KNOWN.iter().find(|(c, ..)| *c == column) {
        Some((_, label, higher, lower)) => KpiWords {
            label: (*label).into(),
            higher: (*higher).into(),
            lower: (*lower).into(),
        },
        None => KpiWords {
            label: column.into(),
            higher: format!("high {column}"),
            lower: format!("low {column}"),
        },
    }
}

/// KPIs where a lower value is the better one for the business.
const LOWER_IS_BETTER: [&str; 5] = [
    "recency_days",
    "interpurchase_mean_days",
    "interpurchase_sd_days",
    "return_rate",
    "service_contacts",
];

/// Whether a higher value of a KPI is better for the business: `Some(false)`
/// for recency, gaps between orders, returns and service contacts,
/// `Some(true)` for the other known KPIs, `None` for a column segmint does not
/// know (a customer table's or a survey's), which reads neither way.
pub fn higher_is_better(column: &str) -> Option<bool> {
    if LOWER_IS_BETTER.contains(&column) {
        Some(false)
    } else {
        KNOWN.iter().any(|(c, ..)| *c == column).then_some(true)
    }
}

/// Upper-cases the first character.
pub(crate) fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}
