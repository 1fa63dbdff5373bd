//! Settings: one validated edit, applied to the running receiver, then saved.

use hooklab_core::runtime::RuntimeStatus;
use hooklab_core::settings::SettingsChange;
use tauri::State;

use crate::error::CommandResult;
use crate::launch::AppState;

/// Applies and saves one edit; a refused value comes back with its field.
#[tauri::command(rename_all = "snake_case")]
pub async fn change_settings(
    state: State<'_, AppState>,
    change: SettingsChange,
) -> CommandResult<RuntimeStatus> {
    Ok(state.runtime.change_settings(change).await?)
}
