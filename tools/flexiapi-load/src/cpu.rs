//! CPU time of the server and of the load tool over a scenario, read from
//! `/proc`: with both on one machine, their sum against the core count
//! says whether the run was CPU-bound, and the server's share per request
//! is its cost.

use std::time::Duration;

/// `/proc` reports CPU times in USER_HZ ticks, 100 a second on Linux.
const TICKS_PER_SECOND: f64 = 100.0;

/// User and system CPU time of process `pid` (all its threads) so far;
/// `None` when it cannot be read (no such process, no `/proc`).
pub fn time_of(pid: u32) -> Option<Duration> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// The load tool's own CPU time so far.
pub fn own_time() -> Option<Duration> {
    time_of(std::process::id())
}

/// utime + stime of a `/proc/PID/stat` line. The command name (field 2)
/// may hold spaces and parentheses, so fields are counted after its last
/// `)`: state is field 3, utime 14, stime 15.
fn parse_stat(stat: &str) -> Option<Duration> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_secs_f64(
        (utime + stime) as f64 / TICKS_PER_SECOND,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utime_and_stime_are_read_after_the_command_name() {
        let stat = "4242 (flexi (api) x) S 1 4242 4242 0 -1 4194560 1958 0 0 0 \
                    250 75 0 0 20 0 3 0 123 1000 500";
        assert_eq!(parse_stat(stat), Some(Duration::from_millis(3250)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn the_tool_reads_its_own_time() {
        let spin = std::time::Instant::now();
        while spin.elapsed() < Duration::from_millis(50) {
            std::hint::black_box(spin.elapsed());
        }
        assert!(own_time().is_some_and(|t| t > Duration::ZERO));
    }
}
