//! The `eastwest` command: read manifests on stdin, write them augmented on stdout.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use eastwest::error::Error;
use eastwest::{ConfigFile, Options};

mod sniff;

/// Inputs larger than this are refused rather than buffered.
const DEFAULT_MAX_INPUT: u64 = 512 * 1024 * 1024;

#[derive(Parser)]
#[command(
    name = "eastwest",
    version,
    about = "Turn rendered Istio manifests into a multi-network, multi-cluster mesh",
    long_about = "Reads Kubernetes manifests on stdin (a YAML stream, a List, JSON, or a KRM ResourceList), \
applies a MeshNetwork config and writes the augmented manifests on stdout. Objects it does not \
change come out byte for byte as they went in. An empty stream writes nothing; the cluster's \
standalone set comes only from `eastwest generate`.",
    after_help = "\
Examples:
  Pipe:               helm template istiod istio/istiod -n istio-system | eastwest --config mesh.yaml | kubectl apply -f -
  Standalone set:     eastwest generate --config mesh.yaml --cluster eu
  Helm 3:             helm install istiod istio/istiod --post-renderer eastwest --post-renderer-args --config=mesh.yaml
  Helm 4 plugin:      helm plugin install . && helm install istiod istio/istiod --post-renderer eastwest --post-renderer-args=--config=mesh.yaml
  kustomize (legacy): KUSTOMIZE_PLUGIN_HOME=$PWD/functions/plugins kubectl kustomize --enable-alpha-plugins DIR
  KRM function:       kustomize build --enable-alpha-plugins --enable-exec DIR
  kpt:                kpt fn eval DIR --exec eastwest --fn-config mesh.yaml
  Editor schema:      eastwest schema > meshnetwork.schema.json

Errors go to stderr. Under Helm 4, which discards a plugin's stderr, the message is also
handed to Helm as the post-rendered output (Helm refuses it and prints it), written to the
terminal when there is one, and appended with a timestamp to $EASTWEST_ERROR_LOG (default:
eastwest-error.log in the system temp directory)."
)]
struct Cli {
    /// The MeshNetwork config file (kustomize's legacy exec plugins pass it as the only argument).
    #[arg(value_name = "CONFIG")]
    config_path: Option<PathBuf>,
    /// The MeshNetwork config file.
    #[arg(short, long, value_name = "PATH", conflicts_with = "config_path")]
    config: Option<PathBuf>,
    /// The cluster being rendered (overrides spec.cluster).
    #[arg(long, value_name = "NAME")]
    cluster: Option<String>,
    /// Refuse inputs larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_INPUT)]
    max_input_bytes: u64,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the cluster's whole standalone set (Namespace, east-west gateway, Gateways,
    /// ServiceEntries) without reading stdin, for pipes and GitOps.
    Generate(GenerateArgs),
    /// Print the JSON Schema of the MeshNetwork config.
    Schema,
    /// Print a shell completion script.
    Completions {
        /// The shell: bash, elvish, fish, powershell or zsh.
        #[arg(value_enum)]
        shell: Option<clap_complete::Shell>,
    },
    /// Check every cluster's rendered manifests together: identity, every allowed call path, trust.
    #[command(
        after_help = "Exit status: 0 no errors (warnings allowed), 1 errors, 2 usage (a cluster missing, an unknown cluster, unreadable input)."
    )]
    Check {
        /// The MeshNetwork config of the whole mesh.
        #[arg(short, long, value_name = "PATH")]
        config: PathBuf,
        /// Report format.
        #[arg(short, long, value_enum, default_value_t = CheckOutput::Text)]
        output: CheckOutput,
        /// One per cluster of the config: what will be applied to it (a file, `-` for stdin, or a directory).
        #[arg(value_name = "CLUSTER=PATH")]
        renders: Vec<String>,
    },
    /// Draw the mesh of a config (clusters by network, gateways, links, services).
    Graph {
        /// The MeshNetwork config of the whole mesh.
        #[arg(short, long, value_name = "PATH")]
        config: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CheckOutput {
    Text,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum GraphFormat {
    Mermaid,
    Dot,
}

/// `eastwest check`: exit 0 clean, 1 errors, 2 usage.
fn check_command(config: &std::path::Path, output: CheckOutput, renders: &[String], max_input: u64) -> ExitCode {
    let run = || -> Result<(eastwest::check::topology::Topology, eastwest::check::Report), Error> {
        let text = std::fs::read_to_string(config)
            .map_err(|e| Error::Usage(format!("cannot read config {}: {e}", config.display())))?;
        eastwest::check::run(&text, &config.display().to_string(), renders, || {
            read_stdin(max_input).map_err(|e| Error::Usage(e.to_string()))
        })
    };
    match run() {
        Ok((topo, report)) => {
            let text = match output {
                CheckOutput::Json => eastwest::check::to_json(&report),
                CheckOutput::Text => eastwest::check::to_text(&topo, &report),
            };
            let written = write_stdout(&text);
            if written != ExitCode::SUCCESS {
                return written;
            }
            if report.errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            report(&e);
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// `eastwest graph`: the config's mesh as Mermaid or DOT.
fn graph_command(config: &std::path::Path, format: GraphFormat) -> ExitCode {
    let topo = std::fs::read_to_string(config)
        .map_err(|e| Error::Usage(format!("cannot read config {}: {e}", config.display())))
        .and_then(|text| eastwest::check::topology::from_text(&text, &config.display().to_string()));
    match topo {
        Ok(topo) => {
            let format = match format {
                GraphFormat::Mermaid => eastwest::graph::Format::Mermaid,
                GraphFormat::Dot => eastwest::graph::Format::Dot,
            };
            write_stdout(&eastwest::graph::render(&topo, format))
        }
        Err(e) => {
            report(&e);
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

#[derive(clap::Args)]
struct GenerateArgs {
    /// The MeshNetwork config file.
    #[arg(short, long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// The cluster to generate for (overrides spec.cluster).
    #[arg(long, value_name = "NAME")]
    cluster: Option<String>,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print as clap formats them; a usage error is one line, like
        // every other error.
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => return usage_error(&e),
    };
    let result = match &cli.command {
        Some(Command::Generate(args)) => generate(&cli, args),
        Some(Command::Schema) => {
            let schema = serde_json::to_string_pretty(&eastwest::config::json_schema()).unwrap_or_default();
            return write_stdout(&(schema + "\n"));
        }
        Some(Command::Completions { shell: Some(shell) }) => {
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "eastwest", &mut out);
            return write_stdout(&String::from_utf8_lossy(&out));
        }
        Some(Command::Completions { shell: None }) => Err(Error::Usage(format!(
            "completions needs a SHELL, one of: {} (e.g. eastwest completions bash > /etc/bash_completion.d/eastwest)",
            shell_names().join(", ")
        ))
        .into()),
        Some(Command::Check { config, output, renders }) => {
            return check_command(config, *output, renders, cli.max_input_bytes);
        }
        Some(Command::Graph { config, format }) => return graph_command(config, *format),
        None => filter(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => fail(failure),
    }
}

/// One line for a command-line mistake, keeping clap's "did you mean" suggestion.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue};
    // `eastwest generat --config x`: clap took the word for the positional CONFIG.
    if let Some(word) = std::env::args().nth(1).filter(|w| !w.starts_with('-')) {
        if let Some(name) = similar_subcommand(&word).filter(|name| *name != word) {
            eprintln!("eastwest: '{word}' is not a subcommand; did you mean '{name}'? (see eastwest --help)");
            return ExitCode::from(2);
        }
    }
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("invalid arguments").trim_start_matches("error: ");
    let suggestion = [ContextKind::SuggestedArg, ContextKind::SuggestedSubcommand, ContextKind::SuggestedValue]
        .into_iter()
        .find_map(|kind| match e.get(kind) {
            Some(ContextValue::String(s)) => Some(s.clone()),
            Some(ContextValue::Strings(v)) if !v.is_empty() => Some(v.join("' or '")),
            _ => None,
        });
    match suggestion {
        Some(s) => eprintln!("eastwest: {first}; did you mean '{s}'? (see eastwest --help)"),
        None => eprintln!("eastwest: {first} (see eastwest --help)"),
    }
    ExitCode::from(2)
}

fn shell_names() -> Vec<String> {
    use clap::ValueEnum;
    clap_complete::Shell::value_variants()
        .iter()
        .filter_map(|s| s.to_possible_value().map(|v| v.get_name().to_owned()))
        .collect()
}

/// The subcommand a mistyped word was probably meant to be (`schma` -> `schema`), the way
/// clap suggests: Jaro similarity above 0.7.
fn similar_subcommand(word: &str) -> Option<String> {
    Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .map(|name| (strsim::jaro(word, &name), name))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
}

fn read_config(path: &std::path::Path, positional: bool) -> Result<ConfigFile, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(ConfigFile { origin: path.display().to_string(), text }),
        Err(e) => {
            let word = path.to_string_lossy();
            if positional && !path.exists() {
                if let Some(name) = similar_subcommand(&word) {
                    return Err(Error::Usage(format!(
                        "'{word}' is neither a subcommand nor a config file; did you mean '{name}'? (see eastwest --help)"
                    )));
                }
            }
            Err(Error::Usage(format!("cannot read config {}: {e}", path.display())))
        }
    }
}

/// `eastwest generate`: the standalone set, asked for by name (never inferred from an empty
/// stdin, so a failed `helm template | eastwest | kubectl apply` applies nothing).
fn generate(cli: &Cli, args: &GenerateArgs) -> Result<(), eastwest::Failure> {
    let path = args.config.as_ref().or(cli.config.as_ref()).ok_or_else(|| {
        Error::Usage("generate needs the mesh config: eastwest generate --config mesh.yaml [--cluster NAME]".into())
    })?;
    let options = Options {
        config: Some(read_config(path, false)?),
        cluster: args.cluster.clone().or_else(|| cli.cluster.clone()),
        standalone: true,
    };
    let mut out =
        std::io::BufWriter::with_capacity(1 << 16, ClosedPipeIsFine { inner: std::io::stdout().lock(), closed: false });
    let warnings = eastwest::run_to("", &options, &mut out)?;
    print_warnings(&warnings);
    out.flush().map_err(|e| Error::Io(format!("cannot write output: {e}")).into())
}

fn filter(cli: &Cli) -> Result<(), eastwest::Failure> {
    let config = match (&cli.config, &cli.config_path) {
        (Some(path), _) => Some(read_config(path, false)?),
        (None, Some(path)) => Some(read_config(path, true)?),
        (None, None) => None,
    };
    let input = read_stdin(cli.max_input_bytes)?;
    let options = Options { config, cluster: cli.cluster.clone(), standalone: false };
    let mut out =
        std::io::BufWriter::with_capacity(1 << 16, ClosedPipeIsFine { inner: std::io::stdout().lock(), closed: false });
    let warnings = eastwest::run_to(&input, &options, &mut out).map_err(|mut failure| {
        // Input that is clearly another format gets told so, not a YAML parser's complaint.
        if matches!(failure.error, Error::Input(_) | Error::Syntax { .. }) {
            if let Some(what) = sniff::other_format(&input) {
                failure.error = Error::Input(format!(
                    "input is not Kubernetes YAML or JSON: {what}; eastwest reads rendered manifests \
                     (helm template, kustomize build) on stdin"
                ));
            }
        }
        failure
    })?;
    print_warnings(&warnings);
    out.flush().map_err(|e| Error::Io(format!("cannot write output: {e}")).into())
}

/// Warnings never stop the run: one line each on stderr, exit 0.
fn print_warnings(warnings: &[eastwest::Warning]) {
    for warning in warnings {
        let _ = writeln!(std::io::stderr(), "eastwest: warning: {warning}");
    }
}

/// Report a failure and choose the exit code.
fn fail(failure: eastwest::Failure) -> ExitCode {
    report(&failure.error);
    if let Some(krm) = failure.output {
        let _ = write_stdout(&krm);
    } else if helm4_plugin() {
        // Helm 4 drops a failed plugin's stderr and output alike. What it does show is a
        // post-rendered document that is not a mapping: `error parsing YAML: wrong node kind:
        // expected MappingNode but got ScalarNode: node contents: "<the message>"`. So hand
        // it the message as one scalar document and exit 0; Helm refuses the render either
        // way, and this is the only way the message reaches a non-interactive user (CI).
        let scalar = serde_json::to_string(&format!("eastwest: {}", failure.error)).unwrap_or_default();
        if write_stdout(&format!("{scalar}\n")) == ExitCode::SUCCESS {
            return ExitCode::SUCCESS;
        }
    }
    ExitCode::from(failure.error.exit_code() as u8)
}

/// Run by Helm 4 as a post-renderer plugin (Helm sets HELM_PLUGIN_NAME for its plugins).
fn helm4_plugin() -> bool {
    std::env::var_os("HELM_PLUGIN_NAME").is_some()
}

/// stdout that treats a reader going away (`eastwest ... | head`) as the end of the job,
/// not an error: the rest of the output is dropped quietly.
struct ClosedPipeIsFine<W: Write> {
    inner: W,
    closed: bool,
}

impl<W: Write> Write for ClosedPipeIsFine<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.inner.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}

fn read_stdin(limit: u64) -> Result<String, Error> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(Error::Usage(
            "no manifests on stdin (it is a terminal): pipe them in (helm template ... | eastwest --config mesh.yaml), \
             or print the standalone set with eastwest generate --config mesh.yaml"
                .into(),
        ));
    }
    // When stdin is a file, read it into one allocation of the right size: growing the
    // buffer by doubling costs more than parsing on big inputs (fresh pages, copies).
    let size_hint = std::fs::metadata("/dev/stdin").ok().filter(|m| m.is_file()).map_or(0, |m| m.len().min(limit));
    let mut bytes = Vec::with_capacity(usize::try_from(size_hint).unwrap_or(0).saturating_add(1));
    stdin
        .lock()
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Io(format!("cannot read stdin: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(Error::Input(format!(
            "input is larger than {limit} bytes; refusing to buffer it (raise --max-input-bytes)"
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Error::Input(format!("input is not valid UTF-8 (first bad byte at offset {at})"))
    })
}

/// Print a whole text (schema, completions, KRM failure reports).
fn write_stdout(text: &str) -> ExitCode {
    let mut out = ClosedPipeIsFine { inner: std::io::stdout().lock(), closed: false };
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eastwest: cannot write output: {e}");
            ExitCode::from(1)
        }
    }
}

/// One line on stderr. Helm 4 throws plugin stderr away, so under Helm also write the line
/// to the terminal (when there is one) and, with a UTC timestamp, to a log file whose path
/// the README names.
fn report(error: &Error) {
    let line = format!("eastwest: {error}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
    if !helm4_plugin() {
        return;
    }
    if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
        let _ = tty.write_all(line.as_bytes());
    }
    let log = std::env::var_os("EASTWEST_ERROR_LOG")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("eastwest-error.log"));
    if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(&log) {
        let stamp = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ");
        let _ = file.write_all(format!("{stamp} {line}").as_bytes());
    }
}
