//! Bearer tokens: what SCIM clients and API clients authenticate with. Only a hash of each
//! token is stored; the token itself is shown once, when it is created. Both kinds share
//! one shape ([`TokenInfo`]); an API token also carries the admin role it acts with.

use crate::{Role, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A bearer token as listed: never the token itself, only its hash is stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    /// The first characters of the token, to tell tokens apart in lists.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenInfo {
    /// Whether the token still opens anything (it was not revoked).
    pub fn is_live(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// A token to store: its hash, never the token.
#[derive(Clone, Debug)]
pub struct NewToken {
    /// Trimmed by the store; must not be blank, and unique among live tokens of its kind.
    pub name: String,
    pub token_hash: String,
    pub prefix: String,
    pub created_by: Option<String>,
}

/// A bearer token for the inbound SCIM endpoint.
pub type ScimToken = TokenInfo;
pub type NewScimToken = NewToken;

/// A bearer token for the REST API, acting with one admin role.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiToken {
    pub info: TokenInfo,
    pub role: Role,
}

/// Which token: by id (what the portal sends) or by name (what an admin types; names are
/// unique among live tokens).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenRef<'a> {
    Id(&'a str),
    Name(&'a str),
}

/// How stale an API token's "last used" time may get before a request records it again: a
/// busy client costs one write a minute, not one a request.
pub const API_TOKEN_TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// Bearer tokens for the REST API (`/api/v1`), stored as hashes.
#[async_trait]
pub trait ApiTokenStore: Send + Sync {
    /// [`crate::StoreError::Conflict`] when a live API token has that name,
    /// [`crate::StoreError::Invalid`] when the name is blank.
    async fn create_api_token(&self, new: NewToken, role: Role) -> StoreResult<ApiToken>;
    /// Every API token, live ones first, newest first within each.
    async fn list_api_tokens(&self) -> StoreResult<Vec<ApiToken>>;
    /// Revokes the live token with that id or name and returns it as revoked; `None` when no
    /// live token matches.
    async fn revoke_api_token(&self, which: TokenRef<'_>) -> StoreResult<Option<ApiToken>>;
    /// The live (not revoked) token with that hash. Records its use at `now` when the last
    /// recorded use is [`API_TOKEN_TOUCH_INTERVAL`] or more before `now` (or there is none);
    /// the token returned carries the `last_used_at` the store holds afterwards.
    async fn api_token_by_hash(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ApiToken>>;
}
