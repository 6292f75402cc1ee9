//! db-backends
