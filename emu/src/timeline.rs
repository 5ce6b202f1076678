//! `--timeline FILE.svg`: the memory picture of a run, drawn with plotters' SVG backend
//! from what [`crate::kevent::stats`] gathered (docs/TRACING.md, "The memory timeline").
//!
//! Three panels over virtual time (seconds): free memory against the min/low/high
//! watermarks, with kswapd's awake intervals shaded and direct reclaim marked below; the
//! swap-in and swap-out rates; the resident set size of each process (one series each,
//! labelled `NAME (pid N)`). OOM kills are vertical lines in every panel, labelled
//! `OOM kill: NAME (pid N)` in the last one.

use crate::kevent::stats::{OomKill, Report, Timeline};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The picture's size in pixels.
pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 1050;

/// The panels' captions (a test finds each panel by its caption).
pub const FREE_CAPTION: &str = "Free memory (MiB)";
pub const SWAP_CAPTION: &str = "Swap traffic (pages/s)";
pub const RSS_CAPTION: &str = "Resident set size per process (MiB)";
/// The picture's title.
pub const TITLE: &str = "rvmmu: memory over virtual time";
/// The x axis' label.
pub const X_DESC: &str = "virtual time (s)";

const FONT: &str = "sans-serif";

fn mib(pages: u64) -> f64 {
    pages as f64 * 4096.0 / (1 << 20) as f64
}

/// Decimals for y tick labels up to `top`, so that neighbouring ticks read differently.
fn decimals(top: f64) -> usize {
    if top >= 100.0 {
        0
    } else if top >= 10.0 {
        1
    } else {
        2
    }
}

/// Intervals closer than `gap` merged into one (thousands of short direct reclaims would
/// otherwise each be an element).
fn merged(mut v: Vec<(f64, f64)>, gap: f64) -> Vec<(f64, f64)> {
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f64, f64)> = Vec::new();
    for (s, e) in v {
        match out.last_mut() {
            Some(last) if s <= last.1 + gap => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// A panel's chart: seconds across, a value up.
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A panel's last layer: the OOM kills' lines (labelled when `label`) and the legend box of
/// its series.
fn finish_panel<'a, 'b: 'a>(
    chart: &mut Chart<'a, 'b>,
    kills: &[OomKill],
    (end, top): (f64, f64),
    label: bool,
) -> Result<(), String> {
    oom_lines(chart, kills, (end, top), label)?;
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, 13))
        .draw()
        .map_err(err)
}

/// A panel's chart: its caption, virtual seconds 0..`end` across, 0..`top` of `y_desc` up,
/// with the axes labelled.
fn panel<'a, 'b>(
    area: &'a Area<'b>,
    caption: &str,
    y_desc: &str,
    end: f64,
    top: f64,
) -> Result<Chart<'a, 'b>, String> {
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 18))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..end, 0.0..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(X_DESC)
        .y_desc(y_desc)
        .x_label_formatter(&|v| format!("{v:.2}"))
        .y_label_formatter(&|v| format!("{v:.*}", decimals(top)))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// A number of a memory sample.
type SampleField = fn(&crate::kevent::stats::Sample) -> u64;

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("cannot draw the timeline: {e:?}")
}

/// The SVG picture of a run: its report (names, OOM kills) and timeline.
pub fn render(report: &Report, t: &Timeline) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let root = root.titled(TITLE, (FONT, 26)).map_err(err)?;
        let panels = root.split_evenly((3, 1));
        let end = t
            .samples
            .last()
            .map(|s| s.time)
            .unwrap_or(0.0)
            .max(report.virtual_seconds)
            .max(1e-3);
        free_panel(&panels[0], report, t, end)?;
        swap_panel(&panels[1], report, t, end)?;
        rss_panel(&panels[2], report, t, end)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Vertical lines at the OOM kills, in a chart of x range `0..end` and y range `0..top`;
/// labelled when `label`, at mid height, clear of the legend (left of the line in the
/// chart's right half, so that the text stays inside; successive labels a row lower, so
/// that close kills stay readable).
fn oom_lines<DB: DrawingBackend>(
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    kills: &[OomKill],
    (end, top): (f64, f64),
    label: bool,
) -> Result<(), String> {
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    let red = RED.stroke_width(2);
    for (i, k) in kills.iter().enumerate() {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(k.time, 0.0), (k.time, top)],
                red,
            )))
            .map_err(err)?;
        if label {
            let h = if k.time > end / 2.0 {
                HPos::Right
            } else {
                HPos::Left
            };
            let row = (i % 6) as f64 * 0.06;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("OOM kill: {} (pid {})", k.name, k.pid),
                    (k.time, top * (0.55 - row)),
                    (FONT, 14)
                        .into_font()
                        .color(&RED)
                        .pos(Pos::new(h, VPos::Top)),
                )))
                .map_err(err)?;
        }
    }
    Ok(())
}

fn free_panel(area: &Area<'_>, report: &Report, t: &Timeline, end: f64) -> Result<(), String> {
    let top = t
        .samples
        .iter()
        .map(|s| mib(s.free.max(s.high)))
        .fold(0.0, f64::max)
        .max(1.0)
        * 1.1;
    let mut chart = panel(area, FREE_CAPTION, "MiB", end, top)?;
    let gap = end / f64::from(WIDTH);
    let shade = RGBColor(255, 165, 0).mix(0.25).filled();
    chart
        .draw_series(
            merged(t.kswapd.clone(), gap)
                .into_iter()
                .map(|(s, e)| Rectangle::new([(s, 0.0), (e.max(s + gap), top)], shade)),
        )
        .map_err(err)?
        .label(format!(
            "kswapd awake ({} wakeups)",
            report.reclaim.kswapd.runs
        ))
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], shade));
    let direct = RGBColor(200, 0, 200).filled();
    chart
        .draw_series(
            merged(t.direct.clone(), gap)
                .into_iter()
                .map(|(s, e)| Rectangle::new([(s, 0.0), (e.max(s + gap), top * 0.04)], direct)),
        )
        .map_err(err)?
        .label(format!(
            "direct reclaim ({} stalls)",
            report.reclaim.direct.runs
        ))
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], direct));
    let lines: [(&str, RGBColor, SampleField); 4] = [
        ("free", RGBColor(0, 90, 200), |s| s.free),
        ("min watermark", RGBColor(180, 0, 0), |s| s.min),
        ("low watermark", RGBColor(230, 120, 0), |s| s.low),
        ("high watermark", RGBColor(0, 150, 0), |s| s.high),
    ];
    for (name, color, get) in lines {
        let width = if name == "free" { 2 } else { 1 };
        chart
            .draw_series(LineSeries::new(
                t.samples.iter().map(|s| (s.time, mib(get(s)))),
                color.stroke_width(width),
            ))
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    finish_panel(&mut chart, &report.oom_kills, (end, top), false)
}

/// Pages per second between consecutive samples, at each later sample's time.
fn rates(t: &Timeline, get: SampleField) -> Vec<(f64, f64)> {
    t.samples
        .windows(2)
        .filter(|w| w[1].time > w[0].time)
        .map(|w| {
            let d = get(&w[1]).saturating_sub(get(&w[0])) as f64;
            (w[1].time, d / (w[1].time - w[0].time))
        })
        .collect()
}

fn swap_panel(area: &Area<'_>, report: &Report, t: &Timeline, end: f64) -> Result<(), String> {
    let ins = rates(t, |s| s.pswpin);
    let outs = rates(t, |s| s.pswpout);
    let top = ins
        .iter()
        .chain(&outs)
        .map(|p| p.1)
        .fold(0.0, f64::max)
        .max(1.0)
        * 1.1;
    let mut chart = panel(area, SWAP_CAPTION, "pages/s", end, top)?;
    for (name, color, series) in [
        (
            format!("swap-in ({} pages)", report.swap.ins),
            RGBColor(0, 90, 200),
            ins,
        ),
        (
            format!("swap-out ({} pages)", report.swap.outs),
            RGBColor(200, 60, 0),
            outs,
        ),
    ] {
        chart
            .draw_series(LineSeries::new(series, color.stroke_width(2)))
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    finish_panel(&mut chart, &report.oom_kills, (end, top), false)
}

/// A process's series label.
pub fn process_label(name: &str, pid: u32) -> String {
    format!("{name} (pid {pid})")
}

fn rss_panel(area: &Area<'_>, report: &Report, t: &Timeline, end: f64) -> Result<(), String> {
    let top = t
        .rss
        .values()
        .flatten()
        .map(|p| mib(p.1))
        .fold(0.0, f64::max)
        .max(1.0)
        * 1.15;
    let mut chart = panel(area, RSS_CAPTION, "MiB", end, top)?;
    for (i, (pid, points)) in t.rss.iter().enumerate() {
        let name = report
            .processes
            .iter()
            .find(|p| p.pid == *pid)
            .map_or("?", |p| p.name.as_str());
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|&(x, rss)| (x, mib(rss))),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(process_label(name, *pid))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    finish_panel(&mut chart, &report.oom_kills, (end, top), true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kevent::stats::Sample;

    #[test]
    fn a_picture_has_its_title_panels_series_and_kills() {
        let mut t = Timeline::default();
        for i in 0..20u64 {
            t.samples.push(Sample {
                time: i as f64 * 0.01,
                free: 1000 - i * 40,
                min: 100,
                low: 125,
                high: 150,
                swap_used: i,
                pswpin: i * 2,
                pswpout: i * 3,
            });
            t.rss.entry(2).or_default().push((i as f64 * 0.01, i * 50));
        }
        t.kswapd.push((0.05, 0.08));
        t.direct.push((0.1, 0.1001));
        let report = Report {
            virtual_seconds: 0.2,
            oom_kills: vec![OomKill {
                time: 0.15,
                pid: 2,
                name: "hog".into(),
                points: 900,
                rss_pages: 950,
                candidates: 2,
            }],
            ..Default::default()
        };
        let svg = render(&report, &t).unwrap();
        for s in [
            TITLE,
            FREE_CAPTION,
            SWAP_CAPTION,
            RSS_CAPTION,
            X_DESC,
            "OOM kill: hog (pid 2)",
            "? (pid 2)",
            "min watermark",
            "kswapd awake",
        ] {
            assert!(svg.contains(s), "{s} missing");
        }
        assert!(svg.contains("<polyline"));
        // No samples at all: still a picture, with its axes.
        let empty = render(&Report::default(), &Timeline::default()).unwrap();
        assert!(empty.contains(RSS_CAPTION));
    }
}
