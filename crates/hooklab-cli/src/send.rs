//! `hooklab send` and `hooklab fixtures`: sign a realistic Clerk event like Svix and post it,
//! or deliberately break it, then show how the receiver answered.

use hooklab_core::capture::now_ms;
use hooklab_core::client::HttpClient;
use hooklab_core::fixtures::{FIXTURES, find};
use hooklab_core::test_event::{TestMessage, TestOptions, target_url};

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
            "Run `hooklab config set-secret` and paste it (every hooklab command and the app \
             read it from the settings file), or pass --secret: the same secret the receiver \
             verifies with.",
        )
    })?;
    let template = load_template(&args.fixture)?;
    let options = TestOptions {
        user_id: args.user_id,
        session_id: args.session_id,
        timestamp_offset: args.timestamp_offset.unwrap_or(0),
        wrong_key: args.bad_signature,
        times: i64::from(args.times),
    };
    let message = TestMessage::new(&template, &options, now_ms())?;
    let url = args
        .to
        .as_deref()
        .map(target_url)
        .transpose()?
        .unwrap_or_else(|| {
            format!(
                "http://127.0.0.1:{}{}",
                ctx.port(None),
                ctx.webhook_path(None)
            )
        });
    let client = HttpClient::new();
    let mut failed = None;
    let mut attempts = Vec::new();
    for attempt in 1..=message.times {
        let delivery = message.delivery(secret, now_ms() / 1000);
        let reply = delivery.post(&client, &url).await?;
        if ctx.json {
            attempts.push(serde_json::json!({
                "attempt": attempt, "status": reply.status, "elapsed_ms": reply.elapsed_ms,
                "response": serde_json::from_str::<serde_json::Value>(&reply.body)
                    .unwrap_or(serde_json::Value::String(reply.body.clone())),
            }));
        } else {
            say!(
                "→ POST {url}  {}  {}{}",
                message.event_type,
                message.svix_id,
                message
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
    let error = failed.map(|status| format!("the receiver answered {status}"));
    if ctx.json {
        // One document per invocation, however many times it sent.
        let last = attempts.last().cloned().unwrap_or_default();
        print_json(&serde_json::json!({
            "url": url, "svix_id": message.svix_id, "type": message.event_type,
            "user_id": message.user_id, "status": last["status"], "response": last["response"],
            "attempts": attempts, "ok": error.is_none(), "error": error,
        }));
    }
    match error {
        Some(message) => Err(CliError::Failed(message)),
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
