//! Test events: the fixtures to start from, and sending one (edited or not) signed to the local
//! or the public URL.

use hooklab_core::fixtures::FIXTURES;
use hooklab_core::test_event::{TestSend, send_test_event as send};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::launch::AppState;

/// One fixture.
#[derive(Debug, Serialize)]
pub struct FixtureInfo {
    name: &'static str,
    about: &'static str,
    json: &'static str,
}

/// Where a test event goes.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendTarget {
    /// The loopback listener.
    Local,
    /// The tunnel's public URL (a full round trip through ngrok).
    Public,
}

/// The fixtures, in the order `hooklab fixtures` lists them.
#[tauri::command]
pub fn list_fixtures() -> Vec<FixtureInfo> {
    FIXTURES
        .iter()
        .map(|f| FixtureInfo {
            name: f.name,
            about: f.about,
            json: f.json,
        })
        .collect()
}

/// Signs `fixture_json` (fresh ids and times, about `user_id` or a new user) and posts it.
#[tauri::command(rename_all = "snake_case")]
pub async fn send_test_event(
    state: State<'_, AppState>,
    fixture_json: String,
    user_id: Option<String>,
    target: SendTarget,
) -> CommandResult<TestSend> {
    let url = match target {
        SendTarget::Local => state.runtime.status().local_url,
        SendTarget::Public => match state.runtime.tunnel_state() {
            hooklab_core::tunnel::TunnelState::Online { webhook_url, .. } => webhook_url,
            _ => return Err(CommandError::offline()),
        },
    };
    let engine = state.runtime.engine();
    let user = user_id.as_deref();
    Ok(send(engine, &state.client, &fixture_json, user, &url).await?)
}
