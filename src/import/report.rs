//! What an import read, wrote and left out, table by table, and why.

use std::collections::BTreeMap;
use std::fmt;

use super::source::PhpTable;

/// Why a source row was left out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Skip {
    /// The same account (same id, same address) is in the target already:
    /// a previous import brought it.
    AlreadyImported,
    /// Another account of the target has this id or this address.
    Conflict,
    /// The row's account was not imported (skipped, or already there).
    AccountNotImported,
    /// The row names an account that the source does not have.
    NoSuchAccount,
    /// A second row where the target allows one (same account and
    /// algorithm, same alias, one admin row per account…).
    Duplicate,
    /// A value that our schema cannot hold (too long, NUL character, id
    /// out of range).
    Unfit,
    /// Nonces are never carried over.
    NotCarriedOver,
}

impl Skip {
    fn explain(self) -> &'static str {
        match self {
            Skip::AlreadyImported => "already in the target (imported before)",
            Skip::Conflict => "the target has another account with this id or address",
            Skip::AccountNotImported => "its account was not imported by this run",
            Skip::NoSuchAccount => "no such account in the source",
            Skip::Duplicate => "a duplicate of a row kept",
            Skip::Unfit => "a value the target's columns cannot hold",
            Skip::NotCarriedOver => {
                "Digest nonces are not carried over (clients take a new challenge)"
            }
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct TableReport {
    pub present: bool,
    pub read: u64,
    pub imported: u64,
    pub skipped: BTreeMap<Skip, u64>,
}

impl TableReport {
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    pub fn skip(&mut self, why: Skip) {
        *self.skipped.entry(why).or_default() += 1;
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub dry_run: bool,
    pub tables: BTreeMap<PhpTable, TableReport>,
    /// One line per account left out because of another target account.
    pub conflicts: Vec<String>,
}

impl Report {
    pub fn table(&mut self, table: PhpTable) -> &mut TableReport {
        self.tables.entry(table).or_default()
    }

    /// Rows counted in the source but never met while importing their
    /// accounts belong to no source account.
    pub fn settle_orphans(&mut self) {
        for report in self.tables.values_mut() {
            let seen = report.imported + report.skipped_total();
            if report.read > seen {
                *report.skipped.entry(Skip::NoSuchAccount).or_default() += report.read - seen;
            }
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dry_run {
            writeln!(
                f,
                "Dry run: nothing was written; \"imported\" is what a real run would import."
            )?;
        }
        writeln!(
            f,
            "{:<24}{:>10}{:>10}{:>10}",
            "table", "read", "imported", "skipped"
        )?;
        for table in PhpTable::ALL {
            let report = self.tables.get(&table).cloned().unwrap_or_default();
            if !report.present {
                writeln!(f, "{:<24}  not in the source", table.name())?;
                continue;
            }
            writeln!(
                f,
                "{:<24}{:>10}{:>10}{:>10}",
                table.name(),
                report.read,
                report.imported,
                report.skipped_total()
            )?;
        }
        let mut first = true;
        for table in PhpTable::ALL {
            let Some(report) = self.tables.get(&table) else {
                continue;
            };
            for (why, count) in &report.skipped {
                if first {
                    writeln!(f, "Skipped:")?;
                    first = false;
                }
                writeln!(f, "  {}: {count} {}", table.name(), why.explain())?;
            }
        }
        for line in &self.conflicts {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}
