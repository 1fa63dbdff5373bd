//! The synced users: a searchable page, and one user with sessions and timeline.

use hooklab_core::store::{UserDetail, UserPage};
use tauri::State;

use crate::error::CommandResult;
use crate::launch::AppState;

/// One page of users, newest first.
#[tauri::command(rename_all = "snake_case")]
pub async fn list_users(
    state: State<'_, AppState>,
    search: Option<String>,
    before: Option<i64>,
    limit: u32,
) -> CommandResult<UserPage> {
    let store = state.runtime.engine().store();
    Ok(store.users(search, before, limit).await?)
}

/// One user with its sessions and timeline.
#[tauri::command(rename_all = "snake_case")]
pub async fn get_user(state: State<'_, AppState>, id: String) -> CommandResult<Option<UserDetail>> {
    Ok(state.runtime.engine().store().user(id).await?)
}
