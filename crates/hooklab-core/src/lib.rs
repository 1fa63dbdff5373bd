//! Hooklab's engine: captures every Clerk webhook request exactly as received, verifies its
//! Svix signature, syncs users into SQLite, and announces it all on a bus. No Tauri, no UI.

pub mod alarm;
pub mod bus;
pub mod capture;
pub mod clerk;
pub mod client;
mod connections;
pub mod engine;
pub mod error_body;
pub mod feed;
pub mod fixtures;
pub mod forward;
pub mod ids;
pub mod junk;
pub mod load;
mod not_stored;
pub mod pretty;
pub mod probe;
pub mod receiver;
pub mod recover;
pub mod replay;
pub mod runtime;
pub mod secret;
pub mod send;
pub mod settings;
mod settle;
pub mod store;
pub mod sync;
pub mod test_event;
pub mod text;
pub mod tunnel;
pub mod upload;
pub mod verify;

pub use engine::{Engine, EngineConfig, Receipt};
