//! Output shared by the commands: text for a person, JSON for a program.

pub mod json;
pub mod text;
