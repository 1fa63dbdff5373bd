//! Resolving what every command needs from flags, environment and the settings file: the
//! database path, the settings, the secrets, the receiver's address.

use std::path::PathBuf;

use hooklab_core::engine::DEFAULT_WEBHOOK_PATH;
use hooklab_core::runtime::Overrides;
use hooklab_core::secret::Secret;
use hooklab_core::settings::{self, DEFAULT_PORT, Settings};

use crate::args::Global;
use crate::error::CliError;

/// Resolved global options. No `Debug`: it holds secrets.
pub struct Context {
    /// The database file.
    pub db: PathBuf,
    /// The settings file.
    pub settings_path: PathBuf,
    /// Its contents.
    pub settings: Settings,
    /// `--json`.
    pub json: bool,
    /// Whether `--db` was given (not the environment or the default).
    pub db_given: bool,
    /// `--secret` values.
    secret_flags: Vec<String>,
}

impl Context {
    /// Reads the settings file and resolves paths.
    pub fn load(global: Global) -> Result<Self, CliError> {
        let settings_path = global
            .config
            .unwrap_or_else(settings::default_settings_path);
        let settings = settings::load(&settings_path)?;
        Ok(Self {
            db_given: global.db.is_some(),
            db: global.db.unwrap_or_else(settings::default_db_path),
            settings_path,
            settings,
            json: global.json,
            secret_flags: global.secrets,
        })
    }

    /// The signing secrets: flags, else environment, else settings.
    pub fn secrets(&self) -> Result<Vec<Secret>, CliError> {
        Ok(settings::resolve_secrets(
            &self.secret_flags,
            |name| std::env::var(name).ok(),
            &self.settings,
        )?)
    }

    /// What wins over the settings file for a runtime: `--secret` flags and the environment.
    pub fn overrides(&self) -> Overrides {
        let mut overrides = Overrides::from_process_env();
        overrides.secret_flags.clone_from(&self.secret_flags);
        overrides
    }

    /// The webhook path: flag, else settings, else the default; always starts with `/`.
    pub fn webhook_path(&self, flag: Option<&str>) -> String {
        let path = flag
            .or(self.settings.webhook_path.as_deref())
            .unwrap_or(DEFAULT_WEBHOOK_PATH);
        if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        }
    }

    /// The port: flag, else settings, else 8787.
    pub fn port(&self, flag: Option<u16>) -> u16 {
        flag.or(self.settings.port).unwrap_or(DEFAULT_PORT)
    }
}
