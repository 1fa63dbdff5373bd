//! `hooklab serve`: the receiver on loopback (and, with `--tunnel`, on a public ngrok URL),
//! printing one line per event and per tunnel state from the engine bus.

use hooklab_core::bus::BusEvent;
use hooklab_core::runtime::{Runtime, RuntimeOptions, RuntimeStatus, TunnelMode};
use hooklab_core::settings;
use hooklab_core::tunnel::{TunnelState, clerk_checklist, seconds};
use tokio::sync::broadcast::error::RecvError;

use crate::args::ServeArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::live;
use crate::output::{print_json, say};

/// Runs until Ctrl-C or SIGTERM, then finishes pending writes. Settings saved meanwhile (by
/// `hooklab config` or the desktop app) apply within a second.
pub async fn run(ctx: Context, args: ServeArgs) -> Result<(), CliError> {
    if args.verify_at_edge && ctx.secrets()?.is_empty() {
        return Err(CliError::usage(
            "--verify-at-edge needs the signing secret",
            "Run `hooklab config set-secret whsec_…` (or pass --secret), so ngrok can check \
             Clerk's signatures.",
        ));
    }
    let mut options = RuntimeOptions::new(ctx.db.clone(), ctx.settings_path.clone());
    options.overrides = ctx.overrides();
    options.overrides.port = args.port;
    options.overrides.webhook_path = args.path.clone();
    options.overrides.synchronous = args.synchronous;
    options.overrides.domain = args.domain.clone();
    options.overrides.verify_at_edge = args.verify_at_edge;
    if let Some(url) = &args.forward_to {
        let url = settings::normalize_forward_url(url, ctx.port(args.port))
            .map_err(|e| CliError::usage(format!("--forward-to: {}", e.message), e.hint))?;
        options.overrides.forward_to = Some(url);
    }
    options.tunnel = if args.tunnel {
        TunnelMode::Always
    } else {
        TunnelMode::Off
    };
    let runtime = Runtime::start(options).await?;
    let status = runtime.status();
    if ctx.json {
        print_json(&serde_json::json!({
            "kind": "listening", "url": status.local_url, "db": ctx.db,
            "secrets": status.secrets.iter().map(|s| &s.masked).collect::<Vec<_>>(),
            "tunnel": args.tunnel,
        }));
    } else {
        print_banner(&status, &args);
    }
    let printer = tokio::spawn(print_events(runtime.clone(), ctx.json));
    shutdown_signal().await;
    runtime.shutdown().await;
    printer.abort();
    Ok(())
}

fn print_banner(status: &RuntimeStatus, args: &ServeArgs) {
    let url = &status.local_url;
    say!("Hooklab is receiving Clerk webhooks at {url}");
    print_secrets(status);
    say!("  database         {}", status.db_path);
    if let (true, Some(url)) = (status.forwarding, &status.forward_url) {
        say!("  forwarding to    {url} (every verified event; your app's answer is shown)");
    }
    say!("  try it           hooklab send user.created --to {url}");
    if args.tunnel {
        say!(
            "  public URL       opening an ngrok tunnel{}{}…",
            status
                .ngrok_domain
                .as_deref()
                .map(|d| format!(" on {d}"))
                .unwrap_or_default(),
            if status.verify_at_edge {
                " with signature verification at the edge"
            } else {
                ""
            }
        );
    } else {
        say!(
            "  public URL       none: local-only mode. Add --tunnel for a public HTTPS URL \
             through ngrok (see docs/tunnel.md)."
        );
    }
    say!("Waiting for events (Ctrl-C to stop)…");
}

fn print_secrets(status: &RuntimeStatus) {
    if status.secrets.is_empty() {
        say!(
            "  signing secrets  none: every delivery will fail verification (401). Run \
             `hooklab config set-secret whsec_…` (applies without a restart)."
        );
        return;
    }
    let listed: Vec<String> = status
        .secrets
        .iter()
        .map(|s| format!("{} ({})", s.masked, s.role))
        .collect();
    let from = status
        .secrets
        .first()
        .map(|s| s.origin.label())
        .unwrap_or_default();
    say!("  signing secrets  {} from {from}", listed.join(", "));
}

async fn print_events(runtime: Runtime, json: bool) {
    let mut bus = runtime.engine().subscribe();
    let mut tunnel = TunnelLines::default();
    let mut shown = runtime.status();
    loop {
        match bus.recv().await {
            Ok(BusEvent::SettingsApplied) if json => print_json(&serde_json::json!({
                "kind": "settings_applied", "status": runtime.status(),
            })),
            Ok(BusEvent::Captured(e)) => live::event(&e, None, json),
            Ok(BusEvent::OutcomeUpdated(e)) => {
                live::event(&e, Some(format!("redelivery #{}", e.delivery_count)), json);
            }
            Ok(BusEvent::Forwarded(f)) => live::forward(&f, json),
            Ok(event) if json => print_json(&event),
            Ok(BusEvent::SettingsApplied) => {
                let now = runtime.status();
                print_settings_change(&shown, &now);
                // Counted beside the loop, so a burst arriving meanwhile is not held up.
                let (engine, before, after) =
                    (runtime.engine().clone(), shown.clone(), now.clone());
                tokio::spawn(async move { crate::recover::offer(&engine, &before, &after).await });
                shown = now;
            }
            Ok(BusEvent::Alarm(alarm)) => {
                say!("!!!! {}", alarm.message);
                say!("    hint: {}", alarm.hint);
            }
            Ok(BusEvent::UserChanged { .. }) => {}
            Ok(BusEvent::Tunnel(state)) => tunnel.print(&state, &runtime.status().local_url),
            Err(RecvError::Lagged(n)) => say!("… {n} events not shown (see `hooklab events`)"),
            Err(RecvError::Closed) => return,
        }
    }
}

/// Says what a settings change changed.
fn print_settings_change(before: &RuntimeStatus, after: &RuntimeStatus) {
    if before.secrets != after.secrets {
        say!("settings  signing secrets changed:");
        print_secrets(after);
        if let Some(by) = &after.secrets_overridden_by {
            say!("    note: {by} overrides the settings file's secrets while this runs");
        }
    }
    if before.local_url != after.local_url {
        say!("settings  now receiving at {}", after.local_url);
    }
    if before.ngrok_authtoken != after.ngrok_authtoken || before.ngrok_domain != after.ngrok_domain
    {
        say!("settings  ngrok authtoken or domain changed: the tunnel restarts");
    }
    if let Some(problem) = &after.settings_problem
        && before.settings_problem.as_ref() != Some(problem)
    {
        say!("settings  NOT applied: {}", problem.message);
        if let Some(hint) = &problem.hint {
            say!("    hint: {hint}");
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
            TunnelState::Off => say!("tunnel  off: receiving on {local_url} only"),
            TunnelState::Connecting => say!("tunnel  connecting to ngrok…"),
            TunnelState::Online { webhook_url, .. } => {
                self.hinted = None;
                say!("tunnel  online: Clerk can deliver to {webhook_url}");
                if let Some(warning) = state.url_change_warning() {
                    say!("!!!!");
                    say!("!!!! THE PUBLIC URL CHANGED. {warning}");
                    say!("!!!!");
                }
                if self.checklist_for.as_deref() != Some(webhook_url) {
                    self.checklist_for = Some(webhook_url.clone());
                    say!("  Clerk setup checklist:");
                    for (n, step) in clerk_checklist(webhook_url).iter().enumerate() {
                        say!("    {}. {step}", n + 1);
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
                say!(
                    "tunnel  reconnecting: attempt {attempt} in {}: {last_error}",
                    seconds(*retry_in)
                );
                if self.hinted.as_deref() != Some(code) {
                    self.hinted = Some(code.clone());
                    if let Some(hint) = hint {
                        say!("    hint: {hint}");
                    }
                }
            }
            TunnelState::Failed { error, hint, .. } => {
                say!("tunnel  failed: {error}");
                say!("    hint: {hint}");
                say!("    still receiving locally at {local_url}");
            }
        }
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
