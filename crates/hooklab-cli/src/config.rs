//! `hooklab config`: show and change the settings file, secrets always masked.

use std::io::IsTerminal;

use hooklab_core::secret::mask;
use hooklab_core::settings::{self, SECRET_ENV, SettingsChange};
use hooklab_core::store::Synchronous;
use hooklab_core::tunnel::{AUTHTOKEN_ENV, DOMAIN_ENV};

use crate::args::{ConfigCommand, Limit};
use crate::context::Context;
use crate::error::CliError;
use crate::output::{print_json, say};

/// Runs one `config` subcommand. Every change is validated like the desktop app's Settings
/// screen does it; a running `hooklab serve` or app applies it within a second.
pub fn run(mut ctx: Context, command: ConfigCommand) -> Result<(), CliError> {
    let change = match command {
        ConfigCommand::Show => {
            show(&ctx);
            return Ok(());
        }
        ConfigCommand::SetSecret {
            secret,
            keep_previous,
        } => SettingsChange::SetSecret {
            secret: given_or_read(secret, "the signing secret (whsec_…)")?,
            keep_previous,
        },
        ConfigCommand::ClearSecrets => SettingsChange::ClearSecrets,
        ConfigCommand::SetPath { path } => SettingsChange::SetWebhookPath { path },
        ConfigCommand::SetPort { port } => SettingsChange::SetPort { port },
        ConfigCommand::SetNgrokAuthtoken { token } => SettingsChange::SetNgrokAuthtoken {
            token: Some(given_or_read(token, "the ngrok authtoken")?),
        },
        ConfigCommand::SetNgrokDomain { domain } => SettingsChange::SetNgrokDomain {
            domain: Some(domain),
        },
        ConfigCommand::SetForward { url, live } => SettingsChange::SetForward {
            url: Some(url),
            live,
        },
        ConfigCommand::ClearForward => SettingsChange::SetForward {
            url: None,
            live: false,
        },
        ConfigCommand::SetVerifyAtEdge { state } => {
            SettingsChange::SetVerifyAtEdge { on: state == "on" }
        }
        ConfigCommand::SetSynchronous { mode } => {
            SettingsChange::SetSynchronous { synchronous: mode }
        }
        ConfigCommand::SetRetention {
            max_age_days,
            max_events,
            max_size_mb,
        } => {
            let mut retention = ctx.settings.retention;
            if let Some(Limit(days)) = max_age_days {
                retention.max_age_days = days.map(|d| u32::try_from(d).unwrap_or(u32::MAX));
            }
            if let Some(Limit(n)) = max_events {
                retention.max_events = n;
            }
            if let Some(Limit(mb)) = max_size_mb {
                retention.max_size_mb = mb;
            }
            SettingsChange::SetRetention { retention }
        }
    };
    change
        .apply_to(&mut ctx.settings)
        .map_err(|e| CliError::Usage {
            message: e.message,
            hint: Some(e.hint),
        })?;
    settings::save(&ctx.settings_path, &ctx.settings)?;
    if !ctx.json {
        say!("Saved: {}", saved(&change, &ctx.settings));
    }
    show(&ctx);
    Ok(())
}

/// What a change stored, in words (secrets masked).
fn saved(change: &SettingsChange, s: &settings::Settings) -> String {
    match change {
        SettingsChange::SetSecret { .. } => match s.secrets.as_slice() {
            [current, previous, ..] => format!(
                "signing secret {} as current; {} stays valid as previous",
                mask(current),
                mask(previous)
            ),
            [current] => format!("signing secret {}", mask(current)),
            [] => "no signing secret".to_owned(),
        },
        SettingsChange::DropPreviousSecret => "the previous signing secret is forgotten".to_owned(),
        SettingsChange::ClearSecrets => "every signing secret is forgotten".to_owned(),
        SettingsChange::SetWebhookPath { .. } => format!(
            "webhook path {}",
            s.webhook_path.as_deref().unwrap_or_default()
        ),
        SettingsChange::SetPort { port } => format!("port {port}"),
        SettingsChange::SetNgrokAuthtoken { .. } => format!(
            "ngrok authtoken {}",
            s.ngrok_authtoken.as_deref().map(mask).unwrap_or_default()
        ),
        SettingsChange::SetNgrokDomain { .. } => format!(
            "ngrok domain {}",
            s.ngrok_domain.as_deref().unwrap_or("none")
        ),
        SettingsChange::SetRetention { retention } => {
            format!("retention: keeps {}", retention_text(retention))
        }
        SettingsChange::SetForward { .. } => format!("your app: {}", forward_text(s)),
        SettingsChange::SetVerifyAtEdge { .. } => {
            format!("verification at ngrok's edge: {}", edge_text(s))
        }
        SettingsChange::SetSynchronous { .. } => {
            format!("durability: {} (from the next start)", durability_text(s))
        }
    }
}

/// The value given on the command line, else one line read from stdin (after a prompt on
/// stderr when stdin is a terminal): a secret typed as an argument ends up in `ps` and in the
/// shell's history.
fn given_or_read(given: Option<String>, what: &str) -> Result<String, CliError> {
    if let Some(value) = given {
        return Ok(value);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Paste {what} and press Enter: ");
    }
    let mut line = String::new();
    stdin.read_line(&mut line).map_err(|e| CliError::Usage {
        message: format!("could not read {what} from stdin: {e}"),
        hint: None,
    })?;
    let value = line.trim().to_owned();
    if value.is_empty() {
        return Err(CliError::usage(
            format!("no value for {what}"),
            "Pipe it on stdin (`pbpaste | hooklab config set-secret`), paste it at the prompt, \
             or pass it as an argument.",
        ));
    }
    Ok(value)
}

fn show(ctx: &Context) {
    let s = &ctx.settings;
    let env_secret = SECRET_ENV.iter().find(|n| std::env::var_os(n).is_some());
    let ngrok_env: Vec<&str> = [AUTHTOKEN_ENV, DOMAIN_ENV]
        .into_iter()
        .filter(|n| std::env::var_os(n).is_some())
        .collect();
    if ctx.json {
        print_json(&serde_json::json!({
            "settings_file": ctx.settings_path,
            "database": ctx.db,
            "secrets": s.secrets.iter().map(|v| mask(v)).collect::<Vec<_>>(),
            "secret_env_override": env_secret,
            "webhook_path": ctx.webhook_path(None),
            "port": ctx.port(None),
            "synchronous": s.synchronous.unwrap_or_default(),
            "ngrok_authtoken": s.ngrok_authtoken.as_deref().map(mask),
            "ngrok_domain": s.ngrok_domain,
            "ngrok_env_override": ngrok_env,
            "last_public_url": s.last_public_url,
            "retention": s.retention,
            "forward_url": s.forward_url,
            "forward_live": s.forward_live,
            "verify_at_edge": s.verify_at_edge,
        }));
        return;
    }
    say!("settings file  {}", ctx.settings_path.display());
    say!("database       {}", ctx.db.display());
    let masked: Vec<String> = s
        .secrets
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "{} ({})",
                mask(v),
                if i == 0 { "current" } else { "previous" }
            )
        })
        .collect();
    say!(
        "secrets        {}",
        if masked.is_empty() {
            "none".to_owned()
        } else {
            masked.join(", ")
        }
    );
    if let Some(name) = env_secret {
        say!("               ({name} is set and wins over the file)");
    }
    say!("webhook path   {}", ctx.webhook_path(None));
    say!("port           {}", ctx.port(None));
    say!(
        "ngrok token    {}",
        s.ngrok_authtoken
            .as_deref()
            .map_or_else(|| "none".to_owned(), mask)
    );
    say!(
        "ngrok domain   {}",
        s.ngrok_domain
            .as_deref()
            .unwrap_or("none (ngrok assigns one)")
    );
    for name in ngrok_env {
        say!("               ({name} is set and wins over the file)");
    }
    say!("edge check     {}", edge_text(s));
    if let Some(url) = &s.last_public_url {
        say!("last URL       {url}");
    }
    say!("durability     {}", durability_text(s));
    say!("keeps events   {}", retention_text(&s.retention));
    say!("your app       {}", forward_text(s));
}

/// What a stored event survives.
fn durability_text(s: &settings::Settings) -> &'static str {
    match s.synchronous.unwrap_or_default() {
        Synchronous::Normal => "normal: a stored event survives a crash (kill -9)",
        Synchronous::Full => "full: a stored event also survives a power cut (slower)",
    }
}

/// Whether ngrok checks Clerk's signature at its edge, and what that costs.
fn edge_text(s: &settings::Settings) -> &'static str {
    if s.verify_at_edge {
        "on: ngrok refuses requests Clerk did not sign; Hooklab never sees them"
    } else {
        "off: every request reaches Hooklab, which verifies and diagnoses it"
    }
}

/// `http://localhost:3000/… (every verified event is forwarded)`, or `none`.
fn forward_text(s: &settings::Settings) -> String {
    match (&s.forward_url, s.forward_live) {
        (None, _) => "none (`hooklab config set-forward URL --live` to forward events)".to_owned(),
        (Some(url), true) => format!("{url} (every verified event is forwarded)"),
        (Some(url), false) => format!("{url} (not forwarding: resends only)"),
    }
}

/// `30 days, 100000 events, 1024 MB` (the limits set), or `all of them`.
fn retention_text(r: &hooklab_core::store::Retention) -> String {
    let limits: Vec<String> = [
        r.max_age_days.map(|d| format!("{d} days")),
        r.max_events.map(|n| format!("{n} events")),
        r.max_size_mb.map(|mb| format!("{mb} MB")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if limits.is_empty() {
        "all of them (no retention limit)".to_owned()
    } else {
        format!("at most {} (the oldest are pruned)", limits.join(", "))
    }
}
