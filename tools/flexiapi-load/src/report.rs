//! The Markdown table of a bench run: each scenario's figures beside the
//! goals of issue 12, and the change against a run on a small database.

use std::collections::HashMap;
use std::fmt::Write;
use std::path::Path;

use serde::Deserialize;

#[derive(Deserialize)]
struct Line {
    scenario: String,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    statuses: HashMap<String, u64>,
    errors: u64,
    #[serde(default)]
    server_cores: Option<f64>,
    #[serde(default)]
    server_cpu_us_per_request: Option<f64>,
    #[serde(default)]
    load_tool_cores: Option<f64>,
}

/// Goal rps and p99 (ms) per scenario, where the issue sets one.
fn goal(scenario: &str) -> Option<(f64, f64)> {
    match scenario {
        "ping" => Some((40_000.0, 2.0)),
        "info" => Some((20_000.0, 2.0)),
        "me-key" => Some((15_000.0, 3.0)),
        "me-digest-md5" | "me-digest-sha256" => Some((8_000.0, 5.0)),
        "admin-create" => Some((3_000.0, 10.0)),
        _ => None,
    }
}

fn read(path: &Path) -> anyhow::Result<Vec<Line>> {
    std::fs::read_to_string(path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| Ok(serde_json::from_str(l)?))
        .collect()
}

pub fn markdown(
    results: &Path,
    small: Option<&Path>,
    peak_rss_kb: Option<u64>,
) -> anyhow::Result<String> {
    let lines = read(results)?;
    let small: HashMap<String, f64> = match small {
        Some(path) => read(path)?
            .into_iter()
            .map(|l| (l.scenario, l.rps))
            .collect(),
        None => HashMap::new(),
    };
    let mut out = String::from(
        "| scenario | rps | p50 ms | p99 ms | max ms | statuses | goal | met | vs. small database | server CPU µs/req | cores: server + load tool |\n\
         |---|---:|---:|---:|---:|---|---|---|---:|---:|---|\n",
    );
    for l in &lines {
        let mut statuses: Vec<_> = l.statuses.iter().collect();
        statuses.sort();
        let mut statuses: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect();
        if l.errors > 0 {
            statuses.push(format!("errors: {}", l.errors));
        }
        let (goal_text, met) = match goal(&l.scenario) {
            Some((rps, p99)) => (
                format!("≥ {rps} rps, p99 < {p99} ms"),
                if l.rps >= rps && l.p99_ms < p99 {
                    "yes"
                } else {
                    "no"
                },
            ),
            None => ("—".to_string(), "—"),
        };
        let versus = small
            .get(&l.scenario)
            .filter(|rps| **rps > 0.0)
            .map(|rps| format!("{:+.0} %", (l.rps / rps - 1.0) * 100.0))
            .unwrap_or_else(|| "—".into());
        let cost = l
            .server_cpu_us_per_request
            .map(|us| format!("{us:.0}"))
            .unwrap_or_else(|| "—".into());
        let cores = match (l.server_cores, l.load_tool_cores) {
            (Some(server), Some(tool)) => format!("{server:.2} + {tool:.2}"),
            _ => "—".into(),
        };
        writeln!(
            out,
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {goal_text} | {met} | {versus} | {cost} | {cores} |",
            l.scenario,
            l.rps,
            l.p50_ms,
            l.p99_ms,
            l.max_ms,
            statuses.join(", ")
        )?;
    }
    if let Some(kb) = peak_rss_kb {
        let mb = kb as f64 / 1024.0;
        let met = if mb <= 30.0 { "yes" } else { "no" };
        writeln!(
            out,
            "| server peak RSS | {mb:.1} MB | | | | | ≤ 30 MB | {met} | | | |"
        )?;
    }
    Ok(out)
}
