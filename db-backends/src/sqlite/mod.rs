//! SQLite with diesel (bundled SQLite, WAL journal): the embedded default.

mod backend;
mod config;
mod error;

pub use backend::open;
pub use config::{SqliteConfig, SCHEME};
