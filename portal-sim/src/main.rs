//! `portal-sim`: drops simulated portal archives into a folder.

use std::path::PathBuf;

use clap::Parser;
use portal_sim::Archive;

/// Writes inbound archives the way the portal drops them.
#[derive(Parser, Debug)]
#[command(name = "portal-sim", version, about)]
struct Args {
    /// Folder to write into (the msp input folder), created if missing.
    #[arg(long, default_value = "msp-data/entree")]
    out: PathBuf,
    /// How many dossiers.
    #[arg(long, default_value_t = 5)]
    count: u32,
    /// CodeINSEE to route them to.
    #[arg(long, default_value = "75056")]
    insee: String,
    /// Flows to generate, in turn (repeatable; default: the three flows).
    #[arg(long = "flow", value_name = "CODE")]
    flows: Vec<String>,
    /// Prefix of the generated dossier numbers.
    #[arg(long, default_value = "A-2-SIM")]
    prefix: String,
    /// Wrap this RCO-LA data document (10870-XML) instead of generated ones.
    #[arg(long, value_name = "FILE")]
    document: Option<PathBuf>,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.out)?;
    let fixed = args
        .document
        .as_ref()
        .map(std::fs::read_to_string)
        .transpose()?;
    let stamp = chrono::Local::now().format("%H%M%S");
    let flows = if args.flows.is_empty() {
        vec![
            "RCO-LA".to_string(),
            "AEC-LA".to_string(),
            "ILE-LA".to_string(),
        ]
    } else {
        args.flows.clone()
    };
    for i in 1..=args.count {
        let numero = format!("{}{stamp}{i:03}", args.prefix);
        let flow = &flows[(i as usize - 1) % flows.len()];
        let archive = match &fixed {
            Some(doc) => Archive::with_document(&numero, "RCO-LA", 1, "10870-XML", doc.clone()),
            None => Archive::of_flow(flow, &numero, 1),
        }
        .routed_to(&args.insee);
        let path = archive.write_to(&args.out)?;
        println!("{}", path.display());
    }
    Ok(())
}
