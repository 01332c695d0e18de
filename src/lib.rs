//! pmsite: a folder of blameless postmortems becomes a cross-linked static site.
//!
//! The pipeline, one module per stage (see ARCHITECTURE.md):
//! config -> content (load) -> validate -> site (model) -> render -> output.

pub mod config;
pub mod content;
pub mod diagnostic;
pub mod tree;
pub mod validate;
