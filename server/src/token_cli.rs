//! `steward scim-token ...` and `steward api-token ...`: bearer tokens for the inbound SCIM
//! endpoint and for the REST API, from the server's command line (the portal's Settings does
//! the same). Both kinds work alike; an API token also has the role it acts with.

use crate::config::Config;
use anyhow::bail;
use steward_app::server::tokens::{self, AnyToken, TokenKind};
use steward_store::{Role, Store, StoreError, TokenRef};

/// The actor the audit log records for the command line.
const ACTOR: &str = "command line";

/// Records `verb` ("create", "revoke") done to `token` in the audit log.
async fn audit(
    store: &dyn Store,
    kind: TokenKind,
    verb: &str,
    token: &AnyToken,
) -> anyhow::Result<()> {
    let (target, detail) = (&token.info.name, token.audit_detail());
    crate::admin_cli::audit(store, &kind.audit_action(verb), target, &detail).await
}

/// Reads `--role`: a role's stored name or its label, ignoring case.
pub fn parse_role(input: &str) -> Result<Role, String> {
    Role::from_input(input).ok_or_else(|| {
        let valid: Vec<String> = Role::ALL
            .iter()
            .map(|r| format!("{} ({})", r.as_str(), r.label()))
            .collect();
        format!("unknown role {input:?}; valid roles: {}", valid.join(", "))
    })
}

pub async fn create(
    config: &Config,
    kind: TokenKind,
    name: &str,
    role: Option<Role>,
) -> anyhow::Result<()> {
    let name = name.trim();
    if name.is_empty() {
        bail!("--name must not be empty: say what the token is for, e.g. --name Workday");
    }
    crate::serve::ensure_data_dir(config)?;
    let store = steward_store::open(&config.database_url).await?;
    let (token, created) = match tokens::create_token(store.as_ref(), kind, name, role, ACTOR).await
    {
        Ok(created) => created,
        Err(StoreError::Conflict { .. }) => bail!(
            "a live {noun} named {name:?} already exists; revoke it first \
                 (steward {command} revoke {name:?}) or choose another name",
            noun = kind.noun(),
            command = kind.command(),
        ),
        Err(e) => return Err(e.into()),
    };
    audit(store.as_ref(), kind, "create", &created).await?;
    let acting = created
        .role
        .map(|r| format!(", acting as {}", r.label()))
        .unwrap_or_default();
    eprintln!(
        "Created {} {:?}{acting}. It is shown only now and not again; store it in the \
         client's secret store:",
        kind.noun(),
        created.info.name
    );
    println!("{token}");
    Ok(())
}

pub async fn list(config: &Config, kind: TokenKind) -> anyhow::Result<()> {
    let store = steward_store::open(&config.database_url).await?;
    let tokens = tokens::list_tokens(store.as_ref(), kind).await?;
    if tokens.is_empty() {
        let usage = match kind {
            TokenKind::Scim => "--name NAME",
            TokenKind::Api => "--name NAME --role ROLE",
        };
        println!(
            "No {}s. Create one with: steward {} create {usage}",
            kind.noun(),
            kind.command()
        );
        return Ok(());
    }
    let with_role = kind == TokenKind::Api;
    let role_column = |role: &str| {
        if with_role {
            format!("{role:<22} ")
        } else {
            String::new()
        }
    };
    println!(
        "{:<24} {}{:<16} {:<20} {:<20} STATE",
        "NAME",
        role_column("ROLE"),
        "PREFIX",
        "CREATED",
        "LAST USED"
    );
    let when = |d: Option<chrono::DateTime<chrono::Utc>>| {
        d.map_or("never".to_string(), |d| {
            d.format("%Y-%m-%d %H:%M").to_string()
        })
    };
    for t in tokens {
        println!(
            "{:<24} {}{:<16} {:<20} {:<20} {}",
            t.info.name,
            role_column(t.role.map(Role::as_str).unwrap_or_default()),
            t.info.prefix,
            t.info.created_at.format("%Y-%m-%d %H:%M"),
            when(t.info.last_used_at),
            if t.info.is_live() { "live" } else { "revoked" }
        );
    }
    Ok(())
}

pub async fn revoke(config: &Config, kind: TokenKind, name: &str) -> anyhow::Result<()> {
    let store = steward_store::open(&config.database_url).await?;
    let Some(token) = tokens::revoke_token(store.as_ref(), kind, TokenRef::Name(name)).await?
    else {
        bail!(
            "no live {} is named {name:?}; `steward {} list` shows them",
            kind.noun(),
            kind.command()
        );
    };
    audit(store.as_ref(), kind, "revoke", &token).await?;
    println!("Revoked {} {:?}.", kind.noun(), token.info.name);
    Ok(())
}
