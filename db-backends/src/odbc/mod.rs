//! Any ODBC data source with odbc-api: Access, Oracle, SQL Server, and
//! PostgreSQL, MariaDB or SQLite through their ODBC drivers. The SQL dialect
//! is configured per client (`dialect = "..."`).

mod backend;
mod config;
mod drivers;
mod error;

pub use backend::open;
pub use config::{OdbcConfig, SCHEME};
pub use error::is_temporary;
