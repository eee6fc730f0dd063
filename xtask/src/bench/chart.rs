//! The PNG next to the results file: requests/s (top) and CPU time per
//! request, user solid and kernel light (bottom), per endpoint and server,
//! drawn with plotters' bitmap backend and DejaVu Sans.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::setup::FONT;
use super::{Config, ServerResult, Suite};

const WIDTH: u32 = 1600;
const HEIGHT: u32 = 1200;

fn color(id: &str) -> RGBColor {
    match id {
        "prebake" => RGBColor(230, 85, 13),
        "prebake-psycopg" => RGBColor(253, 174, 107),
        "rust-ceiling" => RGBColor(70, 70, 70),
        "plain-hyper" => RGBColor(70, 70, 70),
        "fastapi-uvicorn" => RGBColor(0, 150, 136),
        "blacksheep-uvicorn" => RGBColor(49, 130, 189),
        "blacksheep-granian" => RGBColor(107, 174, 214),
        _ => RGBColor(117, 107, 177),
    }
}

/// `c` mixed halfway with white.
fn light(c: RGBColor) -> RGBColor {
    let mix = |v: u8| ((u16::from(v) + 255) / 2) as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

fn register_font() -> Result<(), String> {
    let bytes = std::fs::read(FONT).map_err(|e| format!("{FONT}: {e}"))?;
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
        .map_err(|_| format!("{FONT}: not a font plotters can read"))
}

fn short(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.0}k", v / 1e3)
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Draws the chart into `path`.
pub(crate) fn draw(
    path: &Path,
    results: &[ServerResult],
    cfg: &Config,
    date: &str,
    cpu: &str,
) -> Result<(), String> {
    register_font()?;
    let err = |e: &dyn std::fmt::Debug| format!("chart {}: {e:?}", path.display());
    let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let root = root.margin(12, 0, 0, 0);
    let what = match cfg.suite {
        Suite::Default => "prebake vs plain hyper and Python frameworks, hello app",
        Suite::Io => {
            "prebake vs a Rust ceiling and Python frameworks, TechEmpower + jero on PostgreSQL"
        }
        Suite::Fortunes => {
            "prebake (askama) vs Python frameworks (Jinja2), fortunes page, no database"
        }
    };
    let title = format!(
        "{what}, one core each ({date}, {} mode, {} profile)",
        if cfg.quick { "quick" } else { "full" },
        cfg.profile
    );
    let root = root
        .titled(&title, ("sans-serif", 26))
        .map_err(|e| err(&e))?;
    let subtitle = format!(
        "{} | server pinned to CPU 1, wrk -t1 -c{} on CPU 0 | medians of {} run(s) of {} s",
        cpu, cfg.connections, cfg.runs, cfg.duration
    );
    root.draw(&Text::new(
        subtitle,
        (WIDTH as i32 / 2, 0),
        ("sans-serif", 17)
            .into_font()
            .color(&RGBColor(90, 90, 90))
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))
    .map_err(|e| err(&e))?;
    let body = root.margin(28, 10, 10, 10);
    let (top, bottom) = body.split_vertically(HEIGHT / 2 - 20);

    let n = results.len().max(1) as f64;
    let group = 0.84;
    let bar = group / n;
    let x_of = |g: usize, s: usize| g as f64 + (1.0 - group) / 2.0 + s as f64 * bar;

    // Requests/s.
    let rps = |s: &ServerResult, e: &str| {
        s.endpoint(e)
            .filter(|x| !x.runs.is_empty())
            .map(|x| x.median(|r| r.rps))
    };
    let max_rps = results
        .iter()
        .flat_map(|s| cfg.endpoints.iter().filter_map(|e| rps(s, e.name)))
        .fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(&top)
        .caption("Requests per second (higher is better)", ("sans-serif", 22))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..cfg.endpoints.len() as f64, 0f64..max_rps * 1.5)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .light_line_style(RGBColor(245, 245, 245))
        .y_desc("requests/s")
        .y_label_formatter(&|v| format!("{:.0}k", v / 1e3))
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .draw()
        .map_err(|e| err(&e))?;
    let label_style = ("sans-serif", 13)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Bottom));
    for (si, s) in results.iter().enumerate() {
        let c = color(&s.id);
        let bars: Vec<_> = cfg
            .endpoints
            .iter()
            .enumerate()
            .filter_map(|(g, e)| rps(s, e.name).map(|v| (g, v)))
            .collect();
        chart
            .draw_series(bars.iter().map(|&(g, v)| {
                let x = x_of(g, si);
                Rectangle::new([(x, 0.0), (x + bar * 0.92, v)], c.filled())
            }))
            .map_err(|e| err(&e))?
            .label(format!("{} — {}", s.id, s.label))
            .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 14, y + 7)], c.filled()));
        chart
            .draw_series(bars.iter().map(|&(g, v)| {
                Text::new(short(v), (x_of(g, si) + bar * 0.46, v), label_style.clone())
            }))
            .map_err(|e| err(&e))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(180, 180, 180))
        .label_font(("sans-serif", 15))
        .draw()
        .map_err(|e| err(&e))?;
    endpoint_labels(cfg, &root, &chart).map_err(|e| err(&e))?;

    // CPU per request.
    let cpu = |s: &ServerResult, e: &str| {
        s.endpoint(e)
            .filter(|x| !x.runs.is_empty())
            .map(|x| (x.median(|r| r.user_us), x.median(|r| r.sys_us)))
    };
    let max_cpu = results
        .iter()
        .flat_map(|s| cfg.endpoints.iter().filter_map(|e| cpu(s, e.name)))
        .map(|(u, k)| u + k)
        .fold(1.0, f64::max);
    let mut chart = ChartBuilder::on(&bottom)
        .caption(
            "Server CPU time per request, µs (lower is better; solid: user space, labelled; light: kernel)",
            ("sans-serif", 22),
        )
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(90)
        .build_cartesian_2d(0f64..cfg.endpoints.len() as f64, 0f64..max_cpu * 1.1)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .light_line_style(RGBColor(245, 245, 245))
        .y_desc("µs per request")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .draw()
        .map_err(|e| err(&e))?;
    for (si, s) in results.iter().enumerate() {
        let c = color(&s.id);
        let bars: Vec<_> = cfg
            .endpoints
            .iter()
            .enumerate()
            .filter_map(|(g, e)| cpu(s, e.name).map(|v| (g, v)))
            .collect();
        chart
            .draw_series(bars.iter().flat_map(|&(g, (u, k))| {
                let x = x_of(g, si);
                let w = bar * 0.92;
                [
                    Rectangle::new([(x, 0.0), (x + w, u)], c.filled()),
                    Rectangle::new([(x, u), (x + w, u + k)], light(c).filled()),
                ]
            }))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(bars.iter().map(|&(g, (u, k))| {
                Text::new(
                    short(u),
                    (x_of(g, si) + bar * 0.46, u + k),
                    label_style.clone(),
                )
            }))
            .map_err(|e| err(&e))?;
    }
    endpoint_labels(cfg, &root, &chart).map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// The endpoint names under each group of bars, drawn on the root area at
/// the pixel positions of the group centres.
fn endpoint_labels<DB: DrawingBackend>(
    cfg: &Config,
    root: &DrawingArea<DB, plotters::coord::Shift>,
    chart: &ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (ox, oy) = root.get_base_pixel();
    for (g, e) in cfg.endpoints.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(g as f64 + 0.5, 0.0));
        root.draw(&Text::new(
            e.name,
            (px - ox, py - oy + 8),
            ("sans-serif", 19)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    Ok(())
}
