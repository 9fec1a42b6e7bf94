use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

use clap::Parser;
use clap::error::ErrorKind;
use flexiapi::config::Config;
use flexiapi::console::{Cli, Command, run};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return argument_error(err),
    };
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("flexiapi: {}", one_line(&err.to_string()));
            return std::process::ExitCode::from(2);
        }
    };
    // Console commands print their result on stdout; their log stays quiet
    // unless RUST_LOG asks otherwise.
    let serving = matches!(cli.command, None | Some(Command::Serve { .. }));
    let quiet_console = !serving && std::env::var_os("RUST_LOG").is_none();
    let filter = if quiet_console {
        "warn"
    } else {
        config.log_filter.as_str()
    };
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal, not in log files.
    let ansi = std::io::stderr().is_terminal();
    let held = HeldLog::default();
    let _log_flush_guard = if quiet_console {
        // A console command's warnings wait for its outcome: a failure is
        // one line on stderr (docs/operations.md, "Console"), its error already says what the
        // warnings would; a success shows them.
        let writer = held.clone();
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(move || writer.clone())
            .with_ansi(ansi)
            .init();
        None
    } else {
        // Log lines are written by a dedicated thread, so a slow stderr (a
        // full pipe, a stalled journal) never blocks a request; the guard
        // flushes what is queued when `main` returns. The thread writes
        // what it drained in one system call (it flushes after each batch).
        // The queue's slots are allocated up front: 16 384 lines (half a
        // megabyte; the default 128 000 take 4 MB) are a quarter of a
        // second of one log line per request at full speed.
        let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
            .buffered_lines_limit(16_384)
            .finish(std::io::BufWriter::with_capacity(
                64 * 1024,
                std::io::stderr(),
            ));
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(writer)
            .with_ansi(ansi)
            .init();
        Some(guard)
    };
    match run(cli, config).await {
        Ok(()) => {
            held.write_to_stderr();
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("flexiapi: {}", one_line(&format!("{err:#}")));
            std::process::ExitCode::FAILURE
        }
    }
}

/// Log lines kept in memory until a console command ends.
#[derive(Clone, Default)]
struct HeldLog(Arc<Mutex<Vec<u8>>>);

impl HeldLog {
    fn write_to_stderr(&self) {
        let held = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        let _ = std::io::stderr().write_all(&held);
    }
}

impl Write for HeldLog {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `--help` and `--version` print as clap writes them; any other argument
/// error becomes one line on stderr with the usage hint (docs/operations.md, "Console").
fn argument_error(err: clap::Error) -> std::process::ExitCode {
    let rendered = err.render().to_string();
    let line = match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            return std::process::ExitCode::SUCCESS;
        }
        // A command group without its subcommand: clap would print the
        // whole help; its usage line says enough.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let usage = rendered.lines().find(|l| l.starts_with("Usage:"));
            condensed(&format!(
                "error: a subcommand is required\n{}",
                usage.unwrap_or("")
            ))
        }
        _ => condensed(&rendered),
    };
    eprintln!("flexiapi: {line}");
    std::process::ExitCode::from(2)
}

/// clap's several-line message as one line: the error, its context, then
/// `(usage: …; try '--help')`.
fn condensed(rendered: &str) -> String {
    let mut message = Vec::new();
    let mut usage = None;
    for line in rendered.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("Usage:") {
            usage = Some(rest.trim());
        } else if !line.starts_with("For more information") {
            message.push(line.strip_prefix("error:").unwrap_or(line).trim());
        }
    }
    let message = message.join(" ");
    match usage {
        Some(usage) => format!("{message} (usage: {usage}; try '--help')"),
        None => format!("{message} (try '--help')"),
    }
}

/// An error message on one line, whatever its causes put in it.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
