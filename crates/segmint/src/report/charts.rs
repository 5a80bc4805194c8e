//! The dashboard's charts, drawn by plotters as inline SVG (its SVG backend
//! escapes every text it writes, so column and segment names stay text).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::SegmentReport;
use crate::error::{Error, Result};

/// Segment colours (Tableau 10), reused in order when there are more segments.
pub(super) const PALETTE: [(u8, u8, u8); 10] = [
    (78, 121, 167),
    (242, 142, 43),
    (225, 87, 89),
    (118, 183, 178),
    (89, 161, 79),
    (237, 201, 72),
    (176, 122, 161),
    (255, 157, 167),
    (156, 117, 95),
    (186, 176, 172),
];

const FONT: &str = "sans-serif";
/// Categorical axes (segments, features, k) run on integer hundredths, so
/// that their labels sit exactly on the categories (plotters formats
/// labels of fixed key points only for integer axes).
const STEP: i32 = 100;
const GRID: RGBColor = RGBColor(225, 229, 235);
/// Minor grid lines: barely there.
const FAINT: RGBColor = RGBColor(246, 247, 249);
const INK: RGBColor = RGBColor(55, 65, 81);

/// The colour of segment `s`.
pub(super) fn colour(s: usize) -> RGBColor {
    let (r, g, b) = PALETTE[s % PALETTE.len()];
    RGBColor(r, g, b)
}

/// `#4e79a7` for CSS.
pub(crate) fn css_colour(s: usize) -> String {
    let (r, g, b) = PALETTE[s % PALETTE.len()];
    format!("#{r:02x}{g:02x}{b:02x}")
}

type Drawn = std::result::Result<(), DrawingAreaErrorKind<std::io::Error>>;

fn svg(size: (u32, u32), draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Drawn) -> Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE)
            .and_then(|_| draw(&root))
            .and_then(|_| root.present())
            .map_err(|e| Error::Serialize {
                what: "dashboard chart",
                message: e.to_string(),
            })?;
    }
    Ok(out)
}

/// Opacity of the customers, revenue and CLV bars.
pub(super) const BAR_ALPHA: [f64; 3] = [1.0, 0.65, 0.35];

/// Horizontal bars per segment: share of customers, of revenue and of CLV.
pub(super) fn segment_sizes(report: &SegmentReport) -> Result<String> {
    let segments = &report.segments;
    let height = 80 + 56 * segments.len() as u32;
    svg((1100, height), |root| {
        let n = segments.len();
        let top = segments
            .iter()
            .flat_map(|s| [Some(s.share), s.revenue_share, s.clv_share])
            .flatten()
            .fold(0.0f64, f64::max);
        let x_max = ((top * 10.0).ceil() / 10.0).clamp(0.1, 1.0);
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(230)
            .build_cartesian_2d(
                0.0..x_max * 100.0,
                (0..n as i32 * STEP).with_key_points((0..n as i32).map(|i| i * STEP + STEP / 2).collect()),
            )?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(FAINT)
            .bold_line_style(GRID)
            .y_label_formatter(&|&y| {
                // Key points are the segment centres, the first segment at the top.
                let i = n as i32 - 1 - y / STEP;
                usize::try_from(i)
                    .ok()
                    .and_then(|i| segments.get(i))
                    .map_or(String::new(), |s| s.name.clone())
            })
            .y_label_style((FONT, 15).into_font().color(&INK))
            .x_label_formatter(&|x| format!("{x:.0}%"))
            .x_desc("share of the base (%)")
            .label_style((FONT, 14).into_font().color(&INK))
            .draw()?;
        // Customers in the segment colour, revenue and CLV lighter; the legend is HTML.
        for (i, s) in segments.iter().enumerate() {
            for (slot, value) in [Some(s.share), s.revenue_share, s.clv_share].into_iter().enumerate() {
                let Some(v) = value.filter(|v| v.is_finite()) else {
                    continue;
                };
                // plotters' pixel arithmetic overflows on values far outside the axis
                let v = v.clamp(0.0, x_max);
                let top = (n - i) as i32 * STEP - 12 - 25 * slot as i32;
                let style = colour(i).mix(BAR_ALPHA[slot]).filled();
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0, top - 20), (v * 100.0, top)],
                    style,
                )))?;
            }
        }
        Ok(())
    })
}

/// The largest k a k-selection chart places on its axis.
const MAX_DRAWN_K: usize = 10_000;

/// The axis range from `lo` to `hi` with a tenth of the span on each side.
/// Values read from a file may be anything: NaN is ignored and the range is
/// kept within ±1e100, as plotters cannot place ticks on an infinite span.
fn padded(lo: f64, hi: f64) -> std::ops::Range<f64> {
    const LIMIT: f64 = 1e100;
    let (lo, hi) = (lo.clamp(-LIMIT, LIMIT), hi.clamp(-LIMIT, LIMIT));
    let pad = 0.1 * (hi - lo).max(1e-3);
    (lo - pad)..(hi + pad)
}

/// The snake plot: each segment's mean of every clustered (standardised)
/// feature. Its legend is HTML, above the chart, so it never hides a line.
pub(super) fn snake_plot(report: &SegmentReport) -> Result<String> {
    let features = &report.features.columns;
    let m = features.len().max(1);
    let values = report.segments.iter().flat_map(|s| s.centroid.iter().copied());
    let (lo, hi) = values.fold((-1.0f64, 1.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let y_range = padded(lo, hi);
    svg((1100, 420), |root| {
        let x_axis = (-30..m as i32 * STEP - 70).with_key_points((0..m as i32).map(|i| i * STEP).collect());
        let mut chart = ChartBuilder::on(root)
            .margin(14)
            .x_label_area_size(36)
            .y_label_area_size(50)
            .build_cartesian_2d(x_axis, y_range.clone())?;
        chart
            .configure_mesh()
            .light_line_style(FAINT)
            .bold_line_style(GRID)
            .x_label_formatter(&|&x| {
                usize::try_from(x / STEP)
                    .ok()
                    .and_then(|i| features.get(i))
                    .cloned()
                    .unwrap_or_default()
            })
            .y_desc("mean z-score")
            .label_style((FONT, 14).into_font().color(&INK))
            .draw()?;
        chart.draw_series(LineSeries::new([(-30, 0.0), (m as i32 * STEP - 70, 0.0)], INK.mix(0.5)))?;
        for (s, segment) in report.segments.iter().enumerate() {
            let points: Vec<(i32, f64)> = (0..)
                .step_by(STEP as usize)
                .zip(segment.centroid.iter().copied())
                .filter(|(_, v)| v.is_finite())
                // plotters' pixel arithmetic overflows on values far outside the axis
                .map(|(x, v)| (x, v.clamp(y_range.start, y_range.end)))
                .collect();
            let c = colour(s);
            chart.draw_series(LineSeries::new(points.clone(), c.stroke_width(3)))?;
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, c.filled())))?;
        }
        Ok(())
    })
}

/// Two panels over k: silhouette and bootstrap stability (0–1), and the gap
/// statistic with its standard error; the chosen k marked.
pub(super) fn k_selection(report: &SegmentReport) -> Result<Option<String>> {
    let Some(sel) = &report.k_selection else {
        return Ok(None);
    };
    // A report read from a file may name any k: beyond MAX_DRAWN_K the axis would overflow.
    let at = |k: usize| k.min(MAX_DRAWN_K) as i32 * STEP;
    let ks: Vec<i32> = sel.table.iter().map(|s| at(s.k)).collect();
    let (k_lo, k_hi) = (
        ks.iter().copied().min().unwrap_or(0) - STEP / 2,
        ks.iter().copied().max().unwrap_or(0) + STEP / 2,
    );
    let chosen = at(sel.recommended);
    let k_axis = || (k_lo..k_hi).with_key_points(ks.clone());
    svg((1100, 340), |root| {
        let (left, right) = root.split_horizontally(550);
        let mut a = ChartBuilder::on(&left)
            .margin(12)
            .caption("silhouette and stability", (FONT, 16).into_font().color(&INK))
            .x_label_area_size(32)
            .y_label_area_size(40)
            .build_cartesian_2d(k_axis(), 0.0..1.05)?;
        a.configure_mesh()
            .light_line_style(FAINT)
            .bold_line_style(GRID)
            .x_label_formatter(&|k| (k / STEP).to_string())
            .x_desc("k")
            .label_style((FONT, 14).into_font().color(&INK))
            .draw()?;
        a.draw_series(std::iter::once(Rectangle::new(
            [(chosen - 40, 0.0), (chosen + 40, 1.05)],
            RGBColor(253, 230, 138).mix(0.5).filled(),
        )))?;
        let silhouette: Vec<(i32, f64)> = sel
            .table
            .iter()
            .filter(|s| s.silhouette.is_finite())
            .map(|s| (at(s.k), s.silhouette.clamp(-1.0, 1.05)))
            .collect();
        let stability: Vec<(i32, f64)> = sel
            .table
            .iter()
            .filter_map(|s| {
                s.stability
                    .filter(|v| v.is_finite())
                    .map(|v| (at(s.k), v.clamp(0.0, 1.05)))
            })
            .collect();
        for (label, points, c) in [
            ("silhouette", silhouette, colour(0)),
            ("stability", stability, colour(1)),
        ] {
            if points.is_empty() {
                continue;
            }
            a.draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
            a.draw_series(points.iter().map(|&p| Circle::new(p, 3, c.filled())))?;
        }
        a.configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.9))
            .border_style(GRID)
            .label_font((FONT, 14).into_font().color(&INK))
            .draw()?;

        let gaps: Vec<(i32, f64, f64)> = sel
            .table
            .iter()
            .filter_map(|s| {
                let g = s.gap.filter(|g| g.is_finite())?;
                Some((at(s.k), g, s.gap_s.filter(|e| e.is_finite()).unwrap_or(0.0)))
            })
            .collect();
        let (g_lo, g_hi) = gaps
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(_, g, e)| {
                (lo.min(g - e), hi.max(g + e))
            });
        let gap_range = if gaps.is_empty() {
            padded(0.0, 1.0)
        } else {
            padded(g_lo, g_hi)
        };
        let mut b = ChartBuilder::on(&right)
            .margin(12)
            .caption("gap statistic ± s", (FONT, 16).into_font().color(&INK))
            .x_label_area_size(32)
            .y_label_area_size(44)
            .build_cartesian_2d(k_axis(), gap_range.clone())?;
        b.configure_mesh()
            .light_line_style(FAINT)
            .bold_line_style(GRID)
            .x_label_formatter(&|k| (k / STEP).to_string())
            .x_desc("k")
            .label_style((FONT, 14).into_font().color(&INK))
            .draw()?;
        b.draw_series(std::iter::once(Rectangle::new(
            [(chosen - 40, gap_range.start), (chosen + 40, gap_range.end)],
            RGBColor(253, 230, 138).mix(0.5).filled(),
        )))?;
        let c = colour(2);
        // plotters' pixel arithmetic overflows on values far outside the axis
        let within = |v: f64| v.clamp(gap_range.start, gap_range.end);
        b.draw_series(LineSeries::new(
            gaps.iter().map(|&(k, g, _)| (k, within(g))),
            c.stroke_width(2),
        ))?;
        b.draw_series(
            gaps.iter()
                .map(|&(k, g, e)| ErrorBar::new_vertical(k, within(g - e), within(g), within(g + e), c.filled(), 8)),
        )?;
        Ok(())
    })
    .map(Some)
}
