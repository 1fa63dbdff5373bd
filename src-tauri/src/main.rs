//! Hooklab's desktop app: starts the engine's runtime on launch, gives the webview thin
//! commands over it, streams its changes in batches, and stops it cleanly on quit.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod error;
mod forward;
mod launch;
mod logging;
mod rendering;

use tauri::webview::PageLoadEvent;
use tauri::{Manager, RunEvent};

fn main() {
    let _log = logging::init();
    let app = tauri::Builder::default()
        // First, so a second launch only focuses the first window.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_clipboard_manager::init())
        // Wall-clock time, so a launch benchmark can line it up with when it spawned the app.
        .on_page_load(|webview, payload| {
            if webview.label() == "main" && payload.event() == PageLoadEvent::Finished {
                tracing::info!(at_ms = hooklab_core::capture::now_ms(), "window loaded");
            }
        })
        .setup(|app| {
            let state = tauri::async_runtime::block_on(launch::start())?;
            app.manage(forward::ChangeSink::default());
            app.manage(forward::LastProbe::default());
            app.manage(hooklab_core::load::Runs::default());
            forward::spawn(app.handle().clone(), state.runtime.clone());
            if let Some(window) = app.get_webview_window("main") {
                rendering::adapt(&window);
            }
            app.manage(state);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::status::get_status,
            commands::events::list_events,
            commands::events::get_event,
            commands::events::event_summaries,
            commands::events::list_event_types,
            commands::events::changes_since,
            commands::events::watch_changes,
            commands::events::set_pins,
            commands::users::list_users,
            commands::users::get_user,
            commands::users::count_users,
            commands::settings::change_settings,
            commands::resend::replay,
            commands::resend::re_signed_headers,
            commands::resend::recovery_plan,
            commands::resend::recover,
            commands::test_events::list_fixtures,
            commands::test_events::send_test_event,
            commands::status::restart_tunnel,
            commands::status::test_public_url,
            commands::load_test::load_test,
            commands::load_test::stop_load_test,
        ])
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "Hooklab could not start");
            eprintln!("Hooklab could not start: {e}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let RunEvent::Exit = event
            && let Some(state) = handle.try_state::<launch::AppState>()
        {
            tauri::async_runtime::block_on(state.runtime.shutdown());
        }
    });
}
