//! `hooklab replay`: resend a captured event — re-run it in Hooklab with today's secrets, or
//! post it over HTTP as captured or re-signed — and show what became of it.

use hooklab_core::client::HttpClient;
use hooklab_core::engine::{Engine, EngineConfig};
use hooklab_core::replay::{ReplayOutcome, ReplayRequest, Signing, Target, replay};
use hooklab_core::store::{EventSummary, open_for_reading};

use crate::args::ReplayArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{print_json, say};

/// Resends one event; fails (exit 1) when the resend was not accepted.
pub async fn run(ctx: Context, args: ReplayArgs) -> Result<(), CliError> {
    // Never create a database just to find nothing in it.
    drop(open_for_reading(&ctx.db)?);
    let signing = if args.re_sign {
        Signing::ReSigned {
            new_id: args.new_id,
        }
    } else {
        Signing::AsCaptured
    };
    let target = match args.over_http.as_deref() {
        None => Target::Rerun,
        Some("") => Target::Http {
            url: format!(
                "http://127.0.0.1:{}{}",
                ctx.port(None),
                ctx.webhook_path(None)
            ),
        },
        Some(url) => Target::Http {
            url: url.to_owned(),
        },
    };
    let mut config = EngineConfig::new(ctx.db.clone());
    config.secrets = ctx.secrets()?;
    config.webhook_path = ctx.webhook_path(None);
    let engine = Engine::start(config)?;
    let request = ReplayRequest {
        key: args.key,
        signing,
        target: target.clone(),
        body: args.body.as_deref().map(read_body).transpose()?,
    };
    let outcome = replay(&engine, &HttpClient::new(), &request).await;
    engine.close().await;
    let outcome = outcome?;
    if ctx.json {
        print_json(&outcome);
    } else {
        print_outcome(&outcome, &target, signing);
    }
    let status = outcome
        .http
        .as_ref()
        .map(|h| h.status)
        .or(outcome.event.as_ref().map(|e| e.status))
        .unwrap_or(0);
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(CliError::Failed(format!(
            "the resend was answered {status}"
        )))
    }
}

/// The body to send instead of the captured one: the file at `path`, or stdin for `-`.
fn read_body(path: &str) -> Result<String, CliError> {
    let read = if path == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(path)
    };
    read.map_err(|e| {
        let what = if path == "-" { "stdin" } else { path };
        CliError::Io(format!("cannot read the body from {what}: {e}"))
    })
}

fn print_outcome(outcome: &ReplayOutcome, target: &Target, signing: Signing) {
    let o = &outcome.original;
    let how = match signing {
        Signing::AsCaptured => "as captured".to_owned(),
        Signing::ReSigned { new_id: false } => "re-signed now, same svix-id".to_owned(),
        Signing::ReSigned { new_id: true } => "re-signed now with a new svix-id".to_owned(),
    };
    say!(
        "Resending event {} ({} {}), {how}",
        o.id,
        o.event_type.as_deref().unwrap_or("not a Clerk event"),
        outcome.svix_id.as_deref().unwrap_or("-")
    );
    if let Some(note) = &outcome.note {
        say!("  note: {note}");
    }
    match (target, &outcome.http) {
        (Target::Http { url }, Some(reply)) => {
            say!("→ POST {url}");
            say!("← {} in {:.1} ms", reply.status, reply.elapsed_ms);
        }
        _ => say!("→ re-run inside Hooklab"),
    }
    match &outcome.event {
        Some(e) => print_new_event(e),
        None if outcome.http.is_some() => {
            if let Some(reply) = &outcome.http
                && !reply.body.is_empty()
            {
                say!("  {}", reply.body);
            }
        }
        None => {}
    }
}

fn print_new_event(e: &EventSummary) {
    say!(
        "  new event {}: {} {}, {}: {}",
        e.id,
        e.status,
        e.verification,
        e.sync.code(),
        e.sync_detail
    );
    if e.status >= 300
        && let Some(hint) = &e.hint
    {
        say!("    hint: {hint}");
    }
}
