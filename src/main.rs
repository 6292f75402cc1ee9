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

/// `mi_option_purge_delay` in mimalloc's `mimalloc.h` (the same number in
/// its versions 2 and 3; libmimalloc-sys names no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // Transparent huge pages would make each of mimalloc's fresh memory
    // areas a 2 MiB page to clear (and the resident size twice as large):
    // small pages for this process, whatever the system's setting.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    // Memory a thread frees goes back to the system at once instead of
    // 10 ms later: the pipeline's threads free what others allocated, and
    // the peak resident size of a 100,000-archive run stays under 48 MiB.
    // SAFETY: sets a number mimalloc reads when it next purges; no pointer.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    std::process::exit(cli::run(cli::parse()));
}
