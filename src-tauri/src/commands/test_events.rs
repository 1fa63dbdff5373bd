//! Test events: the fixtures to start from, and sending one (edited or not) signed to the local
//! or the public URL.

use hooklab_core::fixtures::{FIXTURES, Fixture};
use hooklab_core::test_event::{SendTarget, TestSend, send_test_event as send};
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::launch::AppState;

/// The fixtures, in the order `hooklab fixtures` lists them.
#[tauri::command]
pub fn list_fixtures() -> Vec<Fixture> {
    FIXTURES.to_vec()
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
