//! The memory timeline (`rvmmu run --timeline FILE.svg`) and the statistics it is drawn
//! from, on scaled-down pressure runs of `programs/pressure/vmstat_report` (three processes
//! filling 6 MiB each in 16 MiB of RAM): with swap (swap-outs, swap-ins, kswapd and direct
//! reclaim) and without (direct reclaim, then the OOM killer).
//!
//! The statistics' counters must equal the kernel's own, as the program prints /proc/vmstat
//! as its last act; the picture is parsed back (roxmltree) and must show its title, panels
//! and series, one RSS series per process whose peak, read back through the y axis' tick
//! labels, is the statistics' sampled peak, and one OOM marker per kill.

use rvmmu::kevent::stats::{Report, StatsObserver, Timeline};
use rvmmu::machine::{Exit, Machine, MachineConfig};
use rvmmu::timeline as tl;
use std::collections::BTreeMap;

/// Runs vmstat_report with `args` in `mem` bytes of RAM and `swap` bytes of swap; returns
/// how it ended, its console output, the statistics and the timeline.
fn run(mem: u64, swap: u64, args: &str) -> (Exit, String, Report, Timeline) {
    let path = rvmmu_tests::linux_program("pressure/vmstat_report").expect("built by build.rs");
    let files = [rvmmu::initramfs::File {
        path: "/bin/vmstat_report".into(),
        data: std::fs::read(path).unwrap(),
        mode: 0o755,
    }];
    let cfg = MachineConfig {
        mem_size: mem,
        bootargs: format!("paging=sv48 init=/bin/vmstat_report quiet -- {args}"),
        initrd: Some(rvmmu::initramfs::pack(&files).unwrap()),
        disk: (swap > 0).then(|| rvmmu::disk::create_swap(swap).unwrap()),
        max_insns: Some(2_000_000_000),
        ..MachineConfig::capture(Vec::new())
    };
    let mut m = Machine::new(cfg).unwrap();
    let (observer, stats) = StatsObserver::new();
    m.observers.push(Box::new(observer));
    m.load_elf(rvmmu::kernel::embedded().expect("rvmmu was built with its kernel"))
        .unwrap();
    let exit = m.run();
    let out = String::from_utf8_lossy(&m.console_output()).into_owned();
    let s = stats.borrow();
    (exit, out, s.report(), s.timeline())
}

/// The `name value` lines the program printed after `# /proc/vmstat`.
fn guest_vmstat(out: &str) -> BTreeMap<String, u64> {
    out.split("# /proc/vmstat\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no /proc/vmstat in\n{out}"))
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

/// The statistics' vmstat section equals the guest's /proc/vmstat (through the JSON the
/// CLI writes, field by field).
fn check_counters(report: &Report, out: &str) -> serde_json::Value {
    let json = serde_json::to_value(report).unwrap();
    let guest = guest_vmstat(out);
    let fields = json["vmstat"].as_object().unwrap();
    assert_eq!(fields.len(), 9);
    for (name, v) in fields {
        assert_eq!(
            v.as_u64(),
            guest.get(name).copied(),
            "{name}: the statistics against /proc/vmstat"
        );
    }
    json
}

/// A `<text>` of the picture: position and content.
#[derive(Debug)]
struct Label {
    x: f64,
    y: f64,
    anchor: String,
    text: String,
}

/// A `<polyline>`: stroke colour and width, points.
#[derive(Debug)]
struct Line {
    stroke: String,
    width: String,
    points: Vec<(f64, f64)>,
}

/// The picture's texts and lines, in document order (`None` for other elements).
enum Item {
    Label(Label),
    Line(Line),
}

fn parse_svg(svg: &str) -> Vec<Item> {
    let doc = roxmltree::Document::parse(svg).expect("the timeline is well-formed XML");
    let num = |n: &roxmltree::Node, a: &str| n.attribute(a).unwrap_or("0").parse().unwrap();
    doc.descendants()
        .filter_map(|n| match n.tag_name().name() {
            "text" => Some(Item::Label(Label {
                x: num(&n, "x"),
                y: num(&n, "y"),
                anchor: n.attribute("text-anchor").unwrap_or("").into(),
                text: n.text().unwrap_or("").trim().to_string(),
            })),
            "polyline" => Some(Item::Line(Line {
                stroke: n.attribute("stroke").unwrap_or("").into(),
                width: n.attribute("stroke-width").unwrap_or("").into(),
                points: n
                    .attribute("points")
                    .unwrap_or("")
                    .split_whitespace()
                    .map(|p| {
                        let (x, y) = p.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect(),
            })),
            _ => None,
        })
        .collect()
}

fn labels(items: &[Item]) -> impl Iterator<Item = &Label> {
    items.iter().filter_map(|i| match i {
        Item::Label(l) => Some(l),
        _ => None,
    })
}

/// The vertical band (y from, y to) of the panel with this caption.
fn band(items: &[Item], caption: &str) -> (f64, f64) {
    let caps: Vec<f64> = [tl::FREE_CAPTION, tl::SWAP_CAPTION, tl::RSS_CAPTION]
        .iter()
        .map(|c| {
            labels(items)
                .find(|l| l.text == *c)
                .unwrap_or_else(|| panic!("no caption {c}"))
                .y
        })
        .collect();
    let at = labels(items).find(|l| l.text == caption).unwrap().y;
    let next = caps
        .iter()
        .copied()
        .filter(|&y| y > at)
        .fold(f64::INFINITY, f64::min);
    (at, next)
}

/// The value at pixel row `y` in the panel `(from, to)`, from its y axis' numeric tick
/// labels (right-aligned, centred on their tick: value and row are linear).
fn y_scale(items: &[Item], (from, to): (f64, f64)) -> impl Fn(f64) -> f64 {
    let mut ticks: Vec<(f64, f64)> = labels(items)
        .filter(|l| l.anchor == "end" && l.y > from && l.y < to)
        .filter_map(|l| Some((l.text.parse::<f64>().ok()?, l.y)))
        .collect();
    ticks.sort_by(|a, b| a.0.total_cmp(&b.0));
    ticks.dedup_by(|a, b| a.0 == b.0);
    assert!(ticks.len() >= 2, "y ticks: {ticks:?}");
    let (lo, hi) = (ticks[0], ticks[ticks.len() - 1]);
    let per_px = (hi.0 - lo.0) / (lo.1 - hi.1);
    move |y| lo.0 + (lo.1 - y) * per_px
}

/// The series drawn in the colour of the legend entry `label`: its key is the short line
/// just left of the text, on the text's row (plotters writes the legend's texts, then its
/// keys).
fn series<'a>(items: &'a [Item], label: &str) -> &'a Line {
    let text = labels(items)
        .find(|l| l.text == label)
        .unwrap_or_else(|| panic!("no legend entry {label}"));
    let key = items
        .iter()
        .find_map(|i| match i {
            Item::Line(l)
                if l.width == "1"
                    && l.points.len() == 2
                    && l.points[0].1 == l.points[1].1
                    && l.points[0].1 > text.y
                    && l.points[0].1 < text.y + 12.0
                    && l.points[1].0 <= text.x
                    && l.points[1].0 >= text.x - 40.0 =>
            {
                Some(l)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no legend key for {label}"));
    items
        .iter()
        .find_map(|i| match i {
            Item::Line(l) if l.stroke == key.stroke && l.width == "2" && !l.points.is_empty() => {
                Some(l)
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no series for {label}"))
}

const MIB: f64 = (1 << 20) as f64;

/// Checks the picture of a run against its statistics; returns the number of OOM markers.
fn check_picture(report: &Report, t: &Timeline, json: &serde_json::Value) -> usize {
    let svg = tl::render(report, t).unwrap();
    let items = parse_svg(&svg);
    for text in [
        tl::TITLE,
        tl::FREE_CAPTION,
        tl::SWAP_CAPTION,
        tl::RSS_CAPTION,
    ] {
        assert!(labels(&items).any(|l| l.text == text), "{text}");
    }
    let axis = labels(&items).filter(|l| l.text == tl::X_DESC).count();
    assert_eq!(axis, 3, "each panel has its time axis");
    for legend in ["free", "min watermark", "low watermark", "high watermark"] {
        assert!(labels(&items).any(|l| l.text == legend), "{legend}");
    }
    let swap_out = format!("swap-out ({} pages)", json["swap"]["outs"]);
    assert!(labels(&items).any(|l| l.text == swap_out), "{swap_out}");
    let kswapd = format!(
        "kswapd awake ({} wakeups)",
        json["reclaim"]["kswapd"]["runs"]
    );
    assert!(labels(&items).any(|l| l.text == kswapd), "{kswapd}");

    // The free-memory series' lowest point is the statistics' lowest sample.
    let free_band = band(&items, tl::FREE_CAPTION);
    let free_value = y_scale(&items, free_band);
    let free_px = free_value(0.0) - free_value(1.0);
    let free = series(&items, "free");
    let bottom = free.points.iter().map(|p| p.1).fold(f64::MIN, f64::max);
    let lowest = json["memory"]["lowest_free_pages"].as_u64().unwrap() as f64 * 4096.0 / MIB;
    assert!(
        (free_value(bottom) - lowest).abs() <= 1.5 * free_px.abs(),
        "free: lowest {:.2} MiB read back, {lowest:.2} MiB in the statistics",
        free_value(bottom)
    );
    assert_eq!(
        free.points.len() as u64,
        json["memory"]["samples"].as_u64().unwrap()
    );

    // One RSS series per process the samples saw, its peak the statistics' sampled peak.
    let rss = band(&items, tl::RSS_CAPTION);
    let value = y_scale(&items, rss);
    let per_px = value(0.0) - value(1.0);
    let procs = json["processes"].as_array().unwrap();
    assert_eq!(t.rss.len(), procs.len(), "every process was sampled");
    for p in procs {
        let label = tl::process_label(
            p["name"].as_str().unwrap(),
            p["pid"].as_u64().unwrap() as u32,
        );
        let line = series(&items, &label);
        let top = line
            .points
            .iter()
            .map(|p| p.1)
            .fold(f64::INFINITY, f64::min);
        let peak = value(top);
        let want = p["sampled_peak_rss_pages"].as_u64().unwrap() as f64 * 4096.0 / MIB;
        assert!(
            (peak - want).abs() <= 1.5 * per_px.abs(),
            "{label}: peak {peak:.2} MiB read back, {want:.2} MiB in the statistics"
        );
        assert_eq!(
            line.points.len(),
            t.rss[&(p["pid"].as_u64().unwrap() as u32)].len()
        );
    }
    // The OOM markers: one labelled line per kill.
    let marks: Vec<&Label> = labels(&items)
        .filter(|l| l.text.starts_with("OOM kill: "))
        .collect();
    for (m, k) in marks.iter().zip(json["oom_kills"].as_array().unwrap()) {
        assert_eq!(
            m.text,
            format!(
                "OOM kill: {} (pid {})",
                k["name"].as_str().unwrap(),
                k["pid"]
            )
        );
    }
    marks.len()
}

#[test]
fn with_swap_the_statistics_match_proc_vmstat_and_the_picture_matches_the_statistics() {
    let (exit, out, report, t) = run(16 << 20, 32 << 20, "3 6");
    assert_eq!(exit, Exit::Pass, "{out}");
    assert!(out.contains("ok 1 - each of 3 workers"), "{out}");
    let json = check_counters(&report, &out);
    assert!(report.swap.outs > 0 && report.swap.ins > 0, "{report:#?}");
    assert!(report.reclaim.kswapd.runs > 0 && !t.kswapd.is_empty());
    assert_eq!(report.oom_kills.len(), 0);
    assert!(t.samples.iter().any(|s| s.swap_used > 0));
    assert_eq!(check_picture(&report, &t, &json), 0);
    for p in &report.processes {
        // The kernel's own counts at each process's end, against its fault events.
        assert_eq!(
            p.kernel_minflt,
            Some(p.faults.minor - p.faults.spurious),
            "{p:?}"
        );
        assert_eq!(p.kernel_majflt, Some(p.faults.major), "{p:?}");
    }
}

#[test]
fn without_swap_the_oom_kill_is_counted_and_marked() {
    let (exit, out, report, t) = run(16 << 20, 0, "3 6");
    assert_eq!(exit, Exit::Pass, "{out}");
    let json = check_counters(&report, &out);
    assert_eq!(report.swap.outs, 0);
    assert!(!report.oom_kills.is_empty(), "{out}");
    assert_eq!(
        check_picture(&report, &t, &json),
        json["oom_kills"].as_array().unwrap().len()
    );
    let victim = &report.oom_kills[0];
    let p = report
        .processes
        .iter()
        .find(|p| p.pid == victim.pid)
        .unwrap();
    assert!(p.oom_killed);
    assert_eq!(p.exit.as_ref().and_then(|e| e.signal), Some(9));
}
