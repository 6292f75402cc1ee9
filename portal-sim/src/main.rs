//! `portal-sim`: drops simulated portal archives into a folder.

use std::path::PathBuf;

use clap::Parser;
use msp_plugins::Registry;
use portal_sim::{Archive, Broken, Style};

/// Writes inbound archives the way the portal drops them.
/// msp's input folder under the default root, in the system's own spelling.
const DEFAULT_OUT: &str = if cfg!(windows) {
    r"msp-data\entree"
} else {
    "msp-data/entree"
};

#[derive(Parser, Debug)]
#[command(name = "portal-sim", version, about)]
struct Args {
    /// Folder to write into (the msp input folder), created if missing.
    #[arg(long, default_value = DEFAULT_OUT)]
    out: PathBuf,
    /// How many dossiers.
    #[arg(long, default_value_t = 5)]
    count: u32,
    /// CodeINSEE to route them to.
    #[arg(long, default_value = "75056")]
    insee: String,
    /// Flows to generate, in turn (repeatable; default: RCO-LA, AEC-LA,
    /// ILE-LA). RCO-LA, AEC-LA and ILE-LA get varied generated people; any
    /// other built-in flow gets its plugin's sample document.
    #[arg(long = "flow", value_name = "CODE")]
    flows: Vec<String>,
    /// Prefix of the generated dossier numbers.
    #[arg(long, default_value = "A-2-SIM")]
    prefix: String,
    /// Wrap this data document instead of generated ones (for the flow
    /// given with --flow, RCO-LA by default).
    #[arg(long, value_name = "FILE")]
    document: Option<PathBuf>,
    /// The `Document/Code` of --document (default: the flow's sample's).
    #[arg(long, value_name = "CODE")]
    document_code: Option<String>,
    /// The archives' shape: `portal` as the real portal sends them (header
    /// `-ent-<N>.xml`, the form's PDF as a document, the full PEC header),
    /// or `seed` as the 2013 protocol description shows them.
    #[arg(long, value_enum, default_value_t = StyleArg::Portal)]
    style: StyleArg,
    /// Make every archive broken this way, to try msp's error workflow
    /// (the error folder, its French logs, `msp errors`, the console's
    /// Rejets page).
    #[arg(long, value_enum, value_name = "KIND")]
    broken: Option<Broken>,
}

/// `--style`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum StyleArg {
    /// As the real portal sends them.
    Portal,
    /// As the 2013 seed describes them.
    Seed,
}

/// Generated with varied data by portal-sim itself.
const GENERATED: &[&str] = &["RCO-LA", "AEC-LA", "ILE-LA"];

/// `portal-sim hubee`: the HubEE simulator.
#[derive(Parser, Debug)]
#[command(
    name = "portal-sim hubee",
    version,
    about = "Serves a simulated HubEE (token endpoint, /teledossiers/v1, the portal's side under /sim/)"
)]
struct HubeeArgs {
    /// Address to listen on (port 0: any free port, printed).
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: std::net::SocketAddr,
    /// A subscription the token endpoint knows, `ID:SECRET:PROCESS`
    /// (repeatable), e.g. `belfort-rco:s3cret:recensementCitoyen`.
    #[arg(long = "client", value_name = "ID:SECRET:PROCESS")]
    clients: Vec<String>,
}

fn hubee(args: HubeeArgs) -> Result<(), String> {
    let mut subscribers = Vec::new();
    for c in &args.clients {
        let mut parts = c.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(id), Some(secret), Some(process)) => {
                subscribers.push(portal_sim::hubee::Subscriber {
                    client_id: id.into(),
                    secret: secret.into(),
                    process: process.into(),
                })
            }
            _ => return Err(format!("--client {c}: expected ID:SECRET:PROCESS")),
        }
    }
    portal_sim::hubee::serve(portal_sim::hubee::Options {
        listen: args.listen,
        subscribers,
    })
    .map_err(|e| format!("{}: {e}", args.listen))
}

fn main() -> std::process::ExitCode {
    let result = if std::env::args().nth(1).as_deref() == Some("hubee") {
        hubee(HubeeArgs::parse_from(std::env::args().skip(1)))
    } else {
        run(Args::parse())
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portal-sim: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    let registry = msp_builtin::registry();
    let flows = if args.flows.is_empty() {
        GENERATED.iter().map(|f| f.to_string()).collect()
    } else {
        args.flows.clone()
    };
    check_flows(&args, &registry, &flows)?;
    let fixed = given_document(&args, &registry, &flows)?;
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let stamp = chrono::Local::now().format("%H%M%S");
    for i in 1..=args.count {
        let numero = format!("{}{stamp}{i:03}", args.prefix);
        let flow = &flows[(i as usize - 1) % flows.len()];
        let archive = archive(&args, &registry, fixed.as_ref(), flow, &numero)?;
        // Never over an archive already there (the same --prefix within the
        // same second): it would be lost without a word.
        if args.out.join(archive.file_name()).exists() {
            return Err(format!(
                "{} is already in {}: not overwritten (give another --prefix)",
                archive.file_name(),
                args.out.display()
            ));
        }
        let path = archive
            .write_to(&args.out)
            .map_err(|e| format!("{}: {e}", args.out.display()))?;
        println!("{}", path.display());
    }
    Ok(())
}

/// Refuses an unknown flow, never silently another flow's archives (a
/// given document with its code may be for any flow, such as an external
/// plugin's), and a given document for several flows.
fn check_flows(args: &Args, registry: &Registry, flows: &[String]) -> Result<(), String> {
    let explicit = args.document.is_some() && args.document_code.is_some();
    for flow in flows {
        if registry.get(flow).is_none() && !explicit {
            return Err(format!(
                "unknown flow {flow} (built-in flows: {}; for another flow give --document FILE --document-code CODE)",
                registry.codes().join(", ")
            ));
        }
    }
    if args.document.is_some() && flows.len() > 1 {
        return Err("--document wraps one document: give one --flow".into());
    }
    Ok(())
}

/// The `--document` to wrap, with its code: (code, text).
fn given_document(
    args: &Args,
    registry: &Registry,
    flows: &[String],
) -> Result<Option<(String, String)>, String> {
    let Some(path) = &args.document else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let flow = &flows[0];
    let code = match &args.document_code {
        Some(c) => c.clone(),
        None => registry
            .get(flow)
            .and_then(|p| p.sample())
            .map(|s| s.code.to_string())
            .ok_or_else(|| format!("{flow} has no sample: give --document-code"))?,
    };
    Ok(Some((code, text)))
}

/// The archive of dossier `numero` of `flow`: around the given document,
/// generated, or around the plugin's sample; routed, styled and broken as
/// asked.
fn archive(
    args: &Args,
    registry: &Registry,
    fixed: Option<&(String, String)>,
    flow: &str,
    numero: &str,
) -> Result<Archive, String> {
    let archive = match fixed {
        Some((code, doc)) => Archive::with_document(numero, flow, 1, code, doc.clone()),
        None if GENERATED.contains(&flow) => Archive::of_flow(flow, numero, 1),
        None => {
            let sample = registry
                .get(flow)
                .and_then(|p| p.sample())
                .ok_or_else(|| format!("{flow} has no sample document: use --document"))?;
            Archive::with_document(numero, flow, 1, sample.code, sample.xml.to_string())
        }
    }
    .routed_to(&args.insee)
    .living_in(&args.insee)
    .styled(match args.style {
        StyleArg::Portal => Style::Portal,
        StyleArg::Seed => Style::Seed,
    });
    Ok(match args.broken {
        None => archive,
        Some(kind) => archive.broken(kind),
    })
}
