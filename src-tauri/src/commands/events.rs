//! The event log: pages of events, one event in full, the types to filter by, and the change
//! feed (live, and from a cursor).

use hooklab_core::store::{
    ChangeBatch, EventDetail, EventFilter, EventPage, EventSummary, MAX_CHANGES_PER_BATCH,
};
use tauri::State;
use tauri::ipc::Channel;

use crate::error::CommandResult;
use crate::forward::ChangeSink;
use crate::launch::AppState;

/// One page of events, newest first.
#[tauri::command(rename_all = "snake_case")]
pub async fn list_events(
    state: State<'_, AppState>,
    filter: EventFilter,
) -> CommandResult<EventPage> {
    Ok(state.runtime.engine().store().events(filter).await?)
}

/// One event in full, by number or svix-id.
#[tauri::command(rename_all = "snake_case")]
pub async fn get_event(
    state: State<'_, AppState>,
    key: String,
) -> CommandResult<Option<EventDetail>> {
    Ok(state.runtime.engine().store().event(key).await?)
}

/// The summaries of the events `ids` that exist: pinned events outside the loaded pages.
#[tauri::command(rename_all = "snake_case")]
pub async fn event_summaries(
    state: State<'_, AppState>,
    ids: Vec<i64>,
) -> CommandResult<Vec<EventSummary>> {
    Ok(state.runtime.engine().store().event_summaries(ids).await?)
}

/// Every event type verified events have had, for the type filter.
#[tauri::command]
pub async fn list_event_types(state: State<'_, AppState>) -> CommandResult<Vec<String>> {
    Ok(state.runtime.engine().store().event_types().await?)
}

/// The pinned events (the retention policy keeps them); replaces the previous set.
#[tauri::command(rename_all = "snake_case")]
pub async fn set_pins(state: State<'_, AppState>, ids: Vec<i64>) -> CommandResult<()> {
    Ok(state.runtime.engine().store().set_pins(ids).await?)
}

/// Sends live change batches to `channel` (replacing an earlier window's).
#[tauri::command(rename_all = "snake_case")]
pub fn watch_changes(sink: State<'_, ChangeSink>, channel: Channel<ChangeBatch>) {
    sink.watch(channel);
}

/// What changed after `cursor` (the UI catches up after a reset or a reload).
#[tauri::command(rename_all = "snake_case")]
pub async fn changes_since(state: State<'_, AppState>, cursor: i64) -> CommandResult<ChangeBatch> {
    let store = state.runtime.engine().store();
    Ok(store.changes_since(cursor, MAX_CHANGES_PER_BATCH).await?)
}
