//! The commands the webview may call (each listed in build.rs and allowed in
//! capabilities/default.json): a few lines each, calling the engine and mapping its error.

pub mod events;
pub mod load_test;
pub mod resend;
pub mod settings;
pub mod status;
pub mod test_events;
pub mod users;
