//! `patchdx`: finds out why a Windows update failed to install, from the logs a customer sends.
//! This binary only wires the crates together; see the workspace README.

mod explain;

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
    /// Explain error codes (0x80073712, 80073712, -2147010798, 14098, 0xC0150004…) in English and Chinese.
    Explain(explain::ExplainArgs),
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
    /// Print the analysis as JSON (schema patchdx.analysis/1, see docs/json-schema.md).
    #[arg(long)]
    json: bool,
    /// Read every text file in this encoding instead of detecting it (utf-8, utf-16le, utf-16be, gbk, windows-1252, …).
    #[arg(long, value_name = "ENCODING")]
    encoding: Option<String>,
    /// Colour in the terminal report (auto honours NO_COLOR and non-terminal output).
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
    /// Show every cascade record, observation line and file.
    #[arg(long, short)]
    verbose: bool,
    /// Stop expanding archives after this many MiB in total (zip-bomb guard).
    #[arg(long, value_name = "MIB", default_value_t = 16384)]
    max_expand_mib: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => analyze(args),
        Command::Explain(args) => explain::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("patchdx: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn analyze(args: AnalyzeArgs) -> anyhow::Result<u8> {
    let mut options = patchdx_bundle::OpenOptions::default();
    if let Some(label) = &args.encoding {
        options.encoding = Some(
            patchdx_bundle::TextEncoding::from_label(label)
                .with_context(|| format!("unknown encoding {label:?} for --encoding"))?,
        );
    }
    options.limits.max_expanded_bytes = args.max_expand_mib.saturating_mul(1 << 20);
    let bundle = patchdx_bundle::open(&args.path, &options).context("cannot open the input")?;
    let analysis = patchdx_diagnose::analyze(&bundle);
    let rendered = if args.json {
        patchdx_report::render_json(&analysis)
    } else {
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        patchdx_report::render_text(
            &analysis,
            patchdx_report::TextOptions {
                color,
                verbose: args.verbose,
            },
        )
    };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (patchdx … | head) is not an error worth a panic.
    if let Err(err) = writeln!(stdout, "{rendered}").and_then(|()| stdout.flush())
        && err.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(err).context("cannot write the report");
    }
    Ok(u8::try_from(analysis.verdict.exit_code).unwrap_or(2))
}
