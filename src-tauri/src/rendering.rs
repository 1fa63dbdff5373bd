//! How the webview renders on Linux without a GPU. WebKitGTK's accelerated compositing then
//! runs on software OpenGL (llvmpipe): measured under Xvfb, it cost WebKit about half a CPU
//! core with the live log open and frames of up to 90 ms at 500 webhooks/s; drawing without
//! compositing halved both. With a GPU render node the default stays.

use std::path::Path;

/// Turns accelerated compositing off for `window` when the machine has no GPU render node.
#[cfg(target_os = "linux")]
pub fn adapt(window: &tauri::WebviewWindow) {
    if has_render_node(Path::new("/dev/dri")) {
        return;
    }
    let applied = window.with_webview(|webview| {
        use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
        if let Some(settings) = webview.inner().settings() {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    });
    match applied {
        Ok(()) => tracing::info!("no GPU render node: drawing the window without compositing"),
        Err(e) => tracing::warn!(error = %e, "could not change the webview's rendering"),
    }
}

/// Other platforms keep their defaults.
#[cfg(not(target_os = "linux"))]
pub fn adapt(_window: &tauri::WebviewWindow) {}

/// Whether `/dev/dri` holds a render node (`renderD128`, …).
fn has_render_node(dri: &Path) -> bool {
    std::fs::read_dir(dri).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}
