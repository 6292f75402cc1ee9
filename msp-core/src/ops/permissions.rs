//! The Unix modes and group of what msp creates.

#[cfg(unix)]
use std::fs;

use crate::error::{Error, Result};

/// The umask every command that may create a folder or a database sets
/// first (`config check` included): 077, or 027 with `group`.
pub fn set_umask(config: &crate::Config) {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::Mode;
        let mask = if config.group.is_some() { 0o027 } else { 0o077 };
        rustix::process::umask(Mode::from_bits_truncate(mask));
    }
    #[cfg(not(target_os = "linux"))]
    let _ = config;
}

/// Makes what msp creates unreadable by others: umask 077 (folders 0700,
/// files 0600), or 027 with `group` (0750 / 0640), the folders then given
/// to that group with the set-group-ID bit so what is created inside
/// belongs to it too. Creates the folders.
pub fn apply_permissions(config: &crate::Config) -> Result<()> {
    set_umask(config);
    #[cfg(not(unix))]
    if let Some(group) = &config.group {
        return Err(Error::config(format!(
            "group = \"{group}\" is a Unix setting (the folders' group and modes); on Windows the folders' rights are NTFS permissions, given with icacls (see the README's Windows section)"
        )));
    }
    config.folders.ensure()?;
    #[cfg(unix)]
    if let Some(group) = &config.group {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let gid = group_id(group)?;
        let sent = [
            ("root", config.root.as_path()),
            ("sent", config.sent.as_path()),
        ];
        for (role, dir) in config.folders.all().into_iter().chain(sent) {
            let meta = match fs::metadata(dir) {
                Ok(m) => m,
                // The sent folder is made when first needed (under the
                // umask, inheriting the group from the root).
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && role == "sent" => continue,
                Err(e) => return Err(Error::io("cannot read", dir, e)),
            };
            // A root that others may enter was not made by msp (a home, a
            // shared folder): its mode and group are the owner's business.
            if role == "root" && meta.mode() & 0o005 != 0 {
                continue;
            }
            // Folders made before the group was configured (0700) become
            // readable by the group too: 2750 keeps the owner's bits, gives
            // the group read and search, others nothing.
            let mode = (meta.mode() & 0o700) | 0o2750;
            if meta.gid() != gid || meta.mode() & 0o7777 != mode {
                std::os::unix::fs::chown(dir, None, Some(gid))
                    .and_then(|_| fs::set_permissions(dir, fs::Permissions::from_mode(mode)))
                    .map_err(|e| {
                        Error::config(format!(
                            "the {role} folder {} cannot be given to the group {group}: {e}",
                            dir.display()
                        ))
                    })?;
            }
        }
    }
    Ok(())
}

/// Resolves a group name (or number) from `/etc/group`.
#[cfg(unix)]
pub fn group_id(group: &str) -> Result<u32> {
    if let Ok(gid) = group.parse::<u32>() {
        return Ok(gid);
    }
    let text = fs::read_to_string("/etc/group").unwrap_or_default();
    text.lines()
        .find_map(|l| {
            let mut f = l.split(':');
            (f.next() == Some(group))
                .then(|| f.nth(1).and_then(|g| g.parse().ok()))
                .flatten()
        })
        .ok_or_else(|| Error::config(format!("group \"{group}\" not found in /etc/group")))
}
