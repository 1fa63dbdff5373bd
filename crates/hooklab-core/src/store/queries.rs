//! The store's typed queries for the shell, the runtime and tests: async, on pooled read
//! connections, returning serializable values; SQL and rusqlite stay inside the store.

use super::{
    ChangeBatch, EventDetail, EventFilter, EventPage, EventSummary, Store, StoreError,
    TunnelStateRow, UserDetail, UserPage, UserQuery, changes, events, text_index, tunnel, users,
};

impl Store {
    /// One page of events, newest first.
    pub async fn events(&self, filter: EventFilter) -> Result<EventPage, StoreError> {
        self.read(move |c| events::list_events(c, &filter)).await
    }

    /// One event in full, by row id or svix-id.
    pub async fn event(&self, key: impl Into<String>) -> Result<Option<EventDetail>, StoreError> {
        let key = key.into();
        self.read(move |c| events::get_event(c, &key)).await
    }

    /// Summaries of the events `ids` that exist (at most 500 are read).
    pub async fn event_summaries(
        &self,
        mut ids: Vec<i64>,
    ) -> Result<Vec<EventSummary>, StoreError> {
        ids.truncate(500);
        self.read(move |c| events::event_summaries(c, &ids)).await
    }

    /// One page of users in the query's order; `search` matches ids, emails, phone, names.
    pub async fn users(&self, query: UserQuery) -> Result<UserPage, StoreError> {
        self.read(move |c| users::list_users(c, &query)).await
    }

    /// One user with sessions and timeline.
    pub async fn user(&self, id: impl Into<String>) -> Result<Option<UserDetail>, StoreError> {
        let id = id.into();
        self.read(move |c| users::get_user(c, &id)).await
    }

    /// How many stored events the text index has not reached yet: searches scan them, so a
    /// long backlog (right after a flood) makes text search slower until the writer catches up.
    pub async fn unindexed_events(&self) -> Result<i64, StoreError> {
        self.read(text_index::unindexed).await
    }

    /// How many users are synced: active and deleted.
    pub async fn user_counts(&self) -> Result<users::UserCounts, StoreError> {
        self.read(users::count_users).await
    }

    /// The tunnel's latest `limit` state changes, newest first.
    pub async fn tunnel_states(&self, limit: u32) -> Result<Vec<TunnelStateRow>, StoreError> {
        self.read(move |c| tunnel::list_tunnel_states(c, limit))
            .await
    }

    /// The latest stretch without a public URL (see [`super::Downtime`]).
    pub async fn last_downtime(&self) -> Result<Option<super::Downtime>, StoreError> {
        self.read(super::downtime::last_downtime).await
    }

    /// What changed after `after` (see [`ChangeBatch`]).
    pub async fn changes_since(&self, after: i64, limit: u32) -> Result<ChangeBatch, StoreError> {
        self.read(move |c| changes::changes_since(c, after, limit))
            .await
    }

    /// The latest change-feed number.
    pub async fn latest_change(&self) -> Result<i64, StoreError> {
        self.read(changes::latest_change).await
    }

    /// Records a tunnel state change; returns its id.
    pub async fn record_tunnel_state(
        &self,
        at: i64,
        state: &'static str,
        url: Option<String>,
        detail: Option<String>,
    ) -> Result<i64, StoreError> {
        self.write_aside(move |c| {
            tunnel::record_tunnel_state(c, at, state, url.as_deref(), detail.as_deref())
        })
        .await
    }

    /// Claims the events not forwarded before (see `forwards::claim_forwards`); returns those.
    pub(crate) async fn claim_forwards(
        &self,
        ids: Vec<i64>,
        url: String,
        at: i64,
    ) -> Result<Vec<i64>, StoreError> {
        self.write_aside(move |c| super::forwards::claim_forwards(c, &ids, &url, at))
            .await
    }

    /// Stores forwards to the user's app (each replaces its event's previous one).
    pub async fn record_forwards(&self, forwards: Vec<super::Forward>) -> Result<(), StoreError> {
        self.write_aside(move |c| super::forwards::record_forwards(c, &forwards))
            .await
    }

    /// The newest event's id (0 when there is none).
    pub async fn latest_event_id(&self) -> Result<i64, StoreError> {
        self.read(|c| c.query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0)))
            .await
    }

    /// Every event type verified events have had (as far as the index pass has read), sorted.
    pub async fn event_types(&self) -> Result<Vec<String>, StoreError> {
        self.read(text_index::event_types).await
    }

    /// Clerk's messages that failed since `since_ms` and were never delivered since, oldest
    /// first: what a recovery re-runs.
    pub(crate) async fn unrecovered(
        &self,
        since_ms: i64,
    ) -> Result<super::recovery::Unrecovered, StoreError> {
        self.read(move |c| super::recovery::unrecovered(c, since_ms))
            .await
    }

    /// Event `id` as it arrived, without replays, deliveries or what it changed (forwarding).
    pub(crate) async fn event_request(&self, id: i64) -> Result<Option<EventDetail>, StoreError> {
        self.read(move |c| events::get_request(c, id)).await
    }
}
