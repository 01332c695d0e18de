//! pmsite: a folder of blameless postmortems becomes a cross-linked static site.
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//! config -> content (load) -> validate -> check (policy) -> site -> search -> model -> render
//! -> output.
//! `build` runs the stages in order; `cli` and `report` are the edges where arguments come
//! in and diagnostics go out.

pub mod brief;
pub mod build;
pub mod check;
pub mod cli;
pub mod config;
pub mod content;
pub mod diagnostic;
pub mod import;
pub mod memory;
pub mod model;
pub mod output;
pub mod preview;
pub mod render;
pub mod report;
pub mod scaffold;
pub mod search;
pub mod serve;
pub mod site;
pub mod theme;
pub mod tree;
pub mod validate;
