//! Integration tests: the real `pmsite` binary on fixture sites in temporary folders.
//! One test binary (as just and ripgrep do), one module per feature.

mod test;

mod authoring;
mod blameless;
mod brief;
mod browser;
mod build;
mod check;
mod deploy;
mod example;
mod follow_through;
mod hardening;
mod import;
mod live;
mod markdown;
mod output;
mod policy;
mod review;
mod search;
mod search_client;
mod serve;
mod similar;
