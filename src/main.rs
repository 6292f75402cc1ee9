//! `msp`: the thin binary. Parses the command line, loads the
//! configuration, calls the core, maps the outcome to an exit code:
//! 0 all went well, 1 some archives were rejected, 2 trouble.

// The built-in démarches: msp-builtin links every plugin crate it lists
// (cli.rs takes the registry from it).
use msp_builtin as _;

mod cli;
mod operate;

/// mimalloc rather than glibc's malloc: the data path allocates and frees
/// many small values (XML trees, rows) on four threads, often freeing on
/// another thread than the one that allocated, where glibc's arenas took a
/// third of the preparing threads' time. Measured: CPU time of a
/// 3,000-archive import 733 ms → 516 ms (README, Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Transparent huge pages would make each of mimalloc's fresh memory
    // areas a 2 MiB page to clear (and the resident size twice as large):
    // small pages for this process, whatever the system's setting.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    std::process::exit(cli::run(cli::parse()));
}
