//! Embed tokens: what opens the read-only dashboard another site frames
//! (`/embed/{token}`). A token reads the provisioning status of one application, or of every
//! application, and nothing else; it names the origins allowed to frame it. As for the other
//! bearer tokens, only a hash is stored and the token is shown once, when it is created.

use crate::tokens::{NewToken, TokenInfo, TokenRef, API_TOKEN_TOUCH_INTERVAL};
use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// An embed token as listed: never the token itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmbedToken {
    pub info: TokenInfo,
    /// The one application the dashboard shows; `None`: every application.
    pub application_id: Option<String>,
    /// The origins (`https://host[:port]`) allowed to frame the dashboard, in the order the
    /// admin gave them.
    pub allowed_origins: Vec<String>,
}

/// An embed token to store: its hash, never the token.
#[derive(Clone, Debug)]
pub struct NewEmbedToken {
    /// Name (trimmed by the store, unique among live embed tokens), hash, prefix, creator.
    pub token: NewToken,
    pub application_id: Option<String>,
    /// Must not be empty; the service checks each is an origin before it gets here.
    pub allowed_origins: Vec<String>,
}

/// How stale an embed token's "last used" time may get before a use records it again: a
/// dashboard open on a wall screen costs one write a minute, not one per event.
pub const EMBED_TOKEN_TOUCH_INTERVAL: Duration = API_TOKEN_TOUCH_INTERVAL;

/// Tokens of the embeddable dashboard, stored as hashes.
#[async_trait]
pub trait EmbedTokenStore: Send + Sync {
    /// [`crate::StoreError::Conflict`] when a live embed token has that name,
    /// [`crate::StoreError::Invalid`] when the name is blank or no origin is given,
    /// [`crate::StoreError::NotFound`] when the application does not exist.
    async fn create_embed_token(&self, new: NewEmbedToken) -> StoreResult<EmbedToken>;
    /// Every embed token, live ones first, newest first within each.
    async fn list_embed_tokens(&self) -> StoreResult<Vec<EmbedToken>>;
    /// Revokes the live token with that id or name and returns it as revoked; `None` when no
    /// live token matches.
    async fn revoke_embed_token(&self, which: TokenRef<'_>) -> StoreResult<Option<EmbedToken>>;
    /// The live (not revoked) token with that hash. Records its use at `now` when the last
    /// recorded use is [`EMBED_TOKEN_TOUCH_INTERVAL`] or more before `now` (or there is none);
    /// the token returned carries the `last_used_at` the store holds afterwards.
    async fn embed_token_by_hash(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<EmbedToken>>;
}
