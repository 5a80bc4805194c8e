//! The migration dashboard: one self-contained HTML page (inline CSS and
//! SVG, no script, no network) with the movement in figures and words, the
//! transition heat map, a flow chart (a Sankey diagram drawn as SVG paths),
//! the projection and the playbook of the segments customers moved into.
//! The template (askama) escapes every value it prints.

use askama::Template;

use super::{Flow, Migration, Place};
use crate::error::{Error, Result};
use crate::report::{css_colour, thousands};

/// Width and height of the flow chart, and where its two columns of nodes stand.
const SANKEY_WIDTH: f64 = 840.0;
const SANKEY_HEIGHT: f64 = 440.0;
const NODE_WIDTH: f64 = 14.0;
const LEFT_X: f64 = 240.0;
const RIGHT_X: f64 = 586.0;
const NODE_GAP: f64 = 12.0;

impl Migration {
    /// The dashboard page `report.html`.
    pub fn to_html(&self) -> Result<String> {
        Page::new(self).render().map_err(|e| Error::Serialize {
            what: "migration dashboard",
            message: e.to_string(),
        })
    }
}

#[derive(Template)]
#[template(path = "migration.html")]
struct Page {
    from: String,
    to: String,
    version: String,
    facts: Vec<(String, String)>,
    headlines: Vec<String>,
    names: Vec<(String, String)>,
    matrix: Vec<MatrixRow>,
    sankey: Sankey,
    periods: Vec<String>,
    projection: Vec<ProjectionRow>,
    moved_into: Vec<Destination>,
}

struct MatrixRow {
    name: String,
    colour: String,
    customers: String,
    cells: Vec<(String, String, String)>,
}

struct ProjectionRow {
    name: String,
    colour: String,
    cells: Vec<(String, String)>,
}

struct Sankey {
    width: f64,
    height: f64,
    node_width: f64,
    nodes: Vec<Node>,
    links: Vec<Link>,
}

struct Node {
    x: f64,
    y: f64,
    height: f64,
    colour: String,
    label: String,
    label_x: f64,
    anchor: &'static str,
}

struct Link {
    path: String,
    colour: String,
    title: String,
}

struct Destination {
    name: String,
    colour: String,
    inflow: String,
    sources: String,
    summary: String,
    strategies: Vec<(String, String)>,
    kpi_to_watch: String,
}

impl Page {
    fn new(m: &Migration) -> Page {
        let day = |t: &str| t.split(' ').next().unwrap_or(t).to_owned();
        Page {
            from: day(&m.from),
            to: day(&m.to),
            version: env!("CARGO_PKG_VERSION").into(),
            facts: facts(m),
            headlines: m.headlines(5),
            names: (0..m.names.len())
                .map(|s| (m.names[s].clone(), css_colour(s)))
                .collect(),
            matrix: matrix_rows(m),
            sankey: sankey(m),
            periods: (0..m.projection.len())
                .map(|p| {
                    if p == 0 {
                        day(&m.to)
                    } else {
                        format!("+{p} period{}", if p == 1 { "" } else { "s" })
                    }
                })
                .collect(),
            projection: projection_rows(m),
            moved_into: destinations(m),
        }
    }
}

fn place_name(m: &Migration, p: Place) -> String {
    match p {
        Place::Segment(s) => m.names[s].clone(),
        Place::New => "New customers".into(),
        Place::Unplaced => "Not placed".into(),
    }
}

fn place_colour(p: Place) -> String {
    match p {
        Place::Segment(s) => css_colour(s),
        Place::New => "#9ca3af".into(),
        Place::Unplaced => "#d1d5db".into(),
    }
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "–".into()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

/// Headline figures: customers at each date, how many stayed, moved up or down, arrived.
fn facts(m: &Migration) -> Vec<(String, String)> {
    let sum = |keep: &dyn Fn(&Flow) -> bool| -> usize { m.flows.iter().filter(|f| keep(f)).map(|f| f.customers).sum() };
    let both = |f: &Flow| matches!((f.from, f.to), (Place::Segment(_), Place::Segment(_)));
    let placed = sum(&both);
    let revenue: f64 = m.flows.iter().map(|f| f.revenue).sum();
    vec![
        (
            "customers then".into(),
            thousands(sum(&|f| f.from != Place::New) as f64),
        ),
        ("customers now".into(), thousands(sum(&|_| true) as f64)),
        ("stayed".into(), percent(sum(&|f| both(f) && f.from == f.to), placed)),
        ("moved up".into(), percent(sum(&|f| both(f) && f.direction > 0), placed)),
        (
            "moved down".into(),
            percent(sum(&|f| both(f) && f.direction < 0), placed),
        ),
        ("new customers".into(), thousands(sum(&|f| f.from == Place::New) as f64)),
        ("revenue in the period".into(), thousands(revenue)),
    ]
}

/// The transition matrix as a heat map: the share of each row's customers, darker when larger.
fn matrix_rows(m: &Migration) -> Vec<MatrixRow> {
    let count = |a: usize, b: usize| {
        m.flows
            .iter()
            .find(|f| f.from == Place::Segment(a) && f.to == Place::Segment(b))
            .map_or(0, |f| f.customers)
    };
    (0..m.names.len())
        .map(|a| {
            let row: Vec<usize> = (0..m.names.len()).map(|b| count(a, b)).collect();
            let total: usize = row.iter().sum();
            let cells = row
                .iter()
                .zip(&m.matrix[a])
                .map(|(&n, &share)| {
                    let ink = if share > 0.45 { "#fff" } else { "#1f2937" };
                    let style = format!("background:rgba(23,50,77,{:.3});color:{ink}", 0.04 + 0.86 * share);
                    (format!("{:.1}%", 100.0 * share), thousands(n as f64), style)
                })
                .collect();
            MatrixRow {
                name: m.names[a].clone(),
                colour: css_colour(a),
                customers: thousands(total as f64),
                cells,
            }
        })
        .collect()
}

/// Sizes and revenue now and projected, one row per segment.
fn projection_rows(m: &Migration) -> Vec<ProjectionRow> {
    (0..m.names.len())
        .map(|s| ProjectionRow {
            name: m.names[s].clone(),
            colour: css_colour(s),
            cells: m
                .projection
                .iter()
                .map(|sizes| (thousands(sizes[s]), thousands(sizes[s] * m.revenue_per_customer[s])))
                .collect(),
        })
        .collect()
}

/// The flow chart: the places of the first date on the left, of the second
/// on the right, each a bar as tall as its customers, joined by bands as
/// wide as the customers who moved between them.
fn sankey(m: &Migration) -> Sankey {
    let mut left: Vec<Place> = m.flows.iter().map(|f| f.from).collect();
    let mut right: Vec<Place> = m.flows.iter().map(|f| f.to).collect();
    for side in [&mut left, &mut right] {
        side.sort();
        side.dedup();
    }
    let total: usize = m.flows.iter().map(|f| f.customers).sum();
    let gaps = NODE_GAP * (left.len().max(right.len()).saturating_sub(1)) as f64;
    let scale = (SANKEY_HEIGHT - gaps) / total.max(1) as f64;
    let size = |p: Place, from_side: bool| -> usize {
        let on_side = |f: &&Flow| if from_side { f.from == p } else { f.to == p };
        m.flows.iter().filter(on_side).map(|f| f.customers).sum()
    };
    let mut nodes = Vec::new();
    let mut tops = [Vec::new(), Vec::new()];
    for (column, places) in [&left, &right].into_iter().enumerate() {
        let from_side = column == 0;
        let mut y = 0.0;
        for &p in places {
            let n = size(p, from_side);
            let height = n as f64 * scale;
            nodes.push(Node {
                x: if from_side { LEFT_X } else { RIGHT_X },
                y,
                height: height.max(1.0),
                colour: place_colour(p),
                label: format!("{} ({})", place_name(m, p), thousands(n as f64)),
                label_x: if from_side {
                    LEFT_X - 6.0
                } else {
                    RIGHT_X + NODE_WIDTH + 6.0
                },
                anchor: if from_side { "end" } else { "start" },
            });
            tops[column].push(y);
            y += height + NODE_GAP;
        }
    }
    // Bands leave a node in the order of their destinations and enter one in
    // the order of their sources, so that they cross as little as possible.
    let index = |side: &[Place], p: Place| side.iter().position(|&q| q == p).expect("a node of its side");
    let mut flows: Vec<&Flow> = m.flows.iter().filter(|f| f.customers > 0).collect();
    flows.sort_by_key(|f| (index(&left, f.from), index(&right, f.to)));
    let mut out_offset = vec![0.0; left.len()];
    let mut starts = Vec::with_capacity(flows.len());
    for f in &flows {
        let a = index(&left, f.from);
        starts.push(tops[0][a] + out_offset[a]);
        out_offset[a] += f.customers as f64 * scale;
    }
    let mut order: Vec<usize> = (0..flows.len()).collect();
    order.sort_by_key(|&i| (index(&right, flows[i].to), index(&left, flows[i].from)));
    let mut in_offset = vec![0.0; right.len()];
    let mut ends = vec![0.0; flows.len()];
    for i in order {
        let b = index(&right, flows[i].to);
        ends[i] = tops[1][b] + in_offset[b];
        in_offset[b] += flows[i].customers as f64 * scale;
    }
    let (x0, x1) = (LEFT_X + NODE_WIDTH, RIGHT_X);
    let xm = (x0 + x1) / 2.0;
    let links = flows
        .iter()
        .zip(starts.iter().zip(&ends))
        .map(|(f, (&y0, &y1))| {
            let h = (f.customers as f64 * scale).max(0.5);
            Link {
                path: format!(
                    "M{x0:.1},{y0:.1} C{xm:.1},{y0:.1} {xm:.1},{y1:.1} {x1:.1},{y1:.1} \
                     L{x1:.1},{:.1} C{xm:.1},{:.1} {xm:.1},{:.1} {x0:.1},{:.1} Z",
                    y1 + h,
                    y1 + h,
                    y0 + h,
                    y0 + h
                ),
                colour: place_colour(f.from),
                title: format!(
                    "{} → {}: {} customers",
                    place_name(m, f.from),
                    place_name(m, f.to),
                    thousands(f.customers as f64)
                ),
            }
        })
        .collect();
    Sankey {
        width: SANKEY_WIDTH,
        height: SANKEY_HEIGHT,
        node_width: NODE_WIDTH,
        nodes,
        links,
    }
}

/// The segments that gained customers from other segments or new ones,
/// largest inflow first, with the playbook that now applies to them.
fn destinations(m: &Migration) -> Vec<Destination> {
    let mut gained: Vec<(usize, usize, Vec<String>)> = (0..m.names.len())
        .filter_map(|b| {
            let mut inflows: Vec<&Flow> = m
                .flows
                .iter()
                .filter(|f| f.to == Place::Segment(b) && f.from != Place::Segment(b) && f.customers > 0)
                .collect();
            inflows.sort_by_key(|f| std::cmp::Reverse(f.customers));
            let n: usize = inflows.iter().map(|f| f.customers).sum();
            let sources = inflows
                .iter()
                .map(|f| format!("{} from {}", thousands(f.customers as f64), place_name(m, f.from)))
                .collect();
            (n > 0).then_some((b, n, sources))
        })
        .collect();
    gained.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    gained
        .into_iter()
        .map(|(b, n, sources)| {
            let play = m.playbooks.get(b).and_then(Option::as_ref);
            Destination {
                name: m.names[b].clone(),
                colour: css_colour(b),
                inflow: thousands(n as f64),
                sources: sources.join(", "),
                summary: play.map_or_else(
                    || "Named after its key drivers: no archetype playbook applies.".into(),
                    |a| a.summary.clone(),
                ),
                strategies: play.map_or_else(Vec::new, |a| {
                    a.strategies
                        .iter()
                        .map(|s| (s.name.clone(), s.action.clone()))
                        .collect()
                }),
                kpi_to_watch: play.map_or_else(String::new, |a| a.kpi_to_watch.clone()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(from: Place, to: Place, customers: usize, direction: i8) -> Flow {
        Flow {
            from,
            to,
            customers,
            revenue: 10.0 * customers as f64,
            direction,
        }
    }

    fn migration() -> Migration {
        let (a, b) = (Place::Segment(0), Place::Segment(1));
        Migration {
            from: "2024-01-01 00:00:00".into(),
            to: "2024-07-01 00:00:00".into(),
            names: vec!["Loyal <b>& true</b>".into(), "Lapsed".into()],
            values: vec![Some(2.0), Some(1.0)],
            flows: vec![
                flow(a, a, 60, 0),
                flow(a, b, 40, -1),
                flow(b, b, 10, 0),
                flow(Place::New, a, 5, 0),
            ],
            matrix: vec![vec![0.6, 0.4], vec![0.0, 1.0]],
            projection: vec![vec![65.0, 50.0], vec![39.0, 76.0]],
            revenue_per_customer: vec![10.0, 10.0],
            playbooks: vec![None, None],
        }
    }

    #[test]
    fn the_page_escapes_names_and_draws_a_band_per_flow() {
        let page = migration().to_html().unwrap();
        assert!(page.contains("Loyal &#60;b&#62;&#38; true&#60;/b&#62;"), "{page}");
        assert!(!page.contains("<b>&"), "a name is printed unescaped");
        assert!(!page.contains("<script"));
        assert_eq!(page.matches("<path d=").count(), 4);
        // Of the 110 placed at both dates, 60 + 10 stayed.
        assert!(page.contains("63.6%"), "stayed share");
        assert!(page.contains("Lapsed: 40 customers moved in"));
    }

    #[test]
    fn nodes_are_as_tall_as_their_customers() {
        let m = migration();
        let chart = sankey(&m);
        // Left: segment 0 (100), segment 1 (10), new (5); right: segment 0 (65), segment 1 (50).
        let heights: Vec<f64> = chart.nodes.iter().map(|n| n.height).collect();
        let scale = (SANKEY_HEIGHT - 2.0 * NODE_GAP) / 115.0;
        for (h, n) in heights.iter().zip([100.0, 10.0, 5.0, 65.0, 50.0]) {
            assert!((h - n * scale).abs() < 1e-9, "{heights:?}");
        }
        assert_eq!(chart.links.len(), 4);
    }
}
