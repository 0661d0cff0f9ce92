//! `steward scim-token ...`: bearer tokens for the inbound SCIM endpoint from the server's
//! command line (the portal's Settings page does the same).

use crate::config::Config;
use anyhow::bail;
use steward_app::server::auth;
use steward_store::{NewScimToken, StoreError};

pub async fn create(config: &Config, name: &str) -> anyhow::Result<()> {
    let name = name.trim();
    if name.is_empty() {
        bail!("--name must not be empty: say what the token is for, e.g. --name Workday");
    }
    crate::serve::ensure_data_dir(config)?;
    let store = steward_store::open(&config.database_url).await?;
    let (token, token_hash, prefix) = auth::new_scim_token();
    let created = match store
        .create_scim_token(NewScimToken {
            name: name.to_string(),
            token_hash,
            prefix,
            created_by: Some("command line".into()),
        })
        .await
    {
        Ok(t) => t,
        Err(StoreError::Conflict { .. }) => bail!(
            "a live token named {name:?} already exists; revoke it first \
             (steward scim-token revoke --name {name:?}) or choose another name"
        ),
        Err(e) => return Err(e.into()),
    };
    crate::admin_cli::audit(
        store.as_ref(),
        "scim_token.create",
        &created.name,
        &format!("prefix {}", created.prefix),
    )
    .await?;
    eprintln!(
        "Created SCIM token {:?}. It is shown only now; store it in the client's secret store:",
        created.name
    );
    println!("{token}");
    Ok(())
}

pub async fn list(config: &Config) -> anyhow::Result<()> {
    let store = steward_store::open(&config.database_url).await?;
    let tokens = store.list_scim_tokens().await?;
    if tokens.is_empty() {
        println!("No SCIM tokens. Create one with: steward scim-token create --name NAME");
        return Ok(());
    }
    println!(
        "{:<24} {:<12} {:<20} {:<20} STATE",
        "NAME", "PREFIX", "CREATED", "LAST USED"
    );
    for t in tokens {
        let when = |d: Option<chrono::DateTime<chrono::Utc>>| {
            d.map_or("never".to_string(), |d| {
                d.format("%Y-%m-%d %H:%M").to_string()
            })
        };
        println!(
            "{:<24} {:<12} {:<20} {:<20} {}",
            t.name,
            t.prefix,
            t.created_at.format("%Y-%m-%d %H:%M"),
            when(t.last_used_at),
            if t.revoked_at.is_some() {
                "revoked"
            } else {
                "live"
            }
        );
    }
    Ok(())
}

pub async fn revoke(config: &Config, name: &str) -> anyhow::Result<()> {
    let store = steward_store::open(&config.database_url).await?;
    let Some(token) = store
        .list_scim_tokens()
        .await?
        .into_iter()
        .find(|t| t.revoked_at.is_none() && t.name == name.trim())
    else {
        bail!("no live SCIM token is named {name:?}; `steward scim-token list` shows them");
    };
    store.revoke_scim_token(&token.id).await?;
    crate::admin_cli::audit(
        store.as_ref(),
        "scim_token.revoke",
        &token.name,
        &format!("prefix {}", token.prefix),
    )
    .await?;
    println!("Revoked SCIM token {:?}.", token.name);
    Ok(())
}
