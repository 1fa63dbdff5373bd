//! The synced users: a searchable page, how many there are, and one user with sessions and
//! timeline.

use hooklab_core::store::{UserCounts, UserDetail, UserPage, UserQuery};
use tauri::State;

use crate::error::CommandResult;
use crate::launch::AppState;

/// One page of users in the query's order.
#[tauri::command(rename_all = "snake_case")]
pub async fn list_users(state: State<'_, AppState>, query: UserQuery) -> CommandResult<UserPage> {
    Ok(state.runtime.engine().store().users(query).await?)
}

/// One user with its sessions and timeline.
#[tauri::command(rename_all = "snake_case")]
pub async fn get_user(state: State<'_, AppState>, id: String) -> CommandResult<Option<UserDetail>> {
    Ok(state.runtime.engine().store().user(id).await?)
}

/// How many users are synced (active and deleted).
#[tauri::command(rename_all = "snake_case")]
pub async fn count_users(state: State<'_, AppState>) -> CommandResult<UserCounts> {
    Ok(state.runtime.engine().store().user_counts().await?)
}
