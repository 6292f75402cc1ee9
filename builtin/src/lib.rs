//! The démarches built into msp.
//!
//! Every `plugin-*` crate listed in this crate's `Cargo.toml` is linked by
//! code that `build.rs` generates, so naming a plugin crate there is the one
//! step that puts it into the binary (`cargo xtask new-demarche` does it).
//! A plugin crate of the workspace that registers a démarche without being
//! listed is a compile error saying what to add: a démarche can no longer
//! vanish silently from `msp plugins`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use msp_plugins::Registry;

include!(concat!(env!("OUT_DIR"), "/linked.rs"));

/// Every built-in démarche.
pub fn registry() -> Registry {
    Registry::builtin()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_linked_crate_registers_its_demarche() {
        let registry = super::registry();
        assert!(
            registry.iter().count() >= super::LINKED.len(),
            "linked {:?}, registered {:?}",
            super::LINKED,
            registry.codes()
        );
        for plugin in registry.iter() {
            assert!(
                plugin.sample().is_some(),
                "{} has no sample document",
                plugin.flow_code()
            );
        }
    }
}
