//! `msp`: the thin binary. Parses the command line, loads the
//! configuration, calls the core, maps the outcome to an exit code:
//! 0 all went well, 1 some archives were rejected, 2 trouble.

// Name every plugin crate, or the linker drops its registration.
use plugin_avenir as _;
use plugin_siecle as _;
use plugin_suffrage as _;

mod cli;
mod operate;

fn main() {
    std::process::exit(cli::run(cli::parse()));
}
