//! `hooklab send` and `hooklab fixtures`: sign a realistic Clerk event like Svix and post it,
//! or deliberately break it, then show how the receiver answered.

use bytes::Bytes;
use hooklab_core::capture::now_ms;
use hooklab_core::client::HttpClient;
use hooklab_core::fixtures::{FIXTURES, find, prepare};
use hooklab_core::send::{SignOptions, sign, sign_as};

use crate::args::SendArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{print_json, print_table, say};

/// Sends the fixture `times` times (one message: later sends are redeliveries).
pub async fn run(ctx: Context, args: SendArgs) -> Result<(), CliError> {
    let secrets = ctx.secrets()?;
    let secret = secrets.first().ok_or_else(|| {
        CliError::usage(
            "send needs a signing secret to sign with",
            "Pass --secret whsec_… or set CLERK_WEBHOOK_SECRET: the same secret the receiver verifies with.",
        )
    })?;
    let template = load_template(&args.fixture)?;
    let now = now_ms();
    let prepared = prepare(&template, args.user_id.as_deref(), now)?;
    let url = args.to.clone().unwrap_or_else(|| {
        format!(
            "http://127.0.0.1:{}{}",
            ctx.port(None),
            ctx.webhook_path(None)
        )
    });
    let options = SignOptions {
        timestamp_offset: args.timestamp_offset.unwrap_or(0),
        bad_signature: args.bad_signature,
    };
    let body = Bytes::from(prepared.body);
    let first = sign(body.clone(), secret, now / 1000, options);
    let client = HttpClient::new();
    let mut failed = None;
    for attempt in 1..=args.times.max(1) {
        let delivery = if attempt == 1 {
            first.clone()
        } else {
            sign_as(
                first.svix_id.clone(),
                body.clone(),
                secret,
                now_ms() / 1000,
                options,
            )
        };
        let reply = delivery.post(&client, &url).await?;
        if ctx.json {
            print_json(&serde_json::json!({
                "url": url, "svix_id": delivery.svix_id, "type": prepared.event_type,
                "user_id": prepared.user_id, "attempt": attempt, "status": reply.status,
                "elapsed_ms": reply.elapsed_ms,
                "response": serde_json::from_str::<serde_json::Value>(&reply.body)
                    .unwrap_or(serde_json::Value::String(reply.body.clone())),
            }));
        } else {
            say!(
                "→ POST {url}  {}  {}{}",
                prepared.event_type,
                delivery.svix_id,
                prepared
                    .user_id
                    .as_deref()
                    .map(|u| format!("  (user {u})"))
                    .unwrap_or_default()
            );
            say!("← {} in {:.1} ms", reply.status, reply.elapsed_ms);
            if !reply.body.is_empty() {
                say!("  {}", reply.body);
            }
        }
        if !(200..300).contains(&reply.status) {
            failed = Some(reply.status);
        }
    }
    match failed {
        Some(status) => Err(CliError::Failed(format!("the receiver answered {status}"))),
        None => Ok(()),
    }
}

fn load_template(name: &str) -> Result<String, CliError> {
    if let Some(fixture) = find(name) {
        return Ok(fixture.json.to_owned());
    }
    if std::path::Path::new(name).is_file() {
        return std::fs::read_to_string(name)
            .map_err(|e| CliError::Io(format!("cannot read {name}: {e}")));
    }
    let names: Vec<&str> = FIXTURES.iter().map(|f| f.name).collect();
    Err(CliError::usage(
        format!("no fixture or file named {name}"),
        format!("Known fixtures: {}", names.join(", ")),
    ))
}

/// Lists the fixtures.
pub fn list(ctx: &Context) {
    if ctx.json {
        let items: Vec<_> = FIXTURES
            .iter()
            .map(|f| serde_json::json!({"name": f.name, "about": f.about}))
            .collect();
        print_json(&items);
        return;
    }
    let rows: Vec<Vec<String>> = FIXTURES
        .iter()
        .map(|f| vec![f.name.to_owned(), f.about.to_owned()])
        .collect();
    print_table(&["fixture", "models"], &rows);
}
