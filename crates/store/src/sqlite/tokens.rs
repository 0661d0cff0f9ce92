//! [`ScimTokenStore`] and [`ApiTokenStore`] on SQLite. The two tables have the same columns
//! (`api_tokens` adds the role), so one set of queries, generic over [`TokenTable`], serves
//! both.

use super::{is_unique_violation, SqliteStore};
use crate::{
    ApiToken, ApiTokenStore, NewToken, Role, ScimToken, ScimTokenStore, StoreError, StoreResult,
    TokenInfo, TokenRef, API_TOKEN_TOUCH_INTERVAL,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqlitePool, SqliteRow};
use sqlx::{Row, Sqlite};
use uuid::Uuid;

pub(super) type SqliteQuery<'q> = Query<'q, Sqlite, SqliteArguments<'q>>;

/// One kind of token and the table that holds it.
pub(super) trait TokenTable: Sized + Send + Sync {
    const TABLE: &'static str;
    /// Names the kind in a conflict: "{WHAT} \"Workday\" already exists".
    const WHAT: &'static str;
    /// Columns beyond the shared ones, bound by [`TokenTable::bind_extra`] in this order.
    const EXTRA_COLUMNS: &'static [&'static str];

    fn info(&self) -> &TokenInfo;
    fn info_mut(&mut self) -> &mut TokenInfo;
    fn from_row(row: &SqliteRow) -> StoreResult<Self>;
    fn bind_extra<'q>(&'q self, query: SqliteQuery<'q>) -> SqliteQuery<'q>;
}

impl TokenTable for ScimToken {
    const TABLE: &'static str = "scim_tokens";
    const WHAT: &'static str = "a SCIM token named";
    const EXTRA_COLUMNS: &'static [&'static str] = &[];

    fn info(&self) -> &TokenInfo {
        self
    }

    fn info_mut(&mut self) -> &mut TokenInfo {
        self
    }

    fn from_row(row: &SqliteRow) -> StoreResult<Self> {
        info_from_row(row)
    }

    fn bind_extra<'q>(&'q self, query: SqliteQuery<'q>) -> SqliteQuery<'q> {
        query
    }
}

impl TokenTable for ApiToken {
    const TABLE: &'static str = "api_tokens";
    const WHAT: &'static str = "an API token named";
    const EXTRA_COLUMNS: &'static [&'static str] = &["role"];

    fn info(&self) -> &TokenInfo {
        &self.info
    }

    fn info_mut(&mut self) -> &mut TokenInfo {
        &mut self.info
    }

    fn from_row(row: &SqliteRow) -> StoreResult<Self> {
        let role: String = row.try_get("role")?;
        Ok(ApiToken {
            info: info_from_row(row)?,
            role: Role::parse(&role).ok_or_else(|| {
                StoreError::Corrupt(format!("API token with unknown role {role:?}"))
            })?,
        })
    }

    fn bind_extra<'q>(&'q self, query: SqliteQuery<'q>) -> SqliteQuery<'q> {
        query.bind(self.role.as_str())
    }
}

pub(super) fn info_from_row(row: &SqliteRow) -> StoreResult<TokenInfo> {
    Ok(sqlx::FromRow::from_row(row)?)
}

/// `SELECT <every column> FROM <table> ` for `T`, to be followed by a WHERE or ORDER BY.
fn select<T: TokenTable>() -> String {
    let mut columns =
        "id, name, prefix, created_at, created_by, last_used_at, revoked_at".to_string();
    for extra in T::EXTRA_COLUMNS {
        columns.push_str(", ");
        columns.push_str(extra);
    }
    format!("SELECT {columns} FROM {} ", T::TABLE)
}

/// Stores a new token, built by `build` from the shared fields the store fills in (id,
/// trimmed name, creation time).
pub(super) async fn create<T: TokenTable>(
    pool: &SqlitePool,
    new: NewToken,
    build: impl FnOnce(TokenInfo) -> T,
) -> StoreResult<T> {
    let token = build(TokenInfo {
        id: Uuid::new_v4().to_string(),
        name: new.name.trim().to_string(),
        prefix: new.prefix,
        created_at: Utc::now(),
        created_by: new.created_by,
        last_used_at: None,
        revoked_at: None,
    });
    let info = token.info();
    if info.name.is_empty() {
        return Err(StoreError::Invalid("a token needs a name".into()));
    }
    let extra: String = T::EXTRA_COLUMNS.iter().map(|c| format!(", {c}")).collect();
    let marks = ", ?".repeat(T::EXTRA_COLUMNS.len());
    let sql = format!(
        "INSERT INTO {} (id, name, token_hash, prefix, created_at, created_by{extra})
         VALUES (?, ?, ?, ?, ?, ?{marks})",
        T::TABLE
    );
    let query = sqlx::query(&sql)
        .bind(&info.id)
        .bind(&info.name)
        .bind(&new.token_hash)
        .bind(&info.prefix)
        .bind(info.created_at)
        .bind(&info.created_by);
    token.bind_extra(query).execute(pool).await.map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict {
                what: T::WHAT,
                value: info.name.clone(),
            }
        } else {
            e.into()
        }
    })?;
    Ok(token)
}

/// The live token with that hash.
pub(super) async fn live_by_hash<T: TokenTable>(
    pool: &SqlitePool,
    token_hash: &str,
) -> StoreResult<Option<T>> {
    let sql = select::<T>() + "WHERE token_hash = ? AND revoked_at IS NULL";
    let row = sqlx::query(&sql)
        .bind(token_hash)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(T::from_row).transpose()
}

/// Live tokens first, newest first within each.
pub(super) async fn list<T: TokenTable>(pool: &SqlitePool) -> StoreResult<Vec<T>> {
    let sql = select::<T>() + "ORDER BY revoked_at IS NOT NULL, created_at DESC";
    let rows = sqlx::query(&sql).fetch_all(pool).await?;
    rows.iter().map(T::from_row).collect()
}

/// Revokes the live token with that id or name, returning it as revoked.
pub(super) async fn revoke<T: TokenTable>(
    pool: &SqlitePool,
    which: TokenRef<'_>,
) -> StoreResult<Option<T>> {
    let (column, value) = match which {
        TokenRef::Id(id) => ("id", id),
        TokenRef::Name(name) => ("name", name.trim()),
    };
    let now = Utc::now();
    let sql = format!(
        "UPDATE {} SET revoked_at = ? WHERE {column} = ? AND revoked_at IS NULL RETURNING id",
        T::TABLE
    );
    let id: Option<String> = sqlx::query_scalar(&sql)
        .bind(now)
        .bind(value)
        .fetch_optional(pool)
        .await?;
    let Some(id) = id else { return Ok(None) };
    let sql = select::<T>() + "WHERE id = ?";
    let row = sqlx::query(&sql).bind(id).fetch_one(pool).await?;
    T::from_row(&row).map(Some)
}

/// The live token with that hash, its use recorded at `now` when the last recorded use is
/// [`API_TOKEN_TOUCH_INTERVAL`] or more before (or there is none).
pub(super) async fn used_by_hash<T: TokenTable>(
    pool: &SqlitePool,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<T>> {
    let Some(mut token) = live_by_hash::<T>(pool, token_hash).await? else {
        return Ok(None);
    };
    let due = token
        .info()
        .last_used_at
        .is_none_or(|at| now - at >= API_TOKEN_TOUCH_INTERVAL);
    if due {
        touch::<T>(pool, &token.info().id, now).await?;
        token.info_mut().last_used_at = Some(now);
    }
    Ok(Some(token))
}

async fn touch<T: TokenTable>(pool: &SqlitePool, id: &str, at: DateTime<Utc>) -> StoreResult<()> {
    let sql = format!("UPDATE {} SET last_used_at = ? WHERE id = ?", T::TABLE);
    sqlx::query(&sql).bind(at).bind(id).execute(pool).await?;
    Ok(())
}

#[async_trait]
impl ScimTokenStore for SqliteStore {
    async fn create_scim_token(&self, new: NewToken) -> StoreResult<ScimToken> {
        create(&self.pool, new, |info| info).await
    }

    async fn scim_token_by_hash(&self, token_hash: &str) -> StoreResult<Option<ScimToken>> {
        live_by_hash(&self.pool, token_hash).await
    }

    async fn list_scim_tokens(&self) -> StoreResult<Vec<ScimToken>> {
        list(&self.pool).await
    }

    async fn revoke_scim_token(&self, which: TokenRef<'_>) -> StoreResult<Option<ScimToken>> {
        revoke(&self.pool, which).await
    }

    async fn touch_scim_token(&self, id: &str, at: DateTime<Utc>) -> StoreResult<()> {
        touch::<ScimToken>(&self.pool, id, at).await
    }
}

#[async_trait]
impl ApiTokenStore for SqliteStore {
    async fn create_api_token(&self, new: NewToken, role: Role) -> StoreResult<ApiToken> {
        create(&self.pool, new, |info| ApiToken { info, role }).await
    }

    async fn list_api_tokens(&self) -> StoreResult<Vec<ApiToken>> {
        list(&self.pool).await
    }

    async fn revoke_api_token(&self, which: TokenRef<'_>) -> StoreResult<Option<ApiToken>> {
        revoke(&self.pool, which).await
    }

    async fn api_token_by_hash(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<ApiToken>> {
        used_by_hash(&self.pool, token_hash, now).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn new_token(name: &str, hash: &str) -> NewToken {
        NewToken {
            name: name.into(),
            token_hash: hash.into(),
            prefix: "stw_abcd".into(),
            created_by: Some("admin@example.com".into()),
        }
    }

    #[tokio::test]
    async fn scim_tokens_are_found_by_hash_until_revoked() {
        let store = SqliteStore::in_memory().await.unwrap();
        let token = store
            .create_scim_token(new_token("Workday", "h1"))
            .await
            .unwrap();
        let err = store
            .create_scim_token(new_token("Workday", "h2"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
        assert_eq!(
            store.scim_token_by_hash("h1").await.unwrap().unwrap().name,
            "Workday"
        );
        store.touch_scim_token(&token.id, Utc::now()).await.unwrap();
        let revoked = store
            .revoke_scim_token(TokenRef::Id(&token.id))
            .await
            .unwrap()
            .unwrap();
        assert!(revoked.revoked_at.is_some() && revoked.last_used_at.is_some());
        assert!(store
            .revoke_scim_token(TokenRef::Name("Workday"))
            .await
            .unwrap()
            .is_none());
        assert!(store.scim_token_by_hash("h1").await.unwrap().is_none());
        // The name is free again once the old token is revoked.
        store
            .create_scim_token(new_token("Workday", "h3"))
            .await
            .unwrap();
        let list = store.list_scim_tokens().await.unwrap();
        assert_eq!(list.len(), 2);
        assert!(list[0].revoked_at.is_none() && list[1].last_used_at.is_some());
    }

    #[tokio::test]
    async fn api_tokens_carry_their_role_and_names_are_unique_among_live_ones() {
        let store = SqliteStore::in_memory().await.unwrap();
        let token = store
            .create_api_token(new_token("  Terraform ", "h1"), Role::GlobalAdministrator)
            .await
            .unwrap();
        assert_eq!(token.info.name, "Terraform");
        assert_eq!(token.role, Role::GlobalAdministrator);
        assert!(token.info.is_live() && token.info.last_used_at.is_none());

        let err = store
            .create_api_token(new_token("Terraform", "h2"), Role::GlobalAdministrator)
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict { what, .. } if what.contains("API token")),
            "{err:?}"
        );
        let err = store
            .create_api_token(new_token("  ", "h3"), Role::GlobalAdministrator)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
        // The two kinds are kept apart: a SCIM token of the same name and hash is another
        // token, and neither opens the other's door.
        store
            .create_scim_token(new_token("Terraform", "scim-hash"))
            .await
            .unwrap();
        let now = Utc::now();
        assert!(store
            .api_token_by_hash("scim-hash", now)
            .await
            .unwrap()
            .is_none());
        assert!(store.scim_token_by_hash("h1").await.unwrap().is_none());

        let listed = store.list_api_tokens().await.unwrap();
        assert_eq!(listed, vec![token]);
    }

    #[tokio::test]
    async fn api_token_use_is_recorded_at_most_once_a_minute() {
        let store = SqliteStore::in_memory().await.unwrap();
        store
            .create_api_token(new_token("ci", "h"), Role::GlobalAdministrator)
            .await
            .unwrap();
        let t0 = Utc::now();
        let used_at = |t: Option<ApiToken>| t.unwrap().info.last_used_at;
        let first = store.api_token_by_hash("h", t0).await.unwrap();
        assert_eq!(used_at(first), Some(t0));
        // Within the minute, nothing is written.
        let soon = t0 + Duration::seconds(59);
        assert_eq!(
            used_at(store.api_token_by_hash("h", soon).await.unwrap()),
            Some(t0)
        );
        assert_eq!(
            store.list_api_tokens().await.unwrap()[0].info.last_used_at,
            Some(t0)
        );
        // A minute on, the use is recorded again.
        let later = t0 + API_TOKEN_TOUCH_INTERVAL;
        assert_eq!(
            used_at(store.api_token_by_hash("h", later).await.unwrap()),
            Some(later)
        );
        assert_eq!(
            store.list_api_tokens().await.unwrap()[0].info.last_used_at,
            Some(later)
        );
        assert!(store
            .api_token_by_hash("unknown", later)
            .await
            .unwrap()
            .is_none());
    }

    #[tokio::test]
    async fn api_tokens_are_revoked_by_id_or_name_once() {
        let store = SqliteStore::in_memory().await.unwrap();
        let role = Role::GlobalAdministrator;
        let a = store
            .create_api_token(new_token("a", "ha"), role)
            .await
            .unwrap();
        store
            .create_api_token(new_token("b", "hb"), role)
            .await
            .unwrap();
        let now = Utc::now();

        let revoked = store
            .revoke_api_token(TokenRef::Id(&a.info.id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(revoked.info.name, "a");
        assert!(revoked.info.revoked_at.is_some());
        assert!(store
            .revoke_api_token(TokenRef::Id(&a.info.id))
            .await
            .unwrap()
            .is_none());
        assert!(store.api_token_by_hash("ha", now).await.unwrap().is_none());

        let revoked = store
            .revoke_api_token(TokenRef::Name(" b "))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(revoked.role, role);
        assert!(store.api_token_by_hash("hb", now).await.unwrap().is_none());
        assert!(store
            .revoke_api_token(TokenRef::Name("b"))
            .await
            .unwrap()
            .is_none());
        assert!(store
            .revoke_api_token(TokenRef::Name("nobody"))
            .await
            .unwrap()
            .is_none());

        // The name is free again; the list keeps the revoked ones, after the live one.
        let again = store
            .create_api_token(new_token("a", "ha2"), role)
            .await
            .unwrap();
        let listed = store.list_api_tokens().await.unwrap();
        assert_eq!(listed.len(), 3);
        assert_eq!(listed[0], again);
        assert!(listed[1..].iter().all(|t| !t.info.is_live()));
    }
}
