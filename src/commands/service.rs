//! `msp service`: msp as a Windows service, the counterpart of the Debian
//! package's `msp.service`: `msp run --every SECONDS`, started with
//! Windows by the Service Control Manager, restarted after a failure, and
//! stopped the way a first Ctrl-C stops it (after the archives in hand,
//! its log written). `install` registers and starts it, `remove` stops and
//! removes it; `run` is what the Service Control Manager starts.

use std::path::Path;

use anyhow::Result;

use crate::cli::{ExitStatus, ServiceCommand};

/// Runs `msp service ...`.
pub fn run(config_path: Option<&Path>, command: ServiceCommand) -> Result<ExitStatus> {
    #[cfg(windows)]
    {
        windows::run(config_path, command)
    }
    #[cfg(not(windows))]
    {
        let _ = (config_path, command);
        anyhow::bail!("a Windows service is Windows's: on Linux the Debian package's systemd units run msp (msp.timer with msp.service, msp-serve.service for the console)")
    }
}

#[cfg(windows)]
mod windows {
    use std::ffi::OsString;
    use std::path::{Path, PathBuf};
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    use anyhow::{bail, Context, Result};
    use windows_service::service::{
        ServiceAccess, ServiceAction, ServiceActionType, ServiceControl, ServiceControlAccept,
        ServiceErrorControl, ServiceExitCode, ServiceFailureActions, ServiceFailureResetPeriod,
        ServiceInfo, ServiceStartType, ServiceState, ServiceStatus, ServiceType,
    };
    use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
    use windows_service::service_dispatcher;
    use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};

    use crate::cli::{ExitStatus, ServiceArgs, ServiceCommand};
    use crate::commands::run as sync;

    /// What the service runs, kept for the service's main (which the
    /// dispatcher calls without our arguments).
    static STARTED: OnceLock<(Option<PathBuf>, ServiceArgs)> = OnceLock::new();

    pub(super) fn run(config_path: Option<&Path>, command: ServiceCommand) -> Result<ExitStatus> {
        match command {
            ServiceCommand::Install { service } => install(config_path, &service),
            ServiceCommand::Remove { name } => remove(&name),
            ServiceCommand::Run { service, dir } => {
                std::env::set_current_dir(&dir)
                    .with_context(|| format!("cannot enter {}", dir.display()))?;
                let name = service.name.clone();
                let _ = STARTED.set((config_path.map(Path::to_path_buf), service));
                service_dispatcher::start(name, ffi_service_main).context(
                    "not started by the Service Control Manager (use `msp service install`)",
                )?;
                Ok(ExitStatus::Success)
            }
        }
    }

    fn manager(access: ServiceManagerAccess) -> Result<ServiceManager> {
        ServiceManager::local_computer(None::<&str>, access)
            .context("cannot open the Service Control Manager (run as an administrator)")
    }

    /// Registers the service on the configuration in use (loaded first:
    /// never a service on a configuration msp refuses) and starts it.
    fn install(config_path: Option<&Path>, args: &ServiceArgs) -> Result<ExitStatus> {
        let dir = std::env::current_dir().context("the current folder")?;
        let file = match config_path {
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from("msp.toml")).filter(|p| p.is_file()),
        };
        crate::load::config(file.as_deref())?;
        let mut arguments: Vec<OsString> = Vec::new();
        if let Some(file) = file {
            arguments.push("--config".into());
            arguments.push(
                std::path::absolute(&file)
                    .context("the configuration's path")?
                    .into(),
            );
        }
        arguments.extend([
            "service".into(),
            "run".into(),
            "--name".into(),
            args.name.clone().into(),
        ]);
        arguments.extend(["--every".into(), args.every.to_string().into()]);
        arguments.extend(["--dir".into(), dir.clone().into()]);
        let password = match &args.account {
            Some(account) => Some(
                rpassword::prompt_password(format!("password of {account}: "))
                    .context("cannot read the password")?,
            ),
            None => None,
        };
        let info = ServiceInfo {
            name: args.name.clone().into(),
            display_name: format!("msp ({})", args.name).into(),
            service_type: ServiceType::OWN_PROCESS,
            start_type: ServiceStartType::AutoStart,
            error_control: ServiceErrorControl::Normal,
            executable_path: std::env::current_exe().context("msp's own path")?,
            launch_arguments: arguments,
            dependencies: vec![],
            account_name: args.account.clone().map(OsString::from),
            account_password: password.map(OsString::from),
        };
        let manager =
            manager(ServiceManagerAccess::CONNECT | ServiceManagerAccess::CREATE_SERVICE)?;
        let service = manager
            .create_service(&info, ServiceAccess::CHANGE_CONFIG | ServiceAccess::START)
            .with_context(|| format!("cannot create the service {}", args.name))?;
        let _ = service.set_description(format!(
            "msp run every {} seconds in {}: imports the portal's archives, writes the return flows (msp service install)",
            args.every,
            dir.display()
        ));
        // Restarted a minute after a failure (trouble is said in the logs;
        // the next synchronisation retries).
        let _ = service.update_failure_actions(ServiceFailureActions {
            reset_period: ServiceFailureResetPeriod::After(Duration::from_secs(86400)),
            reboot_msg: None,
            command: None,
            actions: Some(vec![ServiceAction {
                action_type: ServiceActionType::Restart,
                delay: Duration::from_secs(60),
            }]),
        });
        // Also when it stops by itself with an error (the configuration or
        // the database refused at start), not only after a crash.
        let _ = service.set_failure_actions_on_non_crash_failures(true);
        start(&service)
            .with_context(|| format!("the service {} is created but did not start", args.name))?;
        println!(
            "the service {} is installed and started: msp run every {} seconds in {}",
            args.name,
            args.every,
            dir.display()
        );
        Ok(ExitStatus::Success)
    }

    /// Starts the service, again for a few seconds while the service manager
    /// is busy with another caller ("Service database locked", 1055).
    fn start(service: &windows_service::service::Service) -> windows_service::Result<()> {
        const DATABASE_LOCKED: i32 = 1055;
        let mut tries = 0;
        loop {
            match service.start::<&str>(&[]) {
                Err(windows_service::Error::Winapi(e))
                    if e.raw_os_error() == Some(DATABASE_LOCKED) && tries < 20 =>
                {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(500));
                }
                other => return other,
            }
        }
    }

    /// Stops the service (it finishes the archives in hand) and removes it.
    fn remove(name: &str) -> Result<ExitStatus> {
        let manager = manager(ServiceManagerAccess::CONNECT)?;
        let service = manager
            .open_service(
                name,
                ServiceAccess::QUERY_STATUS | ServiceAccess::STOP | ServiceAccess::DELETE,
            )
            .with_context(|| format!("no service {name}"))?;
        if service.query_status()?.current_state != ServiceState::Stopped {
            service
                .stop()
                .with_context(|| format!("cannot stop the service {name}"))?;
            let deadline = Instant::now() + Duration::from_secs(120);
            while service.query_status()?.current_state != ServiceState::Stopped {
                if Instant::now() >= deadline {
                    bail!("the service {name} did not stop within 2 minutes: it is still running, not removed");
                }
                std::thread::sleep(Duration::from_millis(250));
            }
        }
        service
            .delete()
            .with_context(|| format!("cannot remove the service {name}"))?;
        println!("the service {name} is stopped and removed");
        Ok(ExitStatus::Success)
    }

    windows_service::define_windows_service!(ffi_service_main, service_main);

    /// The service: Running while `msp run --every` goes on; a Stop or
    /// Shutdown control asks it to stop after the archives in hand.
    fn service_main(_arguments: Vec<OsString>) {
        let Some((config_path, args)) = STARTED.get() else {
            return;
        };
        // A service has no console: what msp says on stdout and stderr
        // (warnings, trouble, a panic) goes to msp-service.log in its folder.
        output_to(Path::new("msp-service.log"));
        let handler = |control| match control {
            ServiceControl::Stop | ServiceControl::Shutdown => {
                crate::commands::run::stop::request();
                ServiceControlHandlerResult::NoError
            }
            ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
            _ => ServiceControlHandlerResult::NotImplemented,
        };
        let Ok(status) = service_control_handler::register(&args.name, handler) else {
            return;
        };
        let report = |state, code: u32| {
            let _ = status.set_service_status(ServiceStatus {
                service_type: ServiceType::OWN_PROCESS,
                current_state: state,
                controls_accepted: if state == ServiceState::Running {
                    ServiceControlAccept::STOP | ServiceControlAccept::SHUTDOWN
                } else {
                    ServiceControlAccept::empty()
                },
                exit_code: if code == 0 {
                    ServiceExitCode::Win32(0)
                } else {
                    ServiceExitCode::ServiceSpecific(code)
                },
                checkpoint: 0,
                wait_hint: Duration::from_secs(if state == ServiceState::Running {
                    0
                } else {
                    60
                }),
                process_id: None,
            });
        };
        report(ServiceState::Running, 0);
        // A stop asked for is a success, whatever the last round met (its
        // rejections and trouble are in the logs); an error that ended the
        // service by itself is a failure, which Windows restarts.
        let code = match every(config_path.as_deref(), args.every) {
            Ok(_) => 0,
            Err(e) => {
                eprintln!("msp: error: {e:#}");
                2
            }
        };
        report(ServiceState::Stopped, code);
    }

    /// Points the standard output and error at `file` (appended).
    fn output_to(file: &Path) {
        use std::os::windows::io::IntoRawHandle;
        use windows_sys::Win32::System::Console::{
            SetStdHandle, STD_ERROR_HANDLE, STD_OUTPUT_HANDLE,
        };
        let Ok(log) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(file)
        else {
            return;
        };
        let handle = log.into_raw_handle();
        // SAFETY: a handle just opened, given to the process for good (never
        // closed), as its standard output and error.
        #[allow(unsafe_code)]
        unsafe {
            SetStdHandle(STD_OUTPUT_HANDLE, handle);
            SetStdHandle(STD_ERROR_HANDLE, handle);
        }
    }

    /// `msp run --every SECONDS --quiet` on the configuration in use.
    fn every(config_path: Option<&Path>, seconds: u64) -> Result<ExitStatus> {
        let config = crate::load::config(config_path)?;
        let registry = crate::load::registry(&config)?;
        msp_core::ops::apply_permissions(&config)?;
        sync::run(
            &config,
            &registry,
            sync::Request {
                flows: vec![],
                clients: vec![],
                every: Some(seconds),
                output: sync::Output {
                    json: false,
                    quiet: true,
                },
            },
        )
    }
}
