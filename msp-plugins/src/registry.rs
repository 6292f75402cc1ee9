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

/// Declares a built-in démarche: the plugin type, its registration and its
/// [`FlowPlugin`] impl, from the pieces a plugin crate really writes (its
/// reader and rules behind `parse`, its tables, its sample document, and
/// optionally its comments, table migrations and return attachment).
///
/// ```ignore
/// msp_plugins::demarche! {
///     /// The ILE-LA plugin.
///     pub struct Suffrage;
///     flow: "ILE-LA",
///     application: "Suffrage",
///     description: "inscription sur les listes électorales (voter registration)",
///     sample: ("10871-XML", include_str!("../tests/data/ile.xml")),
///     tables: tables::tables,
///     parse: parse,               // fn(&ParseContext, &[DataDocument]) -> Result<Records, PluginError>
///     comments: comment,          // optional: fn(u16) -> &'static str
/// }
/// ```
///
/// Optional keys, in this order: `version: 2, migrations: migrations` (a
/// `fn() -> Vec<Migration>`), `comments: f`, `attachments: (name, make)`
/// (`fn(&str, u16) -> Option<String>` and `fn(&DossierData) ->
/// Result<Option<ReturnAttachment>, PluginError>`).
#[macro_export]
macro_rules! demarche {
    (
        $(#[$meta:meta])*
        pub struct $ty:ident;
        flow: $flow:expr,
        application: $app:expr,
        description: $desc:expr,
        sample: ($code:expr, $xml:expr),
        tables: $tables:path,
        parse: $parse:path
        $(, version: $version:expr, migrations: $migrations:path)?
        $(, comments: $comments:path)?
        $(, attachments: ($name:path, $make:path))?
        $(,)?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Default, Clone, Copy)]
        pub struct $ty;

        $crate::register!($ty);

        impl $crate::FlowPlugin for $ty {
            fn flow_code(&self) -> &'static str {
                $flow
            }
            fn application(&self) -> &'static str {
                $app
            }
            fn description(&self) -> &'static str {
                $desc
            }
            fn sample(&self) -> ::std::option::Option<$crate::SampleDocument> {
                ::std::option::Option::Some($crate::SampleDocument {
                    code: $code,
                    xml: $xml,
                })
            }
            fn tables(&self) -> ::std::vec::Vec<$crate::TableDef> {
                $tables()
            }
            $(
                fn schema_version(&self) -> u32 {
                    $version
                }
                fn migrations(&self) -> ::std::vec::Vec<$crate::Migration> {
                    $migrations()
                }
            )?
            fn parse(
                &self,
                ctx: &$crate::ParseContext,
                documents: &[$crate::DataDocument],
            ) -> ::std::result::Result<$crate::Records, $crate::PluginError> {
                $parse(ctx, documents)
            }
            $(
                fn default_comment(&self, status: u16) -> &'static str {
                    $comments(status)
                }
            )?
            $(
                fn attachment_name(
                    &self,
                    numero: &str,
                    status: u16,
                ) -> ::std::option::Option<::std::string::String> {
                    $name(numero, status)
                }
                fn return_attachment(
                    &self,
                    dossier: &$crate::DossierData,
                ) -> ::std::result::Result<
                    ::std::option::Option<$crate::ReturnAttachment>,
                    $crate::PluginError,
                > {
                    $make(dossier)
                }
            )?
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
