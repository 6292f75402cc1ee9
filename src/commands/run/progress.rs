//! The progress bar of `msp run`.

use std::io::IsTerminal;
use std::sync::Mutex;

/// Archives from which `msp run` draws a progress bar.
const PROGRESS_FROM: u64 = 50;

/// The progress bar of `msp run`: on stderr, only when stderr is a
/// terminal and the run has more than a few dozen archives.
#[derive(Default)]
pub struct Bar(Mutex<Option<indicatif::ProgressBar>>);

impl msp_core::sync::Progress for Bar {
    fn start(&self, archives: u64) {
        if archives < PROGRESS_FROM || !std::io::stderr().is_terminal() {
            return;
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(archives),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} archives, {per_sec}, {eta} left ({msg})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message("importing");
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(bar);
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = &*self.0.lock().unwrap_or_else(|e| e.into_inner()) {
            bar.inc(n);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.0.lock().unwrap_or_else(|e| e.into_inner()).take() {
            bar.finish_and_clear();
        }
    }
}
