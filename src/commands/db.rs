//! `msp db init`: the MSP tables and every plugin's tables in every
//! client database.

use anyhow::Result;
use msp_core::Config;
use msp_plugins::Registry;

use crate::cli::ExitStatus;

/// `msp db init`.
pub fn init(config: &Config, registry: &Registry) -> Result<ExitStatus> {
    config.folders.ensure()?;
    let schemas = db_backends::plugin_schemas(registry);
    let mut failed = false;
    for client in &config.clients {
        match db_backends::open(config, client).and_then(|b| b.init(&schemas).map(|s| (b, s))) {
            Ok((b, steps)) if steps.is_empty() => {
                println!("{}: {} is up to date", client.name, b.describe())
            }
            Ok((b, steps)) => {
                for s in steps {
                    println!("{}: {}: {s}", client.name, b.describe());
                }
            }
            Err(e) => {
                eprintln!("{}: {e}", client.name);
                failed = true;
            }
        }
    }
    Ok(if failed {
        ExitStatus::Trouble
    } else {
        ExitStatus::Success
    })
}
