//! `msp user ...`: the web console's users, kept in the configuration
//! file itself (argon2 hashes).

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use msp_core::checks::hashes_readable_by_others;
use msp_core::Config;

use crate::cli::{ExitStatus, UserCommand};

/// `msp user ...`: edits the configuration file itself.
pub fn run(path: Option<&Path>, command: UserCommand) -> Result<ExitStatus> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None if Path::new("msp.toml").is_file() => PathBuf::from("msp.toml"),
        None => bail!(
            "the users are kept in the configuration file: pass --config FILE or create ./msp.toml (the embedded default has no file to write into)"
        ),
    };
    let config = Config::load(&path)?;
    match command {
        UserCommand::List => {
            if config.web.users.is_empty() {
                println!("no user in {}", path.display());
            }
            for u in &config.web.users {
                println!("{}", u.name);
            }
        }
        UserCommand::Remove { name } => {
            if !msp_web::auth::remove_user(&path, &name)? {
                bail!("no user {name} in {}", path.display());
            }
            println!("user {name} removed from {}", path.display());
        }
        UserCommand::Add {
            name,
            password_stdin,
        } => add(&path, &name, password_stdin)?,
    }
    Ok(ExitStatus::Success)
}

/// `msp user add NAME`: the password asked twice at a terminal, else read
/// from the first line of stdin.
fn add(path: &Path, name: &str, password_stdin: bool) -> Result<()> {
    use std::io::IsTerminal;
    let password = if password_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        let first = rpassword::prompt_password(format!("Password for {name}: "))?;
        let again = rpassword::prompt_password("Again: ")?;
        if first != again {
            bail!("the two passwords differ: nothing changed");
        }
        first
    };
    let new = msp_web::auth::add_user(path, name, &password)?;
    println!(
        "user {name} {} in {} (argon2 hash); msp serve asks them to sign in",
        if new { "added" } else { "given a new password" },
        path.display()
    );
    if let Some(warning) = hashes_readable_by_others(path) {
        eprintln!("warning: {warning}");
    }
    Ok(())
}
