//! `hooklab recover`: once the cause of failed deliveries is fixed (the right secret pasted),
//! re-run every Clerk message that failed since a time and was never delivered since, like
//! Svix's "Recover failed messages"; `--dry-run` only says what it would re-run.

use hooklab_core::client::HttpClient;
use hooklab_core::engine::{Engine, EngineConfig};
use hooklab_core::recover::{RecoveryPlan, RecoveryReport, recover, recovery_plan};
use hooklab_core::runtime::RuntimeStatus;
use hooklab_core::store::open_for_reading;

use crate::args::RecoverArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::{ago, print_json, say, time};
use crate::when::Since;

/// Prints the plan, or runs it; fails (exit 1) when a re-run message still failed.
pub async fn run(ctx: Context, args: RecoverArgs) -> Result<(), CliError> {
    // Never create a database just to find nothing in it.
    drop(open_for_reading(&ctx.db)?);
    let secrets = ctx.secrets()?;
    let has_secret = !secrets.is_empty();
    if !has_secret && !args.dry_run {
        return Err(CliError::usage(
            "recovering re-checks failed deliveries with the signing secret, and none is set",
            hooklab_core::secret::missing_secret_hint(),
        ));
    }
    let since_ms = args.since.start_ms(chrono::Utc::now().timestamp_millis());
    let mut config = EngineConfig::new(ctx.db.clone());
    config.secrets = secrets;
    config.webhook_path = ctx.webhook_path(None);
    let engine = Engine::start(config)?;
    let result = if args.dry_run {
        recovery_plan(&engine, since_ms).await.map(Err)
    } else {
        recover(&engine, &HttpClient::new(), since_ms).await.map(Ok)
    };
    engine.close().await;
    match result? {
        Err(plan) if ctx.json => print_json(&plan),
        Err(plan) => print_plan(&plan, &args.since, has_secret),
        Ok(report) => {
            if ctx.json {
                print_json(&report);
            } else {
                print_report(&report, &args.since);
            }
            // Delivered meanwhile by someone else (a duplicate now) is not a failure either.
            let failed = report
                .recovered
                .iter()
                .filter(|r| {
                    r.event.verification != "verified" || !(200..300).contains(&r.event.status)
                })
                .count();
            if failed > 0 {
                return Err(CliError::Failed(format!(
                    "{failed} of the re-run messages still failed"
                )));
            }
        }
    }
    Ok(())
}

/// While `serve` runs, after a secret was added: says how many failed messages it may now
/// deliver and how (the app's banner, in a terminal).
pub async fn offer(engine: &Engine, before: &RuntimeStatus, after: &RuntimeStatus) {
    let added = after
        .secrets
        .iter()
        .any(|s| !before.secrets.iter().any(|b| b.masked == s.masked));
    if !added {
        return;
    }
    let since = Since::Last(7 * 86_400);
    let now = chrono::Utc::now().timestamp_millis();
    if let Ok(plan) = recovery_plan(engine, since.start_ms(now)).await
        && plan.messages > 0
    {
        say!(
            "recover   {} {} Clerk sent {since} failed on {} signature or path and {} never \
             delivered: `hooklab recover` re-runs {} with the new secret",
            plan.messages,
            messages(plan.messages),
            if plan.messages == 1 { "its" } else { "their" },
            if plan.messages == 1 { "was" } else { "were" },
            if plan.messages == 1 { "it" } else { "them" },
        );
    }
}

fn print_plan(plan: &RecoveryPlan, since: &Since, has_secret: bool) {
    if plan.messages == 0 {
        print_nothing(since, plan.unkept);
        return;
    }
    let how: Vec<String> = plan
        .failures
        .iter()
        .map(|f| format!("{} {}", f.count, f.failure))
        .collect();
    say!(
        "{} {} failed {since} and {} never delivered since: {}.",
        plan.messages,
        messages(plan.messages),
        if plan.messages == 1 { "was" } else { "were" },
        how.join(", ")
    );
    if let Some(oldest) = plan.oldest_at {
        say!("The oldest arrived {} ({}).", time(oldest), ago(oldest));
    }
    if plan.retried > 0 {
        say!(
            "{} of them {} re-run before and failed again; they go last.",
            plan.retried,
            if plan.retried == 1 { "was" } else { "were" }
        );
    }
    if plan.messages > plan.max {
        say!(
            "One recovery re-runs {}; run it again for the rest.",
            plan.max
        );
    }
    print_unkept(plan.unkept);
    if has_secret {
        say!("Run it without --dry-run to re-run them with today's secrets.");
    } else {
        say!(
            "No signing secret is set: save it first (`hooklab config set-secret`), then recover."
        );
    }
}

fn print_nothing(since: &Since, unkept: usize) {
    say!(
        "Nothing to recover {since}: every message from Clerk that failed on its signature or \
         path was delivered since."
    );
    print_unkept(unkept);
}

/// Messages that failed too but cannot be re-run from what Hooklab kept.
fn print_unkept(unkept: usize) {
    if unkept > 0 {
        say!(
            "{unkept} more {} failed, but Hooklab did not keep {} body whole (rate limited, or \
             cut as unsigned traffic): recover {} from the Clerk dashboard \
             (Webhooks → your endpoint → Recover failed messages).",
            messages(unkept),
            if unkept == 1 { "its" } else { "their" },
            if unkept == 1 { "it" } else { "them" }
        );
    }
}

fn print_report(report: &RecoveryReport, since: &Since) {
    if report.recovered.is_empty() && report.skipped.is_empty() {
        print_nothing(since, report.unkept);
        return;
    }
    say!(
        "Re-ran {} {} that failed {since}, oldest first, as captured with today's secrets \
         at the webhook path:",
        report.recovered.len(),
        messages(report.recovered.len())
    );
    for r in &report.recovered {
        let e = &r.event;
        say!(
            "  event {} → {}: {} {}, {} {}",
            r.original,
            e.id,
            e.status,
            e.verification,
            e.sync.code(),
            e.event_type.as_deref().unwrap_or("")
        );
    }
    // One line per distinct reason, not one per message: they usually share it.
    let mut hints: Vec<&str> = Vec::new();
    for e in report.recovered.iter().map(|r| &r.event) {
        if let Some(hint) = e.hint.as_deref().filter(|_| e.status >= 300)
            && !hints.contains(&hint)
        {
            hints.push(hint);
        }
    }
    for hint in hints {
        say!("  hint: {hint}");
    }
    for skipped in &report.skipped {
        say!("  skipped: {skipped}");
    }
    say!(
        "{} of {} delivered now, {} applied to a user or session.",
        report.delivered,
        report.recovered.len(),
        report.applied
    );
    print_unkept(report.unkept);
    if report.left > 0 {
        say!(
            "{} more wait: run `hooklab recover` again for them.",
            report.left
        );
    }
}

fn messages(n: usize) -> &'static str {
    if n == 1 { "message" } else { "messages" }
}
