//! `hooklab serve`: the receiver on loopback (and, with `--tunnel`, on a public ngrok URL),
//! printing one line per event and per tunnel state from the engine bus.

use hooklab_core::bus::BusEvent;
use hooklab_core::engine::{Engine, EngineConfig};
use hooklab_core::receiver;
use hooklab_core::store::EventSummary;
use hooklab_core::tunnel::{
    Supervisor, TunnelConfig, TunnelState, clerk_checklist, resolve_authtoken, resolve_domain,
    seconds,
};
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
    let tunnel = tunnel_config(&ctx, &args, secrets.first().map(|s| s.expose().to_owned()))?;
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
            "tunnel": tunnel.is_some(),
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
        match &tunnel {
            None => println!(
                "  public URL       none: local-only mode. Add --tunnel for a public HTTPS URL \
                 through ngrok (see docs/tunnel.md)."
            ),
            Some(config) => println!(
                "  public URL       opening an ngrok tunnel{}{}…",
                config
                    .domain
                    .as_deref()
                    .map(|d| format!(" on {d}"))
                    .unwrap_or_default(),
                if config.edge_verification_secret.is_some() {
                    " with signature verification at the edge"
                } else {
                    ""
                }
            ),
        }
        println!("Waiting for events (Ctrl-C to stop)…");
    }
    let printer = tokio::spawn(print_events(engine.subscribe(), ctx.json, url.clone()));
    let supervisor = Supervisor::new(engine.clone());
    if let Some(config) = tunnel {
        supervisor.start(config).await;
    }
    let served = receiver::serve(listener, engine.clone(), shutdown_signal()).await;
    supervisor.stop().await;
    engine.close().await;
    printer.abort();
    served.map_err(|e| CliError::Io(format!("the receiver stopped: {e}")))
}

/// The tunnel's settings for `--tunnel`: authtoken from NGROK_AUTHTOKEN or the settings file
/// (never a flag: it would land in the shell history), domain from --domain, NGROK_DOMAIN or
/// the settings file.
fn tunnel_config(
    ctx: &Context,
    args: &ServeArgs,
    current_secret: Option<String>,
) -> Result<Option<TunnelConfig>, CliError> {
    if !args.tunnel {
        return Ok(None);
    }
    let env = |name: &str| std::env::var(name).ok();
    let mut config = TunnelConfig::new(resolve_authtoken(env, &ctx.settings));
    config.domain = resolve_domain(args.domain.as_deref(), env, &ctx.settings);
    config.settings_path = Some(ctx.settings_path.clone());
    if args.verify_at_edge {
        let Some(secret) = current_secret else {
            return Err(CliError::usage(
                "--verify-at-edge needs the signing secret",
                "Pass --secret whsec_… or set CLERK_WEBHOOK_SECRET, so ngrok can check Clerk's \
                 signatures.",
            ));
        };
        config.edge_verification_secret = Some(secret);
    }
    Ok(Some(config))
}

async fn print_events(
    mut bus: tokio::sync::broadcast::Receiver<BusEvent>,
    json: bool,
    local_url: String,
) {
    let mut tunnel = TunnelLines::default();
    loop {
        match bus.recv().await {
            Ok(event) if json => print_json(&event),
            Ok(BusEvent::Captured(e)) => print_line(&e, None),
            Ok(BusEvent::OutcomeUpdated(e)) => {
                print_line(&e, Some(format!("redelivery #{}", e.delivery_count)));
            }
            Ok(BusEvent::UserChanged { .. }) => {}
            Ok(BusEvent::Tunnel(state)) => tunnel.print(&state, &local_url),
            Err(RecvError::Lagged(n)) => println!("… {n} events not shown (see `hooklab events`)"),
            Err(RecvError::Closed) => return,
        }
    }
}

/// Prints tunnel states as lines, without repeating the checklist or the same hint.
#[derive(Default)]
struct TunnelLines {
    /// The URL the checklist was last printed for.
    checklist_for: Option<String>,
    /// The error code whose hint was printed last.
    hinted: Option<String>,
}

impl TunnelLines {
    fn print(&mut self, state: &TunnelState, local_url: &str) {
        match state {
            TunnelState::Off => println!("tunnel  off: receiving on {local_url} only"),
            TunnelState::Connecting => println!("tunnel  connecting to ngrok…"),
            TunnelState::Online { webhook_url, .. } => {
                self.hinted = None;
                println!("tunnel  online: Clerk can deliver to {webhook_url}");
                if let Some(warning) = state.url_change_warning() {
                    println!("!!!!");
                    println!("!!!! THE PUBLIC URL CHANGED. {warning}");
                    println!("!!!!");
                }
                if self.checklist_for.as_deref() != Some(webhook_url) {
                    self.checklist_for = Some(webhook_url.clone());
                    println!("  Clerk setup checklist:");
                    for (n, step) in clerk_checklist(webhook_url).iter().enumerate() {
                        println!("    {}. {step}", n + 1);
                    }
                }
            }
            TunnelState::Reconnecting {
                attempt,
                retry_in,
                code,
                last_error,
                hint,
            } => {
                println!(
                    "tunnel  offline, retry {attempt} in {}: {last_error}",
                    seconds(*retry_in)
                );
                if self.hinted.as_deref() != Some(code) {
                    self.hinted = Some(code.clone());
                    if let Some(hint) = hint {
                        println!("    hint: {hint}");
                    }
                }
            }
            TunnelState::Failed { error, hint, .. } => {
                println!("tunnel  failed: {error}");
                println!("    hint: {hint}");
                println!("    still receiving locally at {local_url}");
            }
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
