//! `msp`: the thin binary. Parses the command line, loads the
//! configuration, calls the core, maps the outcome to an exit code:
//! 0 all went well, 1 some archives were rejected, 2 trouble
//! (`cli::ExitStatus`).

// The built-in démarches: msp-builtin links every plugin crate it lists
// (load.rs takes the registry from it).
use msp_builtin as _;

mod cli;
mod commands;
mod load;
mod manual;
mod render;

fn main() -> std::process::ExitCode {
    // Output piped into `head` or `less` that stops reading ends msp
    // quietly, as every Unix tool does, instead of a panic on a broken
    // pipe (Rust ignores SIGPIPE by default).
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition at start-up, before
    // any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    commands::execute(cli::parse()).into()
}
