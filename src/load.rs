//! What the commands start from, each loaded in one place: the
//! configuration, and the plugin registry (the built-in démarches and the
//! external plugins the configuration names).

use std::path::Path;

use anyhow::Result;
use msp_core::checks::PluginLoad;
use msp_core::Config;
use msp_plugins::Registry;

/// The configuration: `--config FILE`, else ./msp.toml if present, else
/// the embedded default.
pub fn config(path: Option<&Path>) -> Result<Config> {
    let config = match path {
        Some(p) => Config::load(p)?,
        None if Path::new("msp.toml").is_file() => Config::load(Path::new("msp.toml"))?,
        None => Config::embedded_default(),
    };
    Ok(config)
}

/// The built-in plugins and those the configuration names (`plugins =
/// [...]`), for a command: a plugin replacing another is said on stderr,
/// the first one that does not load is the command's error.
pub fn registry(config: &Config) -> Result<Registry> {
    plugins(config, |load| match load {
        PluginLoad::Loaded {
            path,
            flow,
            replaces: Some(builtin),
            ..
        } => {
            // Said every time: replacing a built-in démarche is rarely meant.
            eprintln!(
                "warning: the plugin {} handles {flow}, which the built-in plugin {builtin} handles too: the external one replaces it",
                path.display(),
            );
            Ok(())
        }
        PluginLoad::Loaded { .. } => Ok(()),
        PluginLoad::Failed { error, .. } => Err(anyhow::Error::msg(error.clone())),
    })
}

/// The built-in plugins and those the configuration names, in order, each
/// handed to `each` once loaded or not; the loading stops at the first
/// error `each` returns.
pub fn plugins<E>(
    config: &Config,
    mut each: impl FnMut(&PluginLoad) -> std::result::Result<(), E>,
) -> std::result::Result<Registry, E> {
    let mut registry = msp_builtin::registry();
    for path in &config.plugins {
        match msp_plugins::external::ExternalPlugin::load(path) {
            Ok(plugin) => {
                each(&PluginLoad::Loaded {
                    path: path.clone(),
                    flow: plugin.flow_code(),
                    application: plugin.application(),
                    replaces: registry.get(plugin.flow_code()).map(|p| p.application()),
                })?;
                registry.add(plugin);
            }
            Err(error) => each(&PluginLoad::Failed {
                path: path.clone(),
                error,
            })?,
        }
    }
    Ok(registry)
}
