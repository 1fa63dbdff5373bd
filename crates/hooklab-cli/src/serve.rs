//! `hooklab serve`: the receiver on loopback, printing one line per event from the engine bus.

use hooklab_core::bus::BusEvent;
use hooklab_core::engine::{Engine, EngineConfig};
use hooklab_core::receiver;
use hooklab_core::store::EventSummary;
use tokio::net::TcpListener;
use tokio::sync::broadcast::error::RecvError;

use crate::args::ServeArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{fit, print_json, time};

/// Runs until Ctrl-C or SIGTERM, then finishes pending writes.
pub async fn run(ctx: Context, args: ServeArgs) -> Result<(), CliError> {
    let secrets = ctx.secrets()?;
    let path = ctx.webhook_path(args.path.as_deref());
    let port = ctx.port(args.port);
    let mut config = EngineConfig::new(ctx.db.clone());
    config.webhook_path = path.clone();
    config.store.synchronous = args
        .synchronous
        .or(ctx.settings.synchronous)
        .unwrap_or_default();
    let masked: Vec<String> = secrets.iter().map(|s| s.masked()).collect();
    let origin = secrets.first().map(|s| s.origin());
    config.secrets = secrets;
    let engine = Engine::start(config)?;
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => CliError::usage(
                format!("port {port} is already in use"),
                "Another `hooklab serve` (or another program) is listening there; stop it or pass --port.",
            ),
            _ => CliError::Io(format!("cannot listen on 127.0.0.1:{port}: {e}")),
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::Io(e.to_string()))?;
    let url = format!("http://{addr}{path}");
    if ctx.json {
        print_json(&serde_json::json!({
            "kind": "listening", "url": url, "db": ctx.db, "secrets": masked,
        }));
    } else {
        println!("Hooklab is receiving Clerk webhooks at {url}");
        match origin {
            Some(origin) => println!(
                "  signing secrets  {} (from {})",
                masked.join(", "),
                origin.label()
            ),
            None => println!(
                "  signing secrets  none: every delivery will fail verification (401). Pass \
                 --secret whsec_… or set CLERK_WEBHOOK_SECRET."
            ),
        }
        println!("  database         {}", ctx.db.display());
        println!("  try it           hooklab send user.created --to {url}");
        println!("Waiting for events (Ctrl-C to stop)…");
    }
    let printer = tokio::spawn(print_events(engine.subscribe(), ctx.json));
    let served = receiver::serve(listener, engine.clone(), shutdown_signal()).await;
    engine.close().await;
    printer.abort();
    served.map_err(|e| CliError::Io(format!("the receiver stopped: {e}")))
}

async fn print_events(mut bus: tokio::sync::broadcast::Receiver<BusEvent>, json: bool) {
    loop {
        match bus.recv().await {
            Ok(event) if json => print_json(&event),
            Ok(BusEvent::Captured(e)) => print_line(&e, None),
            Ok(BusEvent::OutcomeUpdated(e)) => {
                print_line(&e, Some(format!("redelivery #{}", e.delivery_count)));
            }
            Ok(BusEvent::UserChanged { .. }) => {}
            Err(RecvError::Lagged(n)) => println!("… {n} events not shown (see `hooklab events`)"),
            Err(RecvError::Closed) => return,
        }
    }
}

fn print_line(e: &EventSummary, note: Option<String>) {
    let what = e
        .event_type
        .clone()
        .unwrap_or_else(|| format!("{} {}", e.method, fit(&e.path, 40)));
    let sync = note.unwrap_or_else(|| e.sync_detail.clone());
    println!(
        "{}  {}  {:<22} {:<31} {:<19} {}",
        time(e.last_delivery_at),
        e.status,
        what,
        e.svix_id.as_deref().unwrap_or("-"),
        e.verification,
        sync
    );
    if e.status >= 300
        && let Some(hint) = &e.hint
    {
        println!("    hint: {hint}");
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
