//! The import report: per file, what was mapped, inferred, left as text and what a person
//! should review; as text for people or as versioned JSON for scripts.

use std::fmt::Write;

use serde::Serialize;

/// The version of the JSON shape; raised when a field changes meaning or goes away.
pub const JSON_VERSION: u32 = 1;

/// What the report says about one file: each list is shown under its own heading.
#[derive(Debug, Default, Serialize)]
pub struct Notes {
    /// `field <- source key`.
    pub mapped: Vec<String>,
    /// A field read from the text, and where from.
    pub inferred: Vec<String>,
    /// What stayed in the body as written although it looked like data.
    pub left_as_text: Vec<String>,
    /// What a person should check.
    pub review: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    Imported { to: String },
    WouldImport { to: String },
    Skipped { reason: String },
}

#[derive(Debug, Serialize)]
pub struct FileReport {
    pub source: String,
    #[serde(flatten)]
    pub outcome: Outcome,
    #[serde(flatten)]
    pub notes: Notes,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub version: u32,
    pub dry_run: bool,
    pub files: Vec<FileReport>,
}

impl Report {
    pub fn skipped(&self) -> usize {
        self.files
            .iter()
            .filter(|f| matches!(f.outcome, Outcome::Skipped { .. }))
            .count()
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report is plain data") + "\n"
    }

    pub fn human(&self) -> String {
        let mut out = String::new();
        for file in &self.files {
            let _ = match &file.outcome {
                Outcome::Imported { to } => writeln!(out, "{} -> {to}", file.source),
                Outcome::WouldImport { to } => {
                    writeln!(out, "{} -> {to} (dry run: not written)", file.source)
                }
                Outcome::Skipped { reason } => writeln!(out, "{}: skipped: {reason}", file.source),
            };
            let lists = [
                ("mapped", &file.notes.mapped),
                ("inferred", &file.notes.inferred),
                ("left as text", &file.notes.left_as_text),
                ("review", &file.notes.review),
            ];
            for (name, items) in lists {
                for item in items {
                    let _ = writeln!(out, "  {name}: {item}");
                }
            }
        }
        let imported = self.files.len() - self.skipped();
        let _ = writeln!(
            out,
            "{} {imported} file{}, skipped {}",
            if self.dry_run { "Would import" } else { "Imported" },
            if imported == 1 { "" } else { "s" },
            self.skipped()
        );
        out
    }
}
