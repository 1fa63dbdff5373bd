//! Starting the runtime the way the CLI does, from the saved settings: the database and the
//! settings file honour `HOOKLAB_DB` and `HOOKLAB_CONFIG` (tests run the app on temporary
//! files), the tunnel runs whenever an authtoken is configured.

use hooklab_core::client::HttpClient;
use hooklab_core::runtime::{Overrides, Runtime, RuntimeError, RuntimeOptions, TunnelMode};
use hooklab_core::settings::{default_db_path, default_settings_path};

/// What every command reaches through `State`: cheap handles, no locks.
pub struct AppState {
    /// The receiver, tunnel and settings.
    pub runtime: Runtime,
    /// For resends and test events.
    pub client: HttpClient,
}

/// Starts the runtime. If the saved port is taken (a `hooklab serve` is running, say), the
/// app still opens, on a free port, and says so in the log and in a banner.
pub async fn start() -> Result<AppState, RuntimeError> {
    let mut options = RuntimeOptions::new(default_db_path(), default_settings_path());
    options.overrides = Overrides::from_process_env();
    options.tunnel = TunnelMode::WhenConfigured;
    options.free_port_if_taken = true;
    let runtime = Runtime::start(options).await?;
    tracing::info!(url = %runtime.status().local_url, "Hooklab is receiving");
    Ok(AppState {
        runtime,
        client: HttpClient::new(),
    })
}
