//! `steward admin create`: the way to make the first administrator without the setup page,
//! and further administrators until the portal can.

use crate::config::Config;
use anyhow::{bail, Context};
use std::io::BufRead;
use steward_app::server::auth;
use steward_store::{NewAdmin, NewAuditEvent, Outcome, Role, StoreError};

pub async fn create(
    config: &Config,
    email: &str,
    name: Option<&str>,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let display_name = name
        .map(str::to_string)
        .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_string());
    // Check what can be checked before asking for a password.
    let early = auth::validate_new_admin(
        email,
        &display_name,
        &"x".repeat(auth::MIN_PASSWORD_LEN),
        None,
    );
    if let Some(f) = early.first() {
        bail!("{}: {}", f.field.replace('_', " "), f.message);
    }
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_string()
    } else {
        let first = rpassword::prompt_password("Password: ").context(
            "cannot read the password from the terminal; use --password-stdin to pipe it in",
        )?;
        let again = rpassword::prompt_password("Password again: ")?;
        if first != again {
            bail!("the two passwords do not match");
        }
        first
    };
    if let Some(msg) = auth::validate_password(&password) {
        bail!("password: {msg}");
    }
    crate::serve::ensure_data_dir(config)?;
    let store = steward_store::open(&config.database_url).await?;
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await?
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
    let admin = match store
        .create_admin(NewAdmin {
            email: email.to_string(),
            display_name,
            password_hash: hash,
            roles: vec![Role::GlobalAdministrator],
        })
        .await
    {
        Ok(admin) => admin,
        Err(StoreError::Conflict { .. }) => {
            bail!(
                "an administrator with the email {} already exists",
                email.trim().to_lowercase()
            )
        }
        Err(e) => return Err(e.into()),
    };
    store
        .record_audit(NewAuditEvent {
            at: chrono::Utc::now(),
            actor: "command line".into(),
            action: "admin.create".into(),
            target: Some(admin.email.clone()),
            outcome: Outcome::Success,
            detail: Some(format!("role {}", Role::GlobalAdministrator.label())),
            ip: None,
            operation_id: None,
        })
        .await?;
    println!(
        "Created administrator {} ({}) with the Global Administrator role.",
        admin.email, admin.display_name
    );
    Ok(())
}
