//! How `msp run` says a synchronisation's outcome: a table and its
//! remarks, JSON, or with -q only the rejections and trouble on stderr.

use super::Output;
use crate::render::json::json_text;
use crate::render::text::{say, width};

/// Prints a run's outcome as `output` asks.
pub fn report_run(r: &msp_core::RunReport, output: Output) {
    if output.json {
        println!("{}", json_text(&r.to_json()).unwrap_or_default());
    } else if !output.quiet {
        print_report(r);
    }
    if output.quiet {
        for (name, message) in &r.rejected {
            eprintln!("rejected {name}: {}", msp_core::display::line(message));
        }
        for t in &r.troubles {
            eprintln!("trouble: {}", msp_core::sync::trouble_line(t));
        }
        if let Some((oldest, hours)) = r.held_back_long.first() {
            eprintln!(
                "waiting for more than a day: {} archive(s), the oldest {oldest} for {hours} h",
                r.held_back_long.len()
            );
        }
    }
}

/// The table of the flows and the remarks, for a person.
fn print_report(r: &msp_core::RunReport) {
    let w = width(r.flows.keys().map(String::as_str), 8);
    println!(
        "{:<w$} {:>8} {:>11} {:>10} {:>8} {:>7} {:>6}",
        "flow", "imported", "complements", "duplicates", "rejected", "returns", "errors"
    );
    for (flow, c) in &r.flows {
        println!(
            "{:<w$} {:>8} {:>11} {:>10} {:>8} {:>7} {:>6}",
            flow, c.imported, c.complements, c.duplicates, c.rejected, c.returns_written, c.errors
        );
    }
    for name in &r.recovered {
        println!("recovered from an interrupted run: {name}");
    }
    for (name, message) in &r.rejected {
        say!("rejected {name}: {message}");
    }
    for t in &r.refused {
        println!("refused status change: {t}");
    }
    for u in &r.unrecognised {
        println!("not recognised, left in input: {} ({})", u.file, u.reason);
    }
    if r.collected > 0 {
        println!(
            "return archives collected by the portal since the last run: {}",
            r.collected
        );
    }
    for t in &r.troubles {
        println!("trouble: {}", msp_core::sync::trouble_line(t));
    }
    if let Some((oldest, hours)) = r.held_back_long.first() {
        println!(
            "waiting for more than a day: {} archive(s) held back by trouble, the oldest {oldest} for {hours} h",
            r.held_back_long.len()
        );
    }
    println!("log: {}", r.log_path.display());
}
