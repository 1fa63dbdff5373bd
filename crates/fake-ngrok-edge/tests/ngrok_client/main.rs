//! Runs the real ngrok-rs 0.19.0 client against the fake edge over loopback TCP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod connect;
mod domains;
mod proxy;
mod reconnect;
mod shutdown;
mod support;
