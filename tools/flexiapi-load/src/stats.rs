//! What a scenario measured: latencies and status counts of every worker,
//! merged into one report.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

/// One worker's measurements.
#[derive(Default)]
pub struct Samples {
    /// Microseconds, one per completed request.
    latencies: Vec<u32>,
    statuses: BTreeMap<u16, u64>,
    errors: u64,
}

impl Samples {
    pub fn record(&mut self, status: u16, latency: Duration) {
        self.latencies
            .push(latency.as_micros().min(u32::MAX as u128) as u32);
        *self.statuses.entry(status).or_default() += 1;
    }

    /// A request that got no HTTP answer (connection refused or reset).
    pub fn record_error(&mut self) {
        self.errors += 1;
    }

    pub fn merge(&mut self, other: Samples) {
        self.latencies.extend(other.latencies);
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.errors += other.errors;
    }
}

/// The JSON line printed for a scenario.
#[derive(Serialize)]
pub struct Report {
    pub scenario: &'static str,
    pub workers: usize,
    pub seconds: f64,
    pub requests: u64,
    pub rps: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub statuses: BTreeMap<String, u64>,
    pub errors: u64,
    /// Cores the server kept busy on average while measured (its CPU
    /// seconds over the measured seconds); absent without `--server-pid`.
    pub server_cores: Option<f64>,
    /// Server CPU microseconds per request.
    pub server_cpu_us_per_request: Option<f64>,
    /// Cores the load tool itself kept busy.
    pub load_tool_cores: Option<f64>,
}

/// CPU time spent while a scenario was measured.
pub struct CpuSpent {
    pub server: Option<Duration>,
    pub load_tool: Option<Duration>,
}

impl Report {
    pub fn new(
        scenario: &'static str,
        workers: usize,
        elapsed: Duration,
        mut all: Samples,
        cpu: CpuSpent,
    ) -> Self {
        all.latencies.sort_unstable();
        let percentile = |p: f64| -> f64 {
            if all.latencies.is_empty() {
                return 0.0;
            }
            let rank = ((p / 100.0) * all.latencies.len() as f64).ceil() as usize;
            let index = rank.clamp(1, all.latencies.len()) - 1;
            millis(all.latencies[index])
        };
        let requests = all.latencies.len() as u64;
        let seconds = elapsed.as_secs_f64();
        Report {
            scenario,
            workers,
            seconds: round(seconds),
            requests,
            rps: round(requests as f64 / seconds),
            p50_ms: percentile(50.0),
            p90_ms: percentile(90.0),
            p99_ms: percentile(99.0),
            max_ms: all.latencies.last().copied().map(millis).unwrap_or(0.0),
            statuses: all
                .statuses
                .iter()
                .map(|(status, n)| (status.to_string(), *n))
                .collect(),
            errors: all.errors,
            server_cores: cpu.server.map(|t| round(t.as_secs_f64() / seconds)),
            server_cpu_us_per_request: cpu
                .server
                .filter(|_| requests > 0)
                .map(|t| round(t.as_secs_f64() * 1e6 / requests as f64)),
            load_tool_cores: cpu.load_tool.map(|t| round(t.as_secs_f64() / seconds)),
        }
    }
}

fn millis(micros: u32) -> f64 {
    round(micros as f64 / 1000.0)
}

fn round(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut samples = Samples::default();
        for micros in 1..=100u64 {
            samples.record(200, Duration::from_micros(micros * 1000));
        }
        samples.record_error();
        let cpu = CpuSpent {
            server: Some(Duration::from_millis(3000)),
            load_tool: None,
        };
        let report = Report::new("x", 1, Duration::from_secs(2), samples, cpu);
        assert_eq!(report.requests, 100);
        assert_eq!(report.rps, 50.0);
        assert_eq!(
            (report.p50_ms, report.p90_ms, report.p99_ms, report.max_ms),
            (50.0, 90.0, 99.0, 100.0)
        );
        assert_eq!(report.statuses["200"], 100);
        assert_eq!(report.errors, 1);
        assert_eq!(report.server_cores, Some(1.5));
        assert_eq!(report.server_cpu_us_per_request, Some(30_000.0));
        assert_eq!(report.load_tool_cores, None);
    }
}
