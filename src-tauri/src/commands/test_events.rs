//! Test events: the fixtures to start from, and sending one (edited or not) signed, or broken
//! on purpose, to the local or the public URL or any other (the user's own app).

use hooklab_core::fixtures::{FIXTURES, Fixture};
use hooklab_core::test_event::{
    SendTarget, TestOptions, TestSend, send_test_event as send, target_url,
};
use tauri::State;

use crate::error::{CommandError, CommandResult};
use crate::launch::AppState;

/// The fixtures, in the order `hooklab fixtures` lists them.
#[tauri::command]
pub fn list_fixtures() -> Vec<Fixture> {
    FIXTURES.to_vec()
}

/// Makes a test event from `fixture_json` as `options` ask and posts it to `target`.
#[tauri::command(rename_all = "snake_case")]
pub async fn send_test_event(
    state: State<'_, AppState>,
    fixture_json: String,
    options: TestOptions,
    target: SendTarget,
) -> CommandResult<TestSend> {
    let url = match target {
        SendTarget::Local => state.runtime.status().local_url,
        SendTarget::Public => match state.runtime.tunnel_state() {
            hooklab_core::tunnel::TunnelState::Online { webhook_url, .. } => webhook_url,
            _ => return Err(CommandError::offline()),
        },
        SendTarget::Url { url } => target_url(&url)?,
    };
    let engine = state.runtime.engine();
    Ok(send(engine, &state.client, &fixture_json, &options, &url).await?)
}
