//! The registry of plugins.
//!
//! Built-in plugins register themselves with [`inventory`]:
//!
//! ```text
//! msp_plugins::register!(MyPlugin);
//! ```
//!
//! The binary must name every plugin crate (`use plugin_avenir as _;`),
//! otherwise the linker drops it and its registration with it.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::plugin::FlowPlugin;

/// A built-in plugin's entry in the inventory.
pub struct Registration {
    /// Builds the plugin.
    pub factory: fn() -> Box<dyn FlowPlugin>,
}

inventory::collect!(Registration);

/// Registers a built-in plugin type (which must implement `Default`).
#[macro_export]
macro_rules! register {
    ($ty:ty) => {
        $crate::inventory::submit! {
            $crate::registry::Registration {
                factory: || ::std::boxed::Box::new(<$ty as ::std::default::Default>::default()),
            }
        }
    };
}

/// The plugins known to this process, by flow code.
#[derive(Clone, Default)]
pub struct Registry {
    plugins: BTreeMap<&'static str, Arc<dyn FlowPlugin>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Every built-in plugin linked into the binary.
    pub fn builtin() -> Self {
        let mut r = Registry::new();
        for reg in inventory::iter::<Registration> {
            r.add(Arc::from((reg.factory)()));
        }
        r
    }

    /// Adds (or replaces) a plugin.
    pub fn add(&mut self, plugin: Arc<dyn FlowPlugin>) {
        self.plugins.insert(plugin.flow_code(), plugin);
    }

    /// The plugin for a flow code.
    pub fn get(&self, flow: &str) -> Option<&Arc<dyn FlowPlugin>> {
        self.plugins.get(flow)
    }

    /// Registered flow codes, sorted.
    pub fn codes(&self) -> Vec<&'static str> {
        self.plugins.keys().copied().collect()
    }

    /// Every plugin, by flow code.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn FlowPlugin>> {
        self.plugins.values()
    }

    /// Keeps only the given flow codes; returns the unknown ones.
    pub fn restrict(&mut self, flows: &[String]) -> Vec<String> {
        let unknown: Vec<String> = flows
            .iter()
            .filter(|f| !self.plugins.contains_key(f.as_str()))
            .cloned()
            .collect();
        self.plugins.retain(|k, _| flows.iter().any(|f| f == k));
        unknown
    }
}
