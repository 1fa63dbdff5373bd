//! The command line: every command, its flags and their help text.

use std::path::PathBuf;

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand};

use crate::when::{At, Since};

/// Receive, verify and sync Clerk webhooks locally.
#[derive(Parser)]
#[command(name = "hooklab", version, about, long_about = None)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The help heading of the options every command takes: listed after a command's own.
const GLOBAL: &str = "Global options";

/// Options every command takes. No `Debug`: it holds secrets.
#[derive(Args)]
pub struct Global {
    /// The SQLite database [env: HOOKLAB_DB; default: the OS data dir]
    #[arg(long, global = true, value_name = "PATH", help_heading = GLOBAL)]
    pub db: Option<PathBuf>,
    /// The settings file [env: HOOKLAB_CONFIG; default: the OS config dir]
    #[arg(long, global = true, value_name = "PATH", help_heading = GLOBAL)]
    pub config: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub json: bool,
    /// Signing secret (whsec_…); repeat for current and previous during a rotation.
    /// Else CLERK_WEBHOOK_SECRET / CLERK_WEBHOOK_SIGNING_SECRET, else the settings file.
    #[arg(long = "secret", global = true, value_name = "WHSEC", help_heading = GLOBAL)]
    pub secrets: Vec<String>,
}

/// The commands. No `Debug`: `config set-secret` holds a secret.
#[derive(Subcommand)]
pub enum Command {
    /// Run the receiver on loopback and print one line per event.
    Serve(ServeArgs),
    /// Sign a fixture like Svix does and post it.
    Send(SendArgs),
    /// List the fixtures `send` knows.
    Fixtures,
    /// Captured events, newest first.
    Events(EventsArgs),
    /// One event in full: headers, body, verification, sync.
    Event {
        /// The svix-id (msg_…) or the event number.
        key: String,
        /// Print only the body, byte for byte as it arrived (to a file or a pipe; on a
        /// terminal, control characters are shown escaped).
        #[arg(long)]
        raw: bool,
    },
    /// Synced users, newest first.
    Users(UsersArgs),
    /// One user with its sessions and the timeline of its events.
    User {
        /// The user id (user_…).
        id: String,
    },
    /// Resend a captured event: re-run it in Hooklab with today's secrets (default), or post
    /// it over HTTP as captured or re-signed.
    Replay(ReplayArgs),
    /// Re-run every Clerk message that failed since a time and was never delivered since (after
    /// the right secret is pasted), oldest first, like Svix's "Recover failed messages".
    Recover(RecoverArgs),
    /// Settings file: show it, or store a secret.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Drive the receiver with a realistic signed load and print throughput and latency.
    Bench(BenchArgs),
}

/// `hooklab serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one) [default: settings, else 8787]
    #[arg(long)]
    pub port: Option<u16>,
    /// The webhook path [default: settings, else /api/webhooks/clerk]
    #[arg(long)]
    pub path: Option<String>,
    /// SQLite synchronous for the writer: normal (survives kill -9) or full (also power loss).
    #[arg(long, value_name = "normal|full")]
    pub synchronous: Option<hooklab_core::store::Synchronous>,
    /// Also receive on a public HTTPS URL through an in-process ngrok tunnel. The authtoken
    /// comes from NGROK_AUTHTOKEN or the settings (`hooklab config set-ngrok-authtoken`).
    #[arg(long)]
    pub tunnel: bool,
    /// The ngrok static domain to use (e.g. steady-fox-42.ngrok-free.app)
    /// [default: NGROK_DOMAIN, else settings, else one ngrok assigns]
    #[arg(long, value_name = "DOMAIN", requires = "tunnel")]
    pub domain: Option<String>,
    /// Forward every verified event to your app at URL, as captured (your app verifies it with
    /// the same signing secret), and print how it answered [default: the settings, see
    /// `hooklab config set-forward`]
    #[arg(long, value_name = "URL")]
    pub forward_to: Option<String>,
    /// Let ngrok verify Clerk's signature and drop forged requests at the edge (off by default:
    /// Hooklab then never sees them, so it cannot diagnose them; see docs/tunnel.md).
    #[arg(long, requires = "tunnel")]
    pub verify_at_edge: bool,
}

/// `hooklab send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// A fixture name (see `hooklab fixtures`) or a path to an event JSON file.
    pub fixture: String,
    /// Where to post [default: the local receiver, http://127.0.0.1:<port><path>]
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// Make the event about this user (default: a fresh user id).
    #[arg(long, value_name = "USER_ID")]
    pub user_id: Option<String>,
    /// For session.* fixtures: this session (e.g. end the one a session.created started).
    #[arg(long, value_name = "SESSION_ID")]
    pub session_id: Option<String>,
    /// Sign with a wrong key, as a misconfigured secret would.
    #[arg(long)]
    pub bad_signature: bool,
    /// Shift svix-timestamp by this many seconds (e.g. -600 to test clock skew).
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true)]
    pub timestamp_offset: Option<i64>,
    /// Send the same message this many times, at most 20 (redeliveries keep the svix-id).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub times: u32,
}

/// `hooklab replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The event number or svix-id (msg_…).
    pub key: String,
    /// Sign it again now with the current secret (keeps the svix-id unless --new-id).
    #[arg(long)]
    pub re_sign: bool,
    /// With --re-sign: give it a new svix-id, so it is applied again instead of being a
    /// duplicate.
    #[arg(long, requires = "re_sign")]
    pub new_id: bool,
    /// Post it over HTTP instead: to URL, or (no URL) to the local receiver. Without
    /// --re-sign it goes as captured, and Svix's 5-minute tolerance refuses older captures.
    #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = "")]
    pub over_http: Option<String>,
    /// Send this body instead of the captured one: a file, or `-` for stdin. With --re-sign
    /// --new-id the edit is applied; as captured, it fails like a body modified on the way.
    #[arg(long, value_name = "FILE")]
    pub body: Option<String>,
}

/// `hooklab recover`.
#[derive(Debug, Args)]
pub struct RecoverArgs {
    /// How far back: a span (`30m`, `6h`, `7d`) or `all` (everything kept).
    #[arg(long, default_value = "7d", value_parser = Since::parse)]
    pub since: Since,
    /// Only say what it would re-run.
    #[arg(long)]
    pub dry_run: bool,
}

/// `hooklab events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only this event type (user.created, …).
    #[arg(long = "type", value_name = "TYPE")]
    pub event_type: Option<String>,
    /// Only this outcome: `failed` (not verified, or not answered 2xx: what Clerk shows as
    /// failed), a verification code, or a sync code (`duplicate`: delivered more than once).
    #[arg(
        long,
        ignore_case = true,
        value_parser = clap::builder::PossibleValuesParser::new(hooklab_core::store::OUTCOME_FILTERS)
            .map(|s| s.to_ascii_lowercase())
    )]
    pub outcome: Option<String>,
    /// Only this sync outcome, on top of --outcome (e.g. `--outcome verified --sync stale`).
    #[arg(
        long,
        ignore_case = true,
        value_parser = clap::builder::PossibleValuesParser::new(hooklab_core::store::SYNC_FILTERS)
            .map(|s| s.to_ascii_lowercase())
    )]
    pub sync: Option<String>,
    /// Only events about this user.
    #[arg(long, value_name = "USER_ID")]
    pub user: Option<String>,
    /// Text in the svix-id, type, user id, path or body, as typed (in older events it must
    /// start at a word: `sample@exa` finds alex.sample@example.com).
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Only events that arrived this way.
    #[arg(long, value_parser = ["local", "tunnel", "replay", "test"])]
    pub source: Option<String>,
    /// Page size (1–500) [default: 50; with --follow, 10]
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub limit: Option<u32>,
    /// Only events received since: a span ago (30m, 6h, 7d) or a UTC time (2026-12-07 14:02)
    #[arg(long, value_name = "WHEN", value_parser = At::parse)]
    pub since: Option<At>,
    /// Only events received before: a span ago or a UTC time, like --since
    #[arg(long, value_name = "WHEN", value_parser = At::parse)]
    pub until: Option<At>,
    /// Continue after this cursor (printed at the end of a page).
    #[arg(long)]
    pub before: Option<i64>,
    /// Keep printing events as they arrive, oldest first, like `tail -f`, whichever process
    /// receives them (the desktop app or `hooklab serve`): redeliveries and your app's answers
    /// too; until Ctrl-C. With --json, one object per line, as `serve --json` prints them.
    #[arg(long, short = 'f', conflicts_with_all = ["until", "before"])]
    pub follow: bool,
}

/// `hooklab users`.
#[derive(Debug, Args)]
pub struct UsersArgs {
    /// Text in the id, emails, phone, username or name.
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Page size (1–500).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub limit: u32,
    /// Continue after this cursor.
    #[arg(long)]
    pub before: Option<i64>,
}

/// `hooklab config …`. No `Debug`: it holds secrets.
#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Show the settings (secrets masked) and where each value comes from.
    Show,
    /// Store a signing secret as the current one; `--keep-previous` keeps the old one valid
    /// (Clerk keeps the old secret valid for 24 h after a rotation).
    SetSecret {
        /// The new whsec_… secret. Leave it out to paste it at a prompt or pipe it on stdin,
        /// so it stays out of `ps` and your shell history.
        secret: Option<String>,
        /// Keep the current secret as the previous one.
        #[arg(long)]
        keep_previous: bool,
    },
    /// Forget every stored secret.
    ClearSecrets,
    /// Store the webhook path.
    SetPath {
        /// E.g. /api/webhooks/clerk.
        path: String,
    },
    /// Store the port.
    SetPort {
        /// E.g. 8787.
        port: u16,
    },
    /// Store the ngrok authtoken (https://dashboard.ngrok.com/get-started/your-authtoken);
    /// NGROK_AUTHTOKEN wins over it.
    SetNgrokAuthtoken {
        /// The authtoken. Leave it out to paste it at a prompt or pipe it on stdin.
        token: Option<String>,
    },
    /// Store the ngrok static domain (claim yours at https://dashboard.ngrok.com/domains);
    /// --domain and NGROK_DOMAIN win over it.
    SetNgrokDomain {
        /// E.g. steady-fox-42.ngrok-free.app.
        domain: String,
    },
    /// Store your app's webhook URL (the app's "Resend to your app" posts there); with --live,
    /// every verified event is forwarded to it as it arrives, by `serve` and the desktop app.
    SetForward {
        /// E.g. http://localhost:3000/api/webhooks/clerk.
        url: String,
        /// Forward each verified event as it arrives.
        #[arg(long)]
        live: bool,
    },
    /// Forget your app's URL and stop forwarding.
    ClearForward,
    /// Let ngrok check Clerk's signature and refuse what fails at its edge, for `serve
    /// --tunnel` and the app (off by default: refused requests never reach Hooklab, so it
    /// cannot show or diagnose them; see docs/tunnel.md).
    SetVerifyAtEdge {
        /// `on` or `off`.
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// How durable each stored event is, from the next start of `serve` or the app: `normal`
    /// survives a crash (kill -9), `full` also a power cut (an fsync per commit, slower).
    /// `serve --synchronous` wins over it.
    SetSynchronous {
        /// `normal` or `full`.
        mode: hooklab_core::store::Synchronous,
    },
    /// Set what the database keeps: the oldest events past a limit are pruned (pinned events,
    /// and the ones users' rows point at, are kept). Limits not given stay as they are.
    SetRetention {
        /// Prune events older than this many days, or `off`.
        #[arg(long, value_name = "DAYS|off", value_parser = limit)]
        max_age_days: Option<Limit>,
        /// Keep at most this many events, or `off`.
        #[arg(long, value_name = "N|off", value_parser = limit)]
        max_events: Option<Limit>,
        /// Keep the database's data under this many MB, or `off` (default 1024).
        #[arg(long, value_name = "MB|off", value_parser = limit)]
        max_size_mb: Option<Limit>,
    },
}

/// A retention limit on the command line: a number, or `off` for none.
#[derive(Debug, Clone, Copy)]
pub struct Limit(pub Option<u64>);

fn limit(value: &str) -> Result<Limit, String> {
    if value.eq_ignore_ascii_case("off") {
        return Ok(Limit(None));
    }
    value
        .parse::<u64>()
        .map(|n| Limit(Some(n)))
        .map_err(|_| format!("`{value}` is neither a whole number nor `off`"))
}

/// `hooklab bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Total signed requests.
    #[arg(long, default_value_t = 20_000)]
    pub events: usize,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Print a line every this many events.
    #[arg(long, default_value_t = 20_000)]
    pub report_every: usize,
    /// SQLite synchronous (of the in-process receiver).
    #[arg(long, default_value = "normal")]
    pub synchronous: hooklab_core::store::Synchronous,
    /// Drive a receiver already running in another process at this URL
    /// (e.g. http://127.0.0.1:8787/api/webhooks/clerk) instead of one in-process; signs with
    /// --secret / CLERK_WEBHOOK_SECRET / the settings file.
    #[arg(long, value_name = "URL", conflicts_with = "synchronous")]
    pub target: Option<String>,
    /// With --target: the receiver's database, to check its users table after the run.
    #[arg(long, value_name = "PATH", requires = "target")]
    pub check_db: Option<PathBuf>,
    /// A soak run: the in-process receiver with the app's default retention (1 GiB); after
    /// every --report-every events, the database and WAL size, memory, and how long text
    /// search, users search and a user's timeline take, right after the burst and once the
    /// search index has caught up. Try --events 1000000 --report-every 100000.
    #[arg(long, conflicts_with = "target")]
    pub soak: bool,
    /// With --soak: the size limit of the retention policy, MiB (default: the app's, 1024).
    #[arg(long, value_name = "MIB", requires = "soak")]
    pub retain_mb: Option<u64>,
}
