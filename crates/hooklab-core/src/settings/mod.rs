//! The settings file (OS config dir, mode 0600), environment overrides, and where the database
//! lives; every path can be overridden for tests.

use crate::store::Retention;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub(crate) mod change;
mod forward_url;

pub use change::{FieldError, SettingsChange, normalize_path};
pub use forward_url::normalize_forward_url;

use crate::secret::{Secret, SecretError, SecretOrigin, mask};
use crate::store::Synchronous;

/// Environment variables that hold the signing secret(s), in the order they are read.
pub const SECRET_ENV: [&str; 2] = ["CLERK_WEBHOOK_SECRET", "CLERK_WEBHOOK_SIGNING_SECRET"];
/// The port `hooklab serve` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 8787;

/// What can go wrong with the settings file.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// It could not be read or written.
    #[error("cannot {action} the settings file {path}: {source}")]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// It is not valid JSON of the right shape.
    #[error("the settings file {path} is not valid: {source}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
}

impl SettingsError {
    /// A stable code the UI branches on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Io { .. } => "settings_io",
            Self::Invalid { .. } => "settings_invalid",
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> String {
        match self {
            Self::Io { path, .. } => format!(
                "Check that {} and its folder are readable and writable by you (or point \
                 HOOKLAB_CONFIG / --config elsewhere).",
                path.display()
            ),
            Self::Invalid { path, .. } => format!(
                "Fix the JSON in {} or delete the file to start from defaults (secrets in it \
                 would have to be entered again).",
                path.display()
            ),
        }
    }
}

/// What the settings file holds. Secrets live here in full; the file is created 0600.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Signing secrets, current first (previous ones stay valid during a rotation).
    pub secrets: Vec<String>,
    /// The webhook route.
    pub webhook_path: Option<String>,
    /// The port for the loopback listener.
    pub port: Option<u16>,
    /// SQLite `synchronous` for the writer.
    pub synchronous: Option<Synchronous>,
    /// ngrok authtoken.
    pub ngrok_authtoken: Option<String>,
    /// ngrok static domain.
    pub ngrok_domain: Option<String>,
    /// The tunnel's last public URL, to warn when it changes (Clerk still points there).
    pub last_public_url: Option<String>,
    /// What the database keeps (age, count, size).
    pub retention: Retention,
    /// The user's app's webhook URL (resends and forwarding go there).
    pub forward_url: Option<String>,
    /// Forward every verified event to `forward_url` as it arrives.
    pub forward_live: bool,
    /// Let ngrok check Clerk's signature and refuse what fails at its edge (off by default:
    /// what it refuses never reaches Hooklab, so the log cannot show or diagnose it).
    pub verify_at_edge: bool,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field(
                "secrets",
                &self.secrets.iter().map(|s| mask(s)).collect::<Vec<_>>(),
            )
            .field("webhook_path", &self.webhook_path)
            .field("port", &self.port)
            .field("synchronous", &self.synchronous)
            .field(
                "ngrok_authtoken",
                &self.ngrok_authtoken.as_deref().map(mask),
            )
            .field("ngrok_domain", &self.ngrok_domain)
            .field("last_public_url", &self.last_public_url)
            .field("retention", &self.retention)
            .field("forward_url", &self.forward_url)
            .field("verify_at_edge", &self.verify_at_edge)
            .field("forward_live", &self.forward_live)
            .finish()
    }
}

/// `$HOOKLAB_CONFIG`, else `<config dir>/hooklab/settings.json`.
pub fn default_settings_path() -> PathBuf {
    std::env::var_os("HOOKLAB_CONFIG").map_or_else(
        || {
            dirs::config_dir()
                .unwrap_or_else(|| PathBuf::from("."))
                .join("hooklab")
                .join("settings.json")
        },
        PathBuf::from,
    )
}

/// `$HOOKLAB_DB`, else `<data dir>/hooklab/hooklab.db`.
pub fn default_db_path() -> PathBuf {
    std::env::var_os("HOOKLAB_DB").map_or_else(
        || {
            dirs::data_dir()
                .unwrap_or_else(|| PathBuf::from("."))
                .join("hooklab")
                .join("hooklab.db")
        },
        PathBuf::from,
    )
}

/// Reads the settings; a missing file means defaults.
pub fn load(path: &Path) -> Result<Settings, SettingsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
        Err(e) => {
            return Err(SettingsError::Io {
                action: "read",
                path: path.to_owned(),
                source: e,
            });
        }
    };
    serde_json::from_str(&text).map_err(|e| SettingsError::Invalid {
        path: path.to_owned(),
        source: e,
    })
}

/// Writes the settings atomically, readable by the owner only.
pub fn save(path: &Path, settings: &Settings) -> Result<(), SettingsError> {
    let io = |e: std::io::Error| SettingsError::Io {
        action: "write",
        path: path.to_owned(),
        source: e,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(settings).map_err(|e| io(e.into()))?;
    write_private(&tmp, text.as_bytes()).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    // A leftover file keeps its mode when opened: start from a new one, and say 0600 anyway.
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// The secrets to use: `--secret` flags, else the environment, else the settings file (the
/// first source that has any wins). Several may be given in one variable, space or comma
/// separated.
pub fn resolve_secrets(
    flags: &[String],
    env: impl Fn(&str) -> Option<String>,
    settings: &Settings,
) -> Result<Vec<Secret>, SecretError> {
    let from_env: Vec<String> = SECRET_ENV
        .iter()
        .filter_map(|name| env(name))
        .flat_map(|v| split_list(&v))
        .collect();
    let (values, origin) = if !flags.is_empty() {
        (flags.to_vec(), SecretOrigin::Flag)
    } else if !from_env.is_empty() {
        (from_env, SecretOrigin::Env)
    } else {
        (settings.secrets.clone(), SecretOrigin::Settings)
    };
    let mut secrets: Vec<Secret> = Vec::new();
    for value in values.iter().flat_map(|v| split_list(v)) {
        let secret = Secret::parse(&value, origin)?;
        if !secrets.iter().any(|s| s.expose() == secret.expose()) {
            secrets.push(secret);
        }
    }
    Ok(secrets)
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const B: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

    #[test]
    fn flags_win_over_env_which_wins_over_the_file() {
        let file = Settings {
            secrets: vec![A.into()],
            ..Settings::default()
        };
        let env = |name: &str| (name == "CLERK_WEBHOOK_SIGNING_SECRET").then(|| format!("{B} {A}"));
        let got = resolve_secrets(&[B.into()], env, &file).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].origin(), SecretOrigin::Flag);
        let got = resolve_secrets(&[], env, &file).unwrap();
        assert_eq!(got.len(), 2, "current and previous from one variable");
        assert_eq!(got[0].expose(), B);
        assert_eq!(got[0].origin(), SecretOrigin::Env);
        let got = resolve_secrets(&[], |_| None, &file).unwrap();
        assert_eq!(got[0].origin(), SecretOrigin::Settings);
    }

    #[test]
    fn settings_file_round_trips_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("settings.json");
        assert_eq!(load(&path).unwrap(), Settings::default());
        let s = Settings {
            secrets: vec![A.into()],
            port: Some(9000),
            ..Settings::default()
        };
        // A leftover temp file with a wide mode must not leak into the saved file.
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path.with_extension("json.tmp"), "stale").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let tmp = path.with_extension("json.tmp");
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        save(&path, &s).unwrap();
        assert_eq!(load(&path).unwrap(), s);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{s:?}").contains("MfKQ9r8"));
    }

    #[test]
    fn broken_settings_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, "{ not json").unwrap();
        let err = load(&path).unwrap_err().to_string();
        assert!(err.contains("settings.json"), "{err}");
    }
}
