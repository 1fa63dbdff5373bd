//! Tauri's build step, with the app's commands listed so each needs an explicit permission.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "get_status",
        "list_events",
        "get_event",
        "event_summaries",
        "list_event_types",
        "list_users",
        "get_user",
        "count_users",
        "changes_since",
        "watch_changes",
        "set_pins",
        "change_settings",
        "replay",
        "list_fixtures",
        "send_test_event",
        "restart_tunnel",
        "test_public_url",
        "re_signed_headers",
        "recovery_plan",
        "recover",
        "load_test",
        "stop_load_test",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .unwrap_or_else(|e| panic!("tauri build step failed: {e:#}"));
}
