//! `patchdx`: finds out why a Windows update failed to install, from the logs a customer sends.
//! This binary only wires the crates together; see the workspace README.

mod explain;
mod rules_cmd;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

const EXIT_CODES: &str = "\
Exit codes:
  0  nothing failed (no failed servicing operation found)
  1  a failure was diagnosed
  2  some input could not be read (wins over 1; the report still holds every finding)";

#[derive(Parser)]
#[command(name = "patchdx", version, about = "Finds out why a Windows update failed to install, from the logs a customer sends.", after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse a folder, .zip, .cab or single log: failed servicing operations with evidence.
    #[command(after_help = EXIT_CODES)]
    Analyze(AnalyzeArgs),
    /// Print every source's events merged on one UTC timeline.
    #[command(after_help = "Times given to --from/--to are UTC: 2022-09-09, 2022-09-09 15:58 or 2022-09-09T15:58:23.")]
    Timeline(TimelineArgs),
    /// Check the detection rules (lint), run their examples (test) or list them.
    Rules(rules_cmd::RulesArgs),
    /// Explain error codes (0x80073712, 80073712, -2147010798, 14098, 0xC0150004…) in English and Chinese.
    Explain(explain::ExplainArgs),
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Markdown,
    Html,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(clap::Args)]
struct AnalyzeArgs {
    /// A folder, a .zip or .cab (nested archives are opened), or a single log file.
    path: PathBuf,
    /// Print the analysis as JSON (schema patchdx.analysis/1, see docs/json-schema.md); same as --format json.
    #[arg(long)]
    json: bool,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Read every text file in this encoding instead of detecting it (utf-8, utf-16le, utf-16be, gbk, windows-1252, …).
    #[arg(long, value_name = "ENCODING")]
    encoding: Option<String>,
    /// Colour in the terminal report (auto: only on a terminal, and not with NO_COLOR, CLICOLOR=0 or TERM=dumb).
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    /// Show every cascade record, observation line and file.
    #[arg(long, short)]
    verbose: bool,
    /// Stop expanding archives after this many MiB in total (zip-bomb guard).
    #[arg(long, value_name = "MIB", default_value_t = 16384)]
    max_expand_mib: u64,
    /// Use the detection rules in this folder instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    rules: Option<PathBuf>,
    /// The KB the customer reports as failing (repeatable); checked against the KBs the logs show failing.
    #[arg(long = "reported-kb", value_name = "KB")]
    reported_kbs: Vec<String>,
    /// Instructions or links sent to the customer; the KBs they name (also inside links) are checked.
    #[arg(long, value_name = "FILE")]
    instructions: Option<PathBuf>,
    /// The bundle the customer sent before: says whether this one is identical or which files are unchanged.
    #[arg(long, value_name = "PATH")]
    previous: Option<PathBuf>,
    /// When the customer says the failure happened (machine local time, e.g. "2022-10-10 16:38").
    #[arg(long = "reported-time", value_name = "LOCAL")]
    reported_time: Option<String>,
}

#[derive(clap::Args)]
struct TimelineArgs {
    /// A folder, a .zip or .cab, or a single log file.
    path: PathBuf,
    /// Only events at or after this UTC time.
    #[arg(long, value_name = "UTC")]
    from: Option<String>,
    /// Only events at or before this UTC time.
    #[arg(long, value_name = "UTC")]
    to: Option<String>,
    /// Only events naming this update (KB5014805 or 5014805).
    #[arg(long)]
    kb: Option<String>,
    /// Only these sources (repeatable): cbs, dism, windows-update-log, reporting-events, setup-evtx, system-evtx,
    /// application-evtx, windows-update-client-evtx, sfc, panther, setup-diag, cm-trace, sessions-xml, pending-xml, setupapi, setup-compat.
    #[arg(long = "source", value_name = "SOURCE")]
    sources: Vec<String>,
    /// Only events whose message matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    grep: Option<String>,
    /// Print JSON (schema patchdx.timeline/1).
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV.
    #[arg(long)]
    csv: bool,
    /// Read every text file in this encoding instead of detecting it.
    #[arg(long, value_name = "ENCODING")]
    encoding: Option<String>,
}

/// Parses the command line; `--version` also names the engine the CBS scan uses on this CPU.
fn parse() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    if let Err(unknown) = patchdx_formats::cbs::engine_asked_for() {
        eprintln!("patchdx: warning: {unknown}; the default is used");
    }
    let long_version = format!(
        "{} (CBS scan engine: {}; {}=portable to choose the portable one)",
        env!("CARGO_PKG_VERSION"),
        patchdx_formats::cbs::engine_name(),
        patchdx_formats::cbs::ENGINE_VARIABLE
    );
    // Leaked once per process: clap keeps version texts as `&'static str`.
    let matches = Cli::command().long_version(long_version.leak() as &str).get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit())
}

fn main() -> ExitCode {
    let cli = parse();
    let result = match cli.command {
        Command::Analyze(args) => analyze(args),
        Command::Timeline(args) => timeline(args),
        Command::Explain(args) => explain::run(args),
        Command::Rules(args) => rules_cmd::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("patchdx: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn open_options(encoding: Option<&str>) -> anyhow::Result<patchdx_bundle::OpenOptions> {
    let mut options = patchdx_bundle::OpenOptions::default();
    if let Some(label) = encoding {
        options.encoding = Some(
            patchdx_bundle::TextEncoding::from_label(label)
                .with_context(|| format!("unknown encoding {label:?} for --encoding"))?,
        );
    }
    Ok(options)
}

/// Writes the output; a closed pipe (patchdx … | head) is not an error worth a panic.
fn emit(text: &str) -> anyhow::Result<()> {
    emit_to(std::io::stdout().lock(), text)
}

fn emit_to(mut out: impl Write, text: &str) -> anyhow::Result<()> {
    if let Err(err) = writeln!(out, "{text}").and_then(|()| out.flush())
        && err.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(err).context("cannot write the output");
    }
    Ok(())
}

/// Whether the text report is painted. `auto` paints only a terminal (never a pipe or an --out file), and only
/// when anstream says it wants colour: not with NO_COLOR set (or CLICOLOR=0, or TERM=dumb).
fn paints(choice: ColorChoice, to_file: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let stdout = std::io::stdout();
            !to_file && stdout.is_terminal() && anstream::AutoStream::choice(&stdout) != anstream::ColorChoice::Never
        }
    }
}

fn timeline(args: TimelineArgs) -> anyhow::Result<u8> {
    let options = open_options(args.encoding.as_deref())?;
    let time = |t: &Option<String>, flag: &str| -> anyhow::Result<Option<patchdx_formats::CivilTime>> {
        t.as_deref()
            .map(|text| {
                patchdx_diagnose::timeline::parse_time(text).with_context(|| {
                    format!("{flag} {text:?}: expected 2022-09-09, 2022-09-09 15:58 or 2022-09-09T15:58:23")
                })
            })
            .transpose()
    };
    let mut filter = patchdx_diagnose::timeline::Filter {
        from_utc: time(&args.from, "--from")?,
        to_utc: time(&args.to, "--to")?,
        kb: args.kb.clone(),
        ..Default::default()
    };
    for name in &args.sources {
        filter
            .sources
            .push(patchdx_formats::event::Source::parse(name).with_context(|| format!("unknown --source {name:?}"))?);
    }
    if let Some(re) = &args.grep {
        filter.grep =
            Some(regex::Regex::new(re).with_context(|| format!("--grep {re:?} is not a valid regular expression"))?);
    }
    let bundle = patchdx_formats::registry::open(&args.path, &options).context("cannot open the input")?;
    let (timeline, warnings) = patchdx_diagnose::timeline_of(&bundle);
    let events: Vec<&patchdx_formats::event::Event> = timeline.events.iter().filter(|e| filter.keeps(e)).collect();
    let rendered = if args.json {
        patchdx_report::render_timeline_json(&timeline, &events)
    } else if args.csv {
        patchdx_report::render_timeline_csv(&events).context("cannot write the timeline as CSV")?
    } else {
        let mut text = patchdx_report::render_timeline_text(&timeline, &events);
        for w in &warnings {
            text.push_str(&format!("\nwarning ({:?}) {}: {}", w.severity, w.path, w.message));
        }
        text
    };
    emit(&rendered)?;
    let unreadable = warnings.iter().any(|w| w.severity >= patchdx_bundle::Severity::Damaged);
    Ok(if unreadable { 2 } else { 0 })
}

fn analyze(args: AnalyzeArgs) -> anyhow::Result<u8> {
    let mut options = open_options(args.encoding.as_deref())?;
    options.limits.max_expanded_bytes = args.max_expand_mib.saturating_mul(1 << 20);
    // The rules are parsed and compiled (and the diagnosis' own patterns compiled) on another thread while the
    // bundle is read: they are needed only once the evidence is in, and cost about as much as reading a small
    // bundle.
    let rules_dir = args.rules.clone();
    let loading = std::thread::spawn(move || rules_cmd::load(rules_dir.as_deref()));
    // Not joined: a diagnosis that needs a pattern before it is ready waits for it; one that does not need it
    // never waits.
    std::thread::spawn(patchdx_diagnose::warm_up);
    let bundle = patchdx_formats::registry::open(&args.path, &options).context("cannot open the input")?;
    let case = case_input(&args)?;
    let previous = match &args.previous {
        Some(path) => {
            Some(patchdx_formats::registry::open(path, &options).context("cannot open the --previous bundle")?)
        }
        None => None,
    };
    let (analysis, timeline) = diagnose(&bundle, loading, &case, previous.as_ref())?;
    write_report(&args, &analysis, &timeline)?;
    let code = u8::try_from(analysis.verdict.exit_code).unwrap_or(2);
    // The process ends here: freeing every record of a large analysis one by one only delays the exit (about
    // 1% of a 1 GiB run). The bundle is still dropped, as it removes the scratch folder of expanded archives.
    std::mem::forget((analysis, timeline));
    Ok(code)
}

/// What the engineer says about the case: the KBs and time the customer reported, the instructions sent.
fn case_input(args: &AnalyzeArgs) -> anyhow::Result<patchdx_diagnose::case_checks::CaseInput> {
    let mut case =
        patchdx_diagnose::case_checks::CaseInput { reported_kbs: args.reported_kbs.clone(), ..Default::default() };
    if let Some(path) = &args.instructions {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read --instructions {}", path.display()))?;
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        case.instructions = Some((name, String::from_utf8_lossy(&bytes).into_owned()));
    }
    if let Some(text) = &args.reported_time {
        case.reported_failure_local = Some(
            patchdx_diagnose::timeline::parse_time(text)
                .with_context(|| format!("--reported-time {text:?}: expected 2022-10-10 or 2022-10-10 16:38"))?,
        );
    }
    Ok(case)
}

/// Diagnoses the bundle with the rules `loading` delivers; rules that failed to load or have problems are an
/// error, said once the diagnosis (which then ran without rules) is done.
fn diagnose(
    bundle: &patchdx_bundle::Bundle,
    loading: std::thread::JoinHandle<anyhow::Result<patchdx_rules::RuleSet>>,
    case: &patchdx_diagnose::case_checks::CaseInput,
    previous: Option<&patchdx_bundle::Bundle>,
) -> anyhow::Result<(patchdx_diagnose::Analysis, patchdx_diagnose::timeline::Timeline)> {
    let mut rules_failure = None;
    let take_rules = || {
        let loaded = match loading.join() {
            Ok(loaded) => loaded,
            Err(_) => Err(anyhow::anyhow!("loading the rules failed (the loading thread panicked)")),
        };
        let checked = loaded.and_then(|rules| match rules.problems.len() {
            0 => Ok(rules),
            n => Err(anyhow::anyhow!("the rules have {n} problems (run `patchdx rules lint`)")),
        });
        checked.unwrap_or_else(|err| {
            rules_failure = Some(err);
            patchdx_rules::RuleSet::default()
        })
    };
    let options = patchdx_diagnose::Options::default()
        .rules(patchdx_diagnose::Rules::Later(Box::new(take_rules)))
        .case(case.clone())
        .previous(previous);
    let patchdx_diagnose::Analyzed { analysis, timeline, .. } = patchdx_diagnose::analyze(bundle, options);
    match rules_failure {
        Some(err) => Err(err),
        None => Ok((analysis, timeline)),
    }
}

/// Renders the report in the format asked for and writes it to --out or standard output.
fn write_report(
    args: &AnalyzeArgs,
    analysis: &patchdx_diagnose::Analysis,
    timeline: &patchdx_diagnose::timeline::Timeline,
) -> anyhow::Result<()> {
    let format = if args.json { Format::Json } else { args.format };
    let painted = format == Format::Text && paints(args.color, args.out.is_some());
    let rendered = match format {
        Format::Json => patchdx_report::render_json(analysis),
        Format::Markdown => patchdx_report::render_markdown(analysis),
        Format::Html => patchdx_report::render_html(analysis, timeline),
        Format::Text => {
            patchdx_report::render_text(analysis, patchdx_report::TextOptions { color: painted, verbose: args.verbose })
        }
    };
    match &args.out {
        Some(path) => std::fs::write(path, rendered).with_context(|| format!("cannot write {}", path.display())),
        // A painted report goes through anstream, which passes the escapes on, or turns them into console calls
        // on a Windows console that does not take ANSI escapes. A plain one is written as it is: anstream's
        // stripping writer would also drop the control characters that quoted log lines may hold, and the plain
        // report has always shown those lines byte for byte.
        None if painted => emit_to(anstream::AutoStream::always(std::io::stdout().lock()), &rendered),
        None => emit(&rendered),
    }
}
