//! `msp schedule`: the Windows Task Scheduler task that runs `msp run`
//! every few minutes (the counterpart of the systemd timer of the Debian
//! package). The XML is printed anywhere (to read or to import by hand);
//! `install` and `remove` call Windows's own `schtasks`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use msp_core::Config;

use crate::cli::{ExitStatus, ScheduleCommand, TaskArgs};

/// The SYSTEM account's SID: the default principal.
const SYSTEM: &str = "S-1-5-18";

/// Runs `msp schedule ...`.
pub fn run(config_path: Option<&Path>, command: ScheduleCommand) -> Result<ExitStatus> {
    match command {
        ScheduleCommand::Xml { task } => {
            let (task, _) = Task::of(&task, config_path)?;
            print!("{}", task_xml(&task));
            Ok(ExitStatus::Success)
        }
        ScheduleCommand::Install { task } => install(&task, config_path),
        ScheduleCommand::Remove { name } => {
            schtasks(&["/delete", "/tn", &name, "/f"])?;
            println!("the task {name} is removed from the Task Scheduler");
            Ok(ExitStatus::Success)
        }
    }
}

/// What the task runs: this very executable, in the current folder (where
/// msp.toml and msp-data are), with the configuration file when one is
/// used.
pub struct Task {
    /// The task's name.
    pub name: String,
    /// Minutes between runs.
    pub every: u32,
    /// The account, or None for SYSTEM.
    pub account: Option<String>,
    /// msp.exe, absolute.
    pub program: PathBuf,
    /// Its arguments.
    pub arguments: String,
    /// The working directory, absolute.
    pub folder: PathBuf,
}

impl Task {
    /// The task for these arguments, with the configuration it will run
    /// on, loaded once here so that a task is never registered on a
    /// configuration msp refuses.
    fn of(args: &TaskArgs, config_path: Option<&Path>) -> Result<(Task, Config)> {
        let folder = std::env::current_dir().context("the current folder")?;
        let mut arguments = String::from("run --quiet");
        let file = match config_path {
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from("msp.toml")).filter(|p| p.is_file()),
        };
        let config = crate::load::config(file.as_deref())?;
        if let Some(file) = file {
            let absolute = std::path::absolute(&file).context("the configuration's path")?;
            arguments.push_str(&format!(" --config \"{}\"", absolute.display()));
        }
        let task = Task {
            name: args.name.clone(),
            every: args.every,
            account: args.account.clone(),
            program: std::env::current_exe().context("msp's own path")?,
            arguments,
            folder,
        };
        Ok((task, config))
    }
}

/// The task in the Task Scheduler's XML (schema 1.2): every `every`
/// minutes from registration, one instance at a time (a run still going
/// makes the next one skip), started late after a missed time, stopped
/// after 12 hours (a killed run loses nothing: the next recovers it).
pub fn task_xml(task: &Task) -> String {
    let e = |s: &str| quick_xml::escape::escape(s.to_string()).into_owned();
    let (user, logon) = match &task.account {
        Some(account) => (e(account), "Password"),
        None => (SYSTEM.to_string(), "ServiceAccount"),
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Author>msp {version}</Author>
    <Description>msp run every {every} minutes: imports the portal's archives, writes the return flows (msp schedule install)</Description>
  </RegistrationInfo>
  <Triggers>
    <TimeTrigger>
      <Repetition>
        <Interval>PT{every}M</Interval>
        <StopAtDurationEnd>false</StopAtDurationEnd>
      </Repetition>
      <StartBoundary>2000-01-01T00:00:00</StartBoundary>
      <Enabled>true</Enabled>
    </TimeTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <UserId>{user}</UserId>
      <LogonType>{logon}</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <StartWhenAvailable>true</StartWhenAvailable>
    <ExecutionTimeLimit>PT12H</ExecutionTimeLimit>
    <Enabled>true</Enabled>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{program}</Command>
      <Arguments>{arguments}</Arguments>
      <WorkingDirectory>{folder}</WorkingDirectory>
    </Exec>
  </Actions>
</Task>
"#,
        version = env!("CARGO_PKG_VERSION"),
        every = task.every,
        program = e(&task.program.display().to_string()),
        arguments = e(&task.arguments),
        folder = e(&task.folder.display().to_string()),
    )
}

/// Writes the XML beside msp's folders (kept: what was registered), in
/// UTF-16 as schtasks reads it, registers it and reads it back.
fn install(args: &TaskArgs, config_path: Option<&Path>) -> Result<ExitStatus> {
    if !cfg!(windows) {
        bail!("the Task Scheduler is Windows's: on Linux the Debian package's systemd timer runs msp (msp.timer); `msp schedule xml` prints the task for a Windows machine");
    }
    let (task, config) = Task::of(args, config_path)?;
    let file = std::path::absolute(config.root.join(format!("{}-task.xml", task.name)))
        .context("the task file's path")?;
    let xml = task_xml(&task);
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(xml.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::create_dir_all(&config.root)
        .and_then(|()| std::fs::write(&file, bytes))
        .with_context(|| format!("cannot write {}", file.display()))?;
    let file_arg = file.display().to_string();
    let mut call = vec!["/create", "/tn", &task.name, "/xml", &file_arg, "/f"];
    if let Some(account) = &task.account {
        call.extend(["/ru", account]);
    }
    schtasks(&call)?;
    let shown = schtasks(&["/query", "/tn", &task.name, "/xml", "ONE"])?;
    let program = task.program.display().to_string();
    if shown.trim().is_empty() {
        println!("the task {} is registered (schtasks did not show it back: Wine's does not); its XML: {}", task.name, file.display());
    } else if shown.contains(&program) {
        println!(
            "the task {} is registered: msp run every {} minutes in {}; its XML: {}",
            task.name,
            task.every,
            task.folder.display(),
            file.display()
        );
    } else {
        bail!("schtasks registered the task {} but shows another program than {program}: check it with `schtasks /query /tn {} /xml`", task.name, task.name);
    }
    Ok(ExitStatus::Success)
}

/// Runs Windows's schtasks, its refusal being msp's error.
fn schtasks(args: &[&str]) -> Result<String> {
    if !cfg!(windows) {
        bail!("the Task Scheduler is Windows's (schtasks); on Linux the Debian package's systemd timer runs msp");
    }
    let out = std::process::Command::new("schtasks")
        .args(args)
        .output()
        .context("cannot run schtasks")?;
    if !out.status.success() {
        bail!(
            "schtasks {} failed: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(account: Option<&str>) -> Task {
        Task {
            name: "msp".into(),
            every: 10,
            account: account.map(str::to_string),
            program: PathBuf::from(r"C:\Program Files\msp\msp.exe"),
            arguments: r#"run --quiet --config "C:\msp & co\msp.toml""#.into(),
            folder: PathBuf::from(r"C:\msp & co"),
        }
    }

    #[test]
    fn the_xml_is_well_formed_and_escapes_paths() {
        let xml = task_xml(&task(None));
        let mut reader = quick_xml::Reader::from_str(&xml);
        while !matches!(
            reader.read_event().expect("well-formed XML"),
            quick_xml::events::Event::Eof
        ) {}
        assert!(xml.contains("<Interval>PT10M</Interval>"), "{xml}");
        assert!(
            xml.contains(r"<Command>C:\Program Files\msp\msp.exe</Command>"),
            "{xml}"
        );
        assert!(
            xml.contains(
                r"<Arguments>run --quiet --config &quot;C:\msp &amp; co\msp.toml&quot;</Arguments>"
            ),
            "{xml}"
        );
        assert!(
            xml.contains(r"<WorkingDirectory>C:\msp &amp; co</WorkingDirectory>"),
            "{xml}"
        );
        assert!(xml.contains("<UserId>S-1-5-18</UserId>"), "{xml}");
        assert!(
            xml.contains("<MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>"),
            "{xml}"
        );
    }

    #[test]
    fn an_account_runs_with_its_password() {
        let xml = task_xml(&task(Some(r"MAIRIE\msp")));
        assert!(xml.contains(r"<UserId>MAIRIE\msp</UserId>"), "{xml}");
        assert!(xml.contains("<LogonType>Password</LogonType>"), "{xml}");
    }
}
