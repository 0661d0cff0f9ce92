//! `steward admin ...`: create administrators and reset their passwords from the server's
//! command line (the way in for the first admin, and for one who is locked out).

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
    let placeholder = "x".repeat(auth::MIN_PASSWORD_LEN);
    if let Some(f) = auth::validate_new_admin(email, &display_name, &placeholder, None).first() {
        bail!("{}: {}", f.field.replace('_', " "), f.message);
    }
    let hash = read_password_hash(password_stdin).await?;
    crate::serve::ensure_data_dir(config)?;
    let store = steward_store::open(&config.database_url).await?;
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
        Err(StoreError::Conflict { .. }) => bail!(
            "an administrator with the email {} already exists",
            email.trim().to_lowercase()
        ),
        Err(e) => return Err(e.into()),
    };
    audit(
        store.as_ref(),
        "admin.create",
        &admin.email,
        &format!("role {}", Role::GlobalAdministrator.label()),
    )
    .await?;
    println!(
        "Created administrator {} ({}) with the Global Administrator role.",
        admin.email, admin.display_name
    );
    Ok(())
}

pub async fn reset_password(
    config: &Config,
    email: &str,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let hash = read_password_hash(password_stdin).await?;
    let store = steward_store::open(&config.database_url).await?;
    let Some(admin) = store.reset_password(email, &hash).await? else {
        bail!(
            "no administrator has the email {}",
            email.trim().to_lowercase()
        );
    };
    audit(
        store.as_ref(),
        "admin.reset_password",
        &admin.email,
        "password replaced; all sessions ended",
    )
    .await?;
    println!(
        "Set a new password for {}; their sessions have ended.",
        admin.email
    );
    Ok(())
}

pub(crate) async fn audit(
    store: &dyn steward_store::Store,
    action: &str,
    target: &str,
    detail: &str,
) -> anyhow::Result<()> {
    store
        .record_audit(NewAuditEvent {
            at: chrono::Utc::now(),
            actor: "command line".into(),
            action: action.into(),
            target: Some(target.into()),
            outcome: Outcome::Success,
            detail: Some(detail.into()),
            ..Default::default()
        })
        .await?;
    Ok(())
}

/// Reads a new password (prompting twice, or one line of standard input), checks it and
/// returns its hash.
async fn read_password_hash(password_stdin: bool) -> anyhow::Result<String> {
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
    tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await?
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}
