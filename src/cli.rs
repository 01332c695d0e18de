//! The command line: parse arguments, run the pipeline, print, pick an exit code.
//! Exit codes: 0 success (warnings allowed), 1 problems found in the content,
//! 2 pmsite could not run (bad arguments, bad pmsite.toml, unreadable folders).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::build::{self, Fatal, Options, Progress, Report};
use crate::diagnostic;
use crate::report::{self, Format, Paths};
use crate::site::{Audience, Selection};

#[derive(Parser, Debug)]
#[command(
    name = "pmsite",
    version,
    about = "Turn a folder of blameless postmortems into a cross-linked static site"
)]
pub struct Cli {
    /// Print only errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print what each stage did and how long it took
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check every postmortem and write the site
    Build(BuildArgs),
    /// Check every postmortem; write nothing
    Check(CheckArgs),
    /// Build and serve the site for a preview that follows every edit (live reload)
    Serve(ServeArgs),
    /// Search past incidents (from the index the last build left; built when missing)
    Search(SearchArgs),
    /// What the archive says about the services a change touches (for a pull request)
    Brief(BriefArgs),
    /// Start a new postmortem from the blameless template
    New(NewArgs),
    /// Create a new site: pmsite.toml, a first postmortem, CI workflows
    Init(InitArgs),
    /// Print the JSON Schema of the front matter (for editor autocompletion)
    Schema(SchemaArgs),
    /// Bring existing postmortems (Markdown, other front matter, HTML exports) into the site
    Import(ImportArgs),
}

#[derive(Args, Debug)]
struct ImportArgs {
    /// Files or folders to import (folders: every .md, .markdown, .html and .htm inside)
    #[arg(value_name = "SOURCE", required = true)]
    sources: Vec<PathBuf>,
    /// The site folder to import into (holds pmsite.toml and postmortems/)
    #[arg(long, default_value = ".", value_name = "DIR")]
    root: PathBuf,
    /// A TOML file mapping the sources' front-matter keys and values (docs/IMPORT.md)
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
    /// Report what would be imported; write nothing
    #[arg(long)]
    dry_run: bool,
    /// How to print the report: human, or json (a stable, versioned shape)
    #[arg(long, value_enum, default_value = "human")]
    format: ImportFormat,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ImportFormat {
    Human,
    Json,
}

#[derive(Args, Debug)]
struct NewArgs {
    /// The incident's title, one line
    #[arg(value_name = "TITLE")]
    title: String,
    /// The site folder (holds pmsite.toml and postmortems/)
    #[arg(long, default_value = ".", value_name = "DIR")]
    root: PathBuf,
    /// Severity level [default: the least severe configured level]
    #[arg(long, value_name = "LEVEL")]
    severity: Option<String>,
    /// A service involved (repeatable)
    #[arg(long = "service", value_name = "NAME")]
    services: Vec<String>,
    /// The day the incident started (default: SOURCE_DATE_EPOCH, or today)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    date: Option<NaiveDate>,
}

#[derive(Args, Debug)]
struct InitArgs {
    /// The folder to create the site in (created if missing)
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

#[derive(Args, Debug)]
struct SchemaArgs {
    /// The site folder: its severities and allowlists go into the schema (defaults without
    /// a pmsite.toml)
    #[arg(long, default_value = ".", value_name = "DIR")]
    root: PathBuf,
}

#[derive(Args, Debug)]
struct SearchArgs {
    /// Words to look for; "quoted phrases" match as phrases
    #[arg(value_name = "QUERY")]
    query: Vec<String>,
    #[command(flatten)]
    site: SiteArgs,
    /// The output folder of the build whose index to use [default: ROOT/public]
    #[arg(long, short, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Only incidents involving this service (repeatable)
    #[arg(long = "service", value_name = "NAME")]
    services: Vec<String>,
    /// Only incidents involving this team (repeatable)
    #[arg(long = "team", value_name = "NAME")]
    teams: Vec<String>,
    /// Only incidents of this severity (repeatable)
    #[arg(long = "severity", value_name = "LEVEL")]
    severities: Vec<String>,
    /// Only incidents with this root cause (repeatable)
    #[arg(long = "root-cause", value_name = "NAME")]
    root_causes: Vec<String>,
    /// Only incidents with this tag (repeatable)
    #[arg(long = "tag", value_name = "NAME")]
    tags: Vec<String>,
    /// Only incidents that started on or after this date
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    since: Option<NaiveDate>,
    /// How many results to show (1 to 10000)
    #[arg(long, default_value_t = 10, value_parser = parse_limit)]
    limit: usize,
    /// Order results by relevance or by date (newest first)
    #[arg(long, value_enum, default_value = "relevance")]
    sort: crate::search::Order,
    /// Print JSON (a stable, versioned shape) instead of text
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("change").required(true).args(["diff", "paths", "services"]))]
struct BriefArgs {
    /// The site folder of the incident archive (holds pmsite.toml and postmortems/)
    #[arg(long, default_value = ".", value_name = "DIR")]
    root: PathBuf,
    /// The output folder of the build to read [default: ROOT/public]; built when missing
    #[arg(long, short, value_name = "DIR")]
    output: Option<PathBuf>,
    /// A unified diff of the change (`git diff` output); `-` reads it from stdin
    #[arg(long, value_name = "FILE")]
    diff: Option<PathBuf>,
    /// The changed paths of the code repository
    #[arg(long, value_name = "FILE", num_args = 1..)]
    paths: Vec<String>,
    /// Name the services the change touches (repeatable)
    #[arg(long = "service", value_name = "NAME")]
    services: Vec<String>,
    /// A TOML file mapping services to path patterns, kept in the code repository (wins
    /// over pmsite.toml's [service_paths])
    #[arg(long, value_name = "FILE")]
    service_paths: Option<PathBuf>,
    /// The pull request's title: incidents like it come first
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// A file holding the pull request's description, ranked on with the title
    #[arg(long, value_name = "FILE")]
    body_file: Option<PathBuf>,
    /// markdown (a PR comment, with a hidden marker), json (docs/BRIEF.md) or human
    #[arg(long, value_enum, default_value = "markdown")]
    format: BriefFormat,
    /// How many past incidents to list (1 to 50)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=50))]
    limit: u16,
    /// The date against which action items are overdue (default: SOURCE_DATE_EPOCH, or today)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    today: Option<NaiveDate>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum BriefFormat {
    Markdown,
    Json,
    Human,
}

impl From<BriefFormat> for crate::brief::Format {
    fn from(format: BriefFormat) -> Self {
        match format {
            BriefFormat::Markdown => crate::brief::Format::Markdown,
            BriefFormat::Json => crate::brief::Format::Json,
            BriefFormat::Human => crate::brief::Format::Human,
        }
    }
}

#[derive(Args, Debug)]
struct ServeArgs {
    #[command(flatten)]
    build: BuildArgs,
    /// The address to listen on; anything but a loopback address makes the preview
    /// reachable from the network (a warning says so)
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    bind: std::net::IpAddr,
    /// The port (0: any free port; the URL is printed either way)
    #[arg(long, default_value_t = 1111)]
    port: u16,
    /// Open the site in the default browser
    #[arg(long)]
    open: bool,
}

#[derive(Args, Debug)]
struct SiteArgs {
    /// The site folder (holds pmsite.toml and postmortems/)
    #[arg(long, default_value = ".", value_name = "DIR")]
    root: PathBuf,
    /// Include postmortems with status = "draft"
    #[arg(long)]
    drafts: bool,
    /// Who the site is for: public (public only), internal (public and internal), restricted (all)
    #[arg(long, value_enum, default_value = "internal")]
    audience: AudienceArg,
    /// The date against which action items are overdue (default: pmsite.toml's `today`,
    /// SOURCE_DATE_EPOCH, or the clock)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    today: Option<NaiveDate>,
}

#[derive(Args, Debug)]
struct BuildArgs {
    #[command(flatten)]
    site: SiteArgs,
    /// Where to write the site [default: ROOT/public]
    #[arg(long, short, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Treat warnings as errors
    #[arg(long)]
    strict: bool,
    /// Publish at this address instead of pmsite.toml's base_url (preview deploys, forks)
    #[arg(long, value_name = "URL", value_parser = crate::config::base_url_argument)]
    base_url: Option<String>,
}

#[derive(Args, Debug)]
struct CheckArgs {
    #[command(flatten)]
    site: SiteArgs,
    /// How to print problems: human, json (stable schema), github (annotations on a PR)
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Treat warnings as errors (overdue action items, blaming language, missing sections...)
    #[arg(long)]
    strict: bool,
}

/// `--audience`: which postmortems a build publishes (see [`Audience`]).
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum AudienceArg {
    /// Public postmortems only, e.g. for an external engineering blog.
    Public,
    /// Public and internal postmortems: the company-wide archive.
    Internal,
    /// Everything, restricted postmortems included.
    Restricted,
}

impl From<AudienceArg> for Audience {
    fn from(arg: AudienceArg) -> Audience {
        match arg {
            AudienceArg::Public => Audience::Public,
            AudienceArg::Internal => Audience::Internal,
            AudienceArg::Restricted => Audience::Restricted,
        }
    }
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| match crate::content::moment::impossible(text) {
        // Written right but not a day of the calendar: say which part, as `check` does.
        Some(why) => format!("`{text}` is not a date that exists: {why}"),
        None => format!("`{text}` is not a date like 2024-03-08"),
    })
}

/// The most results `pmsite search` shows at once: more than a terminal holds, and few
/// enough that the result list it allocates is small.
const MAX_LIMIT: usize = 10_000;

fn parse_limit(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n @ 1..=MAX_LIMIT) => Ok(n),
        _ => Err(format!(
            "`{text}` is not a number of results from 1 to {MAX_LIMIT}"
        )),
    }
}

/// On SIGINT, SIGTERM or SIGHUP, removes the staging folders of a build under way, then
/// exits as the signal would have (128 + its number): the published output stays as it
/// was and nothing is left beside it.
fn clean_up_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    // Without a handler the signal still stops pmsite; the next build removes what it left.
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            crate::output::remove_staging_folders();
            std::process::exit(128 + signal);
        }
    });
}

/// Runs pmsite with `args` and returns the process exit code.
pub fn run(args: impl IntoIterator<Item = std::ffi::OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    if matches!(cli.command, Command::Build(_) | Command::Serve(_)) {
        clean_up_on_signals();
    }
    match &cli.command {
        Command::Build(args) => build(&cli, args),
        Command::Check(args) => check(&cli, args),
        Command::Serve(args) => serve(&cli, args),
        Command::Search(args) => search(&cli, args),
        Command::Brief(args) => brief(&cli, args),
        Command::New(args) => new(&cli, args),
        Command::Init(args) => init(&cli, args),
        Command::Schema(args) => schema(args),
        Command::Import(args) => import(&cli, args),
    }
}

fn selection(args: &SiteArgs) -> Selection {
    Selection {
        audience: args.audience.into(),
        drafts: args.drafts,
        today: args
            .today
            .or_else(|| configured_today(&args.root))
            .unwrap_or_else(today),
    }
}

/// pmsite.toml's `today`, when the file can be read and sets it. A file that cannot be
/// read is left to the command itself, which reports why.
fn configured_today(root: &std::path::Path) -> Option<NaiveDate> {
    crate::config::load(root)
        .ok()
        .and_then(|(config, _)| config.today)
}

/// The build date: SOURCE_DATE_EPOCH when set (reproducible builds), else the clock (UTC).
fn today() -> NaiveDate {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
        .map_or_else(|| chrono::Utc::now().date_naive(), |t| t.date_naive())
}

fn build(cli: &Cli, args: &BuildArgs) -> i32 {
    let started = Instant::now();
    let root = &args.site.root;
    let options = Options {
        root: root.clone(),
        output: Some(output_dir(args)),
        selection: selection(&args.site),
        strict: args.strict,
        policy_warnings_kept: (!cli.verbose).then_some(WARNINGS_SHOWN),
        base_url: args.base_url.clone(),
    };
    let progress = Bar::new(cli.quiet);
    let result = build::run(&options, &progress);
    progress.finish();
    let mut report = match result {
        Ok(report) => report,
        Err(fatal) => return fatal_error(&fatal, root),
    };
    let printing = Instant::now();
    print_human(cli, &report, root, !cli.verbose);
    // Printing tens of thousands of findings (--verbose shows them all) takes seconds.
    report.timings.push(("print findings", printing.elapsed()));
    if diagnostic::has_errors(&report.diagnostics) || report.built.is_none() {
        eprintln!(
            "{}: build failed: {}; the previous output was left untouched",
            error_word(),
            summary_of(&report)
        );
        return 1;
    }
    let built = report.built.as_ref().expect("checked above");
    if cli.verbose {
        print_timings(&report, started.elapsed());
        eprintln!(
            "audience {}: {} published, {} left out (drafts or outside the audience)",
            options.selection.audience.as_str(),
            built.published,
            built.left_out
        );
    }
    if !cli.quiet {
        println!(
            "Built {} postmortem{}, {} pages in {:.2} s",
            built.published,
            if built.published == 1 { "" } else { "s" },
            built.pages,
            started.elapsed().as_secs_f64()
        );
    }
    0
}

fn serve(cli: &Cli, args: &ServeArgs) -> i32 {
    let root = args.build.site.root.clone();
    let settings = crate::serve::Settings {
        options: Options {
            root: root.clone(),
            output: Some(output_dir(&args.build)),
            selection: selection(&args.build.site),
            strict: args.build.strict,
            // As `pmsite build` prints them; a page shows its own in the preview from
            // what the checks found (`preview::Update::found`).
            policy_warnings_kept: (!cli.verbose).then_some(WARNINGS_SHOWN),
            base_url: args.build.base_url.clone(),
        },
        bind: args.bind,
        port: args.port,
        open: args.open,
    };
    let console = ServeConsole {
        cli,
        root: &root,
        progress: Bar::new(cli.quiet),
    };
    match crate::serve::run(settings, &console) {
        Ok(()) => 0,
        Err(crate::serve::ServeError::Fatal(fatal)) => fatal_error(&fatal, &root),
        Err(e) => {
            eprintln!("{}: {e}", error_word());
            2
        }
    }
}

/// `pmsite serve` prints as `pmsite build` does.
struct ServeConsole<'a> {
    cli: &'a Cli,
    root: &'a std::path::Path,
    /// The first build's bar.
    progress: Bar,
}

impl crate::serve::Console for ServeConsole<'_> {
    fn progress(&self) -> &dyn Progress {
        &self.progress
    }

    fn first_build_done(&self) {
        self.progress.finish();
    }

    fn diagnostics(&self, report: &Report) {
        print_human(self.cli, report, self.root, !self.cli.verbose);
    }

    fn summary(&self, report: &Report) -> String {
        summary_of(report)
    }

    fn fatal(&self, fatal: &Fatal) {
        fatal_error(fatal, self.root);
    }

    fn error(&self, message: &str) {
        eprintln!("{}: {message}", error_word());
    }

    fn quiet(&self) -> bool {
        self.cli.quiet
    }

    fn timings(&self, report: &Report, took: std::time::Duration) {
        if self.cli.verbose {
            print_timings(report, took);
        }
    }
}

fn search(cli: &Cli, args: &SearchArgs) -> i32 {
    use crate::search::{self, Searcher};
    let root = &args.site.root;
    let output = args.output.clone().unwrap_or_else(|| root.join("public"));
    let dir = search::index_dir(&output);
    let (searcher, owner) = match Searcher::open(&dir) {
        Ok(searcher) => match search::Owner::of_index(&dir).filter(|owner| owner.belongs_to(&output)) {
            Some(owner) => (searcher, Some(owner)),
            None => {
                eprintln!(
                    "{}: the search index at {} does not belong to the site at {} \
                     (a build stopped part way, or the output was replaced): \
                     run `pmsite build` to make both again",
                    error_word(),
                    dir.display(),
                    output.display()
                );
                return 2;
            }
        },
        Err(search::SearchError::NoIndex) => {
            if !cli.quiet {
                eprintln!(
                    "No search index at {} yet: indexing {}",
                    dir.display(),
                    root.display()
                );
            }
            match build::index_only(root, &selection(&args.site), &output) {
                Ok(Ok(searcher)) => (searcher, None),
                Ok(Err(report)) => {
                    print_human(cli, &report, root, !cli.verbose);
                    eprintln!("{}: {}", error_word(), summary_of(&report));
                    return 1;
                }
                Err(fatal) => return fatal_error(&fatal, root),
            }
        }
        Err(e) => {
            eprintln!(
                "{}: cannot open the search index at {}: {e}",
                error_word(),
                dir.display()
            );
            return 2;
        }
    };
    std::thread::scope(|scope| {
        // Whether the postmortems changed since the index was made: stamping every source
        // costs more than the query on a large archive, so it runs beside it, and its note
        // follows the answer.
        let stale = owner
            .filter(|_| !cli.quiet)
            .map(|owner| scope.spawn(move || owner.is_stale(root)));
        let code = answer(args, &searcher);
        if code == 0 && stale.is_some_and(|stale| stale.join().unwrap_or(false)) {
            eprintln!(
                "note: the postmortems changed since the search index was built; \
                 `pmsite build` (or a running `pmsite serve`) brings it up to date"
            );
        }
        code
    })
}

/// Runs the query and prints what it found: exit 0, or 2 when the query is wrong.
fn answer(args: &SearchArgs, searcher: &crate::search::Searcher) -> i32 {
    use crate::search::{self, Filters};
    let filters = Filters {
        services: args.services.clone(),
        teams: args.teams.clone(),
        severities: args.severities.clone(),
        root_causes: args.root_causes.clone(),
        tags: args.tags.clone(),
        years: Vec::new(),
        since: args
            .since
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc().timestamp()),
    };
    let query = args.query.join(" ");
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let found = match searcher.search(&query, &filters, args.sort, args.limit) {
        Ok(found) => found,
        Err(error) => {
            let message = error.to_string();
            match &error {
                search::SearchError::UnknownFilter(unknown) => {
                    if args.json {
                        // A bot reads stdout: an error object, never an empty list of hits.
                        let _ = search::print_json_error(&mut out, &message, unknown);
                    }
                    eprintln!("{}: {message}\n  hint: {}", error_word(), unknown.hint());
                }
                _ => eprintln!("{}: {message}", error_word()),
            }
            return 2;
        }
    };
    let written = if args.json {
        search::print_json(&mut out, &query, &filters, args.since, args.sort, &found)
    } else {
        let styled = stdout_is_styled();
        search::print_human(&mut out, &query, &found, searcher.num_docs(), styled)
    };
    // Out before the staleness note, which waits for its own thread.
    let written = written.and_then(|()| std::io::Write::flush(&mut out));
    match written {
        // `pmsite search ... | head` closes the pipe early: that is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("{}: {e}", error_word());
            2
        }
        _ => 0,
    }
}

/// Exit 0 with a brief (also when the change touches no service), 1 when the archive has
/// errors that stop its build, 2 when the request or the files it names are wrong.
fn brief(cli: &Cli, args: &BriefArgs) -> i32 {
    use crate::brief::{self, Archive, ArchiveError, Change, Request};
    let root = &args.root;
    let output = args.output.clone().unwrap_or_else(|| root.join("public"));
    let config = match crate::config::load(root) {
        Ok((config, _)) => config,
        Err(e) => return fatal_error(&Fatal::Config(root.clone(), e), root),
    };
    let service_paths = match &args.service_paths {
        None => config.service_paths.clone(),
        Some(file) => {
            let text = match std::fs::read_to_string(file) {
                Ok(text) => text,
                Err(e) => {
                    eprintln!("{}: cannot read {}: {e}", error_word(), file.display());
                    return 2;
                }
            };
            match crate::config::parse_service_paths(file, &text, config.services.as_ref()) {
                Ok(paths) => paths,
                Err(diagnostics) => {
                    let report = Report {
                        diagnostics,
                        ..Report::default()
                    };
                    print_human(cli, &report, std::path::Path::new("."), false);
                    eprintln!("{}: {} is invalid", error_word(), file.display());
                    return 2;
                }
            }
        }
    };
    let change = if let Some(file) = &args.diff {
        let text = if file.as_os_str() == "-" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map(|_| text)
        } else {
            std::fs::read_to_string(file)
        };
        let text = match text {
            Ok(text) => text,
            Err(e) => {
                eprintln!("{}: cannot read the diff {}: {e}", error_word(), file.display());
                return 2;
            }
        };
        match brief::diff::changed_paths(&text) {
            Ok(paths) => Change::Paths(paths),
            Err(e) => {
                eprintln!(
                    "{}: {}: {e}\n  hint: give the output of `git diff BASE...HEAD`",
                    error_word(),
                    file.display()
                );
                return 2;
            }
        }
    } else if !args.paths.is_empty() {
        Change::Paths(args.paths.clone())
    } else {
        Change::Services(args.services.clone())
    };
    let mut about = args.title.clone().unwrap_or_default();
    if let Some(file) = &args.body_file {
        match std::fs::read_to_string(file) {
            Ok(body) => {
                about.push('\n');
                about.push_str(&body);
            }
            Err(e) => {
                eprintln!("{}: cannot read {}: {e}", error_word(), file.display());
                return 2;
            }
        }
    }
    let today = args.today.unwrap_or_else(today);
    let archive = match Archive::open(&output) {
        Err(missing @ (ArchiveError::Missing(_) | ArchiveError::Preview(..))) => {
            if !cli.quiet {
                match missing {
                    ArchiveError::Preview(_, url) => eprintln!(
                        "The site at {} is a preview's (its pages are at {url}): building the site first",
                        output.display()
                    ),
                    _ => eprintln!("No build at {} yet: building the site first", output.display()),
                }
            }
            let options = Options {
                root: root.clone(),
                output: Some(output.clone()),
                selection: Selection {
                    audience: Audience::Internal,
                    drafts: false,
                    today,
                },
                strict: false,
                policy_warnings_kept: Some(WARNINGS_SHOWN),
                base_url: None,
            };
            match build::run(&options, &build::NoProgress) {
                Ok(report) if report.built.is_some() && !diagnostic::has_errors(&report.diagnostics) => {}
                Ok(report) => {
                    print_human(cli, &report, root, true);
                    eprintln!("{}: build failed: {}", error_word(), summary_of(&report));
                    return 1;
                }
                Err(fatal) => return fatal_error(&fatal, root),
            }
            Archive::open(&output)
        }
        opened => opened,
    };
    let archive = match archive {
        Ok(archive) => archive,
        Err(e) => {
            eprintln!("{}: {e}", error_word());
            return 2;
        }
    };
    let request = Request {
        change,
        service_paths: &service_paths,
        about: (!about.trim().is_empty()).then_some(about),
        limit: usize::from(args.limit),
        today,
    };
    let (made, notes) = match brief::make(&archive, &request) {
        Ok(made) => made,
        Err(e) => {
            eprintln!("{}: {e}", error_word());
            return 2;
        }
    };
    if !cli.quiet {
        for note in notes {
            eprintln!("note: {note}");
        }
    }
    let text = brief::render(&made, args.format.into());
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("{}: {e}", error_word());
            2
        }
        _ => 0,
    }
}

fn new(cli: &Cli, args: &NewArgs) -> i32 {
    let new = crate::scaffold::NewPostmortem {
        title: &args.title,
        severity: args.severity.as_deref(),
        services: &args.services,
        date: args.date.unwrap_or_else(today),
    };
    match crate::scaffold::new_postmortem(&args.root, &new) {
        Ok(path) => {
            if !cli.quiet {
                println!(
                    "Created {}",
                    Paths {
                        root: args.root.clone()
                    }
                    .display(&path)
                    .display()
                );
                eprintln!("It is a draft: fill it in, run `pmsite check`, then set status = \"in_review\".");
            }
            0
        }
        Err(crate::scaffold::ScaffoldError::Config(e)) => {
            fatal_error(&Fatal::Config(args.root.clone(), e), &args.root)
        }
        Err(e) => {
            eprintln!("{}: {e}", error_word());
            2
        }
    }
}

fn init(cli: &Cli, args: &InitArgs) -> i32 {
    match crate::scaffold::init(&args.dir) {
        Ok(files) => {
            if !cli.quiet {
                println!("Created a pmsite site in {}:", args.dir.display());
                for file in files {
                    match file {
                        crate::scaffold::Scaffolded::Created(path) => println!("  {}", path.display()),
                        crate::scaffold::Scaffolded::Extended(path) => {
                            println!("  {} (pmsite's lines added at its end)", path.display())
                        }
                    }
                }
                println!(
                    "Next: `cd {}`, `pmsite new \"Title\"` for a postmortem, `pmsite serve` to preview.",
                    args.dir.display()
                );
            }
            0
        }
        Err(e) => {
            eprintln!("{}: {e}", error_word());
            2
        }
    }
}

/// Exit 0 when every file was imported, 1 when some were skipped, 2 when it could not run.
fn import(cli: &Cli, args: &ImportArgs) -> i32 {
    let options = crate::import::Options {
        sources: args.sources.clone(),
        root: args.root.clone(),
        mapping: args.mapping.clone(),
        dry_run: args.dry_run,
    };
    let report = match crate::import::run(&options) {
        Ok(report) => report,
        Err(crate::import::ImportError::Config(e)) => {
            return fatal_error(&Fatal::Config(args.root.clone(), e), &args.root);
        }
        Err(e) => {
            eprintln!("{}: {e}", error_word());
            return 2;
        }
    };
    match args.format {
        ImportFormat::Json => print!("{}", report.json()),
        ImportFormat::Human if !cli.quiet || report.skipped() > 0 => print!("{}", report.human()),
        ImportFormat::Human => {}
    }
    i32::from(report.skipped() > 0)
}

fn schema(args: &SchemaArgs) -> i32 {
    let config = match crate::config::load(&args.root) {
        Ok((config, _)) => config,
        Err(crate::config::ConfigError::Missing) => crate::config::Config::default(),
        Err(e) => return fatal_error(&Fatal::Config(args.root.clone(), e), &args.root),
    };
    let schema = crate::content::schema::json_schema(&config);
    let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("{}: {e}", error_word());
            2
        }
        _ => 0,
    }
}

fn stdout_is_styled() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn output_dir(args: &BuildArgs) -> PathBuf {
    args.output
        .clone()
        .unwrap_or_else(|| args.site.root.join("public"))
}

fn check(cli: &Cli, args: &CheckArgs) -> i32 {
    let root = &args.site.root;
    let options = Options {
        root: root.clone(),
        output: None,
        selection: selection(&args.site),
        strict: args.strict,
        policy_warnings_kept: None,
        base_url: None,
    };
    let started = Instant::now();
    let paths = Paths { root: root.clone() };
    let stdout = std::io::stdout();
    let report = match build::run(&options, &build::NoProgress) {
        Ok(report) => report,
        Err(fatal) => {
            // A bot reading --format json or github sees an invalid pmsite.toml's findings
            // too, not an empty report.
            let _ = match args.format {
                Format::Human => Ok(()),
                Format::Json => report::json(&mut stdout.lock(), fatal.diagnostics(), &paths, 0),
                Format::Github => report::github(&mut stdout.lock(), fatal.diagnostics(), &paths),
            };
            return fatal_error(&fatal, root);
        }
    };
    let result = match args.format {
        Format::Human => {
            print_human(cli, &report, root, false);
            Ok(())
        }
        Format::Json => report::json(&mut stdout.lock(), &report.diagnostics, &paths, report.files),
        Format::Github => report::github(&mut stdout.lock(), &report.diagnostics, &paths),
    };
    if let Err(e) = result {
        eprintln!("{}: cannot write the report: {e}", error_word());
        return 2;
    }
    if cli.verbose {
        print_timings(&report, started.elapsed());
    }
    let failed = diagnostic::has_errors(&report.diagnostics);
    if args.format == Format::Human && (failed || !cli.quiet) {
        let line = summary_of(&report);
        if failed {
            eprintln!("{}: {line}", error_word());
        } else {
            eprintln!("Checked: {line}");
        }
    }
    i32::from(failed)
}

/// Warnings a build or search prints before it sums up the rest: an archive imported as it
/// is can have thousands, and a CI log is no place to read them (`pmsite check` is).
const WARNINGS_SHOWN: usize = 20;

/// Prints diagnostics for a terminal: every error and every warning about the site itself;
/// policy warnings unless `--quiet`, and with `limit_warnings` only the first
/// [`WARNINGS_SHOWN`] of them and a count of the others.
fn print_human(cli: &Cli, report: &Report, root: &std::path::Path, limit_warnings: bool) {
    let mut warnings = 0;
    let shown: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| {
            if d.level == diagnostic::Level::Error {
                return true;
            }
            if cli.quiet {
                return false;
            }
            // Policy warnings are the only ones an archive can have by the thousand.
            if !d.code.is_policy() {
                return true;
            }
            warnings += 1;
            !limit_warnings || warnings <= WARNINGS_SHOWN
        })
        .cloned()
        .collect();
    let hidden = if cli.quiet || !limit_warnings {
        0
    } else {
        warnings.saturating_sub(WARNINGS_SHOWN) + report.left_out.warnings
    };
    let stderr = std::io::stderr();
    let styled = anstream::ColorChoice::global() != anstream::ColorChoice::Never && stderr.is_terminal();
    let mut out = anstream::AutoStream::auto(stderr.lock());
    let _ = report::human(
        &mut out,
        &shown,
        &Paths {
            root: root.to_path_buf(),
        },
        styled,
    );
    if hidden > 0 {
        let _ = writeln!(
            out,
            "... and {hidden} more policy warning{}: `pmsite check` (or --verbose) lists them all",
            if hidden == 1 { "" } else { "s" }
        );
    }
    let _ = out.flush();
}

/// The one-line count of a run's problems ("2 errors, 5 warnings in 3 of 40 postmortems").
fn summary_of(report: &Report) -> String {
    report::summary(&report.diagnostics, &report.left_out, report.files)
}

/// Each stage's time, then the whole run's and what no stage accounts for (which should
/// stay near zero: a slow step outside every stage hides from this list).
fn print_timings(report: &Report, total: std::time::Duration) {
    let width = report
        .timings
        .iter()
        .map(|(stage, _)| stage.len())
        .chain([18])
        .max()
        .unwrap_or_default();
    for (stage, took) in &report.timings {
        eprintln!("{stage:>width$}: {:.3} s", took.as_secs_f64());
    }
    let staged: std::time::Duration = report.timings.iter().map(|(_, took)| *took).sum();
    eprintln!(
        "{:>width$}: {:.3} s",
        "in no stage",
        total.saturating_sub(staged).as_secs_f64()
    );
    eprintln!("{:>width$}: {:.3} s", "total", total.as_secs_f64());
}

fn fatal_error(fatal: &Fatal, root: &std::path::Path) -> i32 {
    let stderr = std::io::stderr();
    let styled = stderr.is_terminal();
    let mut out = anstream::AutoStream::auto(stderr.lock());
    let _ = report::human(
        &mut out,
        fatal.diagnostics(),
        &Paths {
            root: root.to_path_buf(),
        },
        styled,
    );
    let _ = writeln!(out, "{}: {fatal}", error_word());
    2
}

fn error_word() -> String {
    let style = anstyle::Style::new()
        .bold()
        .fg_color(Some(anstyle::AnsiColor::Red.into()));
    if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        format!("{style}error{style:#}")
    } else {
        "error".into()
    }
}

/// A progress bar on a terminal; nothing at all in CI or with `--quiet`.
struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    fn new(quiet: bool) -> Bar {
        let visible = !quiet && std::io::stderr().is_terminal();
        Bar {
            bar: visible.then(|| {
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template("{prefix:>10.cyan.bold} [{bar:30}] {pos}/{len} pages")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                );
                bar
            }),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn stage(&self, name: &str, total: usize) {
        if let Some(bar) = &self.bar {
            bar.set_prefix(name.to_string());
            bar.set_length(total as u64);
            bar.set_position(0);
        }
    }

    fn advance(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}
