//! `hooklab config`: show and change the settings file, secrets always masked.

use hooklab_core::secret::{Secret, SecretOrigin, mask};
use hooklab_core::settings::{self, SECRET_ENV};

use crate::args::ConfigCommand;
use crate::context::Context;
use crate::error::CliError;
use crate::output::print_json;

/// Runs one `config` subcommand.
pub fn run(mut ctx: Context, command: ConfigCommand) -> Result<(), CliError> {
    match command {
        ConfigCommand::Show => {
            show(&ctx);
            return Ok(());
        }
        ConfigCommand::SetSecret {
            secret,
            keep_previous,
        } => {
            let parsed = Secret::parse(&secret, SecretOrigin::Settings)?;
            let mut list = vec![parsed.expose().to_owned()];
            if keep_previous {
                list.extend(
                    ctx.settings
                        .secrets
                        .iter()
                        .filter(|s| s.as_str() != parsed.expose())
                        .take(1)
                        .cloned(),
                );
            }
            ctx.settings.secrets = list;
        }
        ConfigCommand::ClearSecrets => ctx.settings.secrets.clear(),
        ConfigCommand::SetPath { path } => ctx.settings.webhook_path = Some(path),
        ConfigCommand::SetPort { port } => ctx.settings.port = Some(port),
    }
    settings::save(&ctx.settings_path, &ctx.settings)?;
    show(&ctx);
    Ok(())
}

fn show(ctx: &Context) {
    let s = &ctx.settings;
    let env_secret = SECRET_ENV.iter().find(|n| std::env::var_os(n).is_some());
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
        }));
        return;
    }
    println!("settings file  {}", ctx.settings_path.display());
    println!("database       {}", ctx.db.display());
    let masked: Vec<String> = s.secrets.iter().map(|v| mask(v)).collect();
    println!(
        "secrets        {}",
        if masked.is_empty() {
            "none".to_owned()
        } else {
            masked.join(", ")
        }
    );
    if let Some(name) = env_secret {
        println!("               ({name} is set and wins over the file)");
    }
    println!("webhook path   {}", ctx.webhook_path(None));
    println!("port           {}", ctx.port(None));
}
