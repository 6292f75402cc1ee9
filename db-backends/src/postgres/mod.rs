//! PostgreSQL with diesel and an r2d2 pool.

mod backend;
mod config;
mod error;

pub use backend::open;
pub use config::{PostgresConfig, SCHEME};
