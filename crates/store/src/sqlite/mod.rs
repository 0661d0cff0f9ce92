//! The SQLite backend: one WAL-mode database file, migrations from `migrations/sqlite`.

use crate::{
    Admin, AdminCredentials, AdminId, AdminStore, AuditEvent, AuditFilter, AuditStore,
    FailureCounts, Health, NewAdmin, NewAuditEvent, NewSession, Outcome, Role, SessionInfo,
    SessionStore, SignInThrottle, StoreError, StoreResult,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// SQLite's heap across every connection of the process (page caches, prepared statements),
/// in bytes. Past it SQLite reuses its cache pages instead of allocating more. Without it
/// each of the nine connections grows its page cache to 2 MiB as the database outgrows
/// memory, so the process grew with the directory; with it, it stays flat (see the engine
/// bench). The operating system's file cache still holds the hot pages.
const SQLITE_HEAP_LIMIT: i64 = 8 << 20;

mod application;
mod custom;
mod directory;
mod embed;
mod import;
mod jobs;
mod log;
mod notifications;
mod provisioning;
mod tokens;

#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// One connection for writes: concurrent writers queue here, in order and without
    /// SQLite's busy-wait sleeps (WAL allows one writer at a time anyway). Reads use `pool`.
    writer: SqlitePool,
    /// The newest change-feed sequence number, sent after each commit.
    changes: std::sync::Arc<tokio::sync::watch::Sender<i64>>,
    /// Ticks after each committed notification, for the sender to wake.
    outbox: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
}

impl SqliteStore {
    /// Opens (creating when missing) the database at `url` and migrates it.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let location = url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let open_error = |reason: String| StoreError::Open {
            location: location.to_string(),
            reason,
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| open_error(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .pragma("soft_heap_limit", SQLITE_HEAP_LIMIT.to_string());
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.clone())
            .await
            .map_err(|e| open_error(describe_open_error(&e)))?;
        // A file that is not a database opens fine and fails on the first read: check now,
        // so start-up reports it instead of the first request.
        sqlx::query("SELECT count(*) FROM sqlite_master")
            .execute(&pool)
            .await
            .map_err(|e| open_error(describe_open_error(&e)))?;
        MIGRATOR.run(&pool).await?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|e| open_error(describe_open_error(&e)))?;
        Self::with_pools(pool, writer).await
    }

    async fn with_pools(pool: SqlitePool, writer: SqlitePool) -> StoreResult<Self> {
        let latest: i64 = sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM changes")
            .fetch_one(&pool)
            .await?;
        let (tx, _) = tokio::sync::watch::channel(latest);
        let (outbox, _) = tokio::sync::watch::channel(0);
        Ok(Self {
            pool,
            writer,
            changes: std::sync::Arc::new(tx),
            outbox: std::sync::Arc::new(outbox),
        })
    }

    /// A fresh in-memory database, for tests.
    pub async fn in_memory() -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        // One connection: every connection to :memory: is a different database.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Self::with_pools(pool.clone(), pool).await
    }
}

fn describe_open_error(e: &sqlx::Error) -> String {
    if let sqlx::Error::Database(db) = e {
        match db.code().as_deref() {
            Some("26") => {
                return "the file is not a SQLite database (corrupt, or some other file); \
                        restore it from a backup or move it away to start with an empty one"
                    .into()
            }
            Some("14") => {
                return "the file cannot be opened; check that its folder exists and is \
                        writable by this user"
                    .into()
            }
            _ => {}
        }
    }
    e.to_string()
}

pub(super) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

fn parse_id(s: &str) -> StoreResult<AdminId> {
    Uuid::parse_str(s)
        .map(AdminId)
        .map_err(|_| StoreError::Corrupt(format!("admin id {s:?} is not a UUID")))
}

fn admin_from_row(row: &SqliteRow, roles: Vec<Role>) -> StoreResult<Admin> {
    Ok(Admin {
        id: parse_id(row.try_get("id")?)?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        roles,
        created_at: row.try_get("created_at")?,
        last_sign_in_at: row.try_get("last_sign_in_at")?,
    })
}

const ADMIN_COLUMNS: &str = "id, email, display_name, password_hash, created_at, last_sign_in_at";

impl SqliteStore {
    async fn roles_of(&self, id: AdminId) -> StoreResult<Vec<Role>> {
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT role FROM admin_roles WHERE admin_id = ? ORDER BY role")
                .bind(id.to_string())
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Role::parse(r).ok_or_else(|| StoreError::Corrupt(format!("unknown role {r:?}")))
            })
            .collect()
    }

    async fn insert_admin(tx: &mut Transaction<'_, Sqlite>, new: NewAdmin) -> StoreResult<Admin> {
        let id = AdminId::new();
        let now = Utc::now();
        let email = new.email.trim().to_lowercase();
        sqlx::query(
            "INSERT INTO admins (id, email, display_name, password_hash, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(&email)
        .bind(&new.display_name)
        .bind(&new.password_hash)
        .bind(now)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict {
                    what: "an administrator with email",
                    value: email.clone(),
                }
            } else {
                e.into()
            }
        })?;
        let mut roles = new.roles.clone();
        roles.sort();
        roles.dedup();
        for role in &roles {
            sqlx::query("INSERT INTO admin_roles (admin_id, role, created_at) VALUES (?, ?, ?)")
                .bind(id.to_string())
                .bind(role.as_str())
                .bind(now)
                .execute(&mut **tx)
                .await?;
        }
        Ok(Admin {
            id,
            email,
            display_name: new.display_name,
            roles,
            created_at: now,
            last_sign_in_at: None,
        })
    }
}

#[async_trait]
impl AdminStore for SqliteStore {
    async fn count_admins(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM admins")
            .fetch_one(&self.pool)
            .await?)
    }

    async fn create_admin(&self, new: NewAdmin) -> StoreResult<Admin> {
        let mut tx = self.pool.begin().await?;
        let admin = Self::insert_admin(&mut tx, new).await?;
        tx.commit().await?;
        Ok(admin)
    }

    async fn create_first_admin(&self, new: NewAdmin) -> StoreResult<Admin> {
        // BEGIN IMMEDIATE takes the write lock before the count, so two concurrent setups
        // serialise and the second sees the first's admin.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM admins")
            .fetch_one(&mut *tx)
            .await?;
        if count > 0 {
            return Err(StoreError::AlreadyInitialised);
        }
        let admin = Self::insert_admin(&mut tx, new).await?;
        tx.commit().await?;
        Ok(admin)
    }

    async fn admin_by_email(&self, email: &str) -> StoreResult<Option<AdminCredentials>> {
        let row = sqlx::query(&format!(
            "SELECT {ADMIN_COLUMNS} FROM admins WHERE email = ?"
        ))
        .bind(email.trim().to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id = parse_id(row.try_get("id")?)?;
        let admin = admin_from_row(&row, self.roles_of(id).await?)?;
        Ok(Some(AdminCredentials {
            admin,
            password_hash: row.try_get("password_hash")?,
        }))
    }

    async fn list_admins(&self) -> StoreResult<Vec<Admin>> {
        let rows = sqlx::query(&format!(
            "SELECT {ADMIN_COLUMNS} FROM admins ORDER BY email"
        ))
        .fetch_all(&self.pool)
        .await?;
        let mut admins = Vec::with_capacity(rows.len());
        for row in &rows {
            let id = parse_id(row.try_get("id")?)?;
            admins.push(admin_from_row(row, self.roles_of(id).await?)?);
        }
        Ok(admins)
    }

    async fn reset_password(&self, email: &str, password_hash: &str) -> StoreResult<Option<Admin>> {
        let email = email.trim().to_lowercase();
        let Some(found) = self.admin_by_email(&email).await? else {
            return Ok(None);
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE admins SET password_hash = ?, updated_at = ? WHERE id = ?")
            .bind(password_hash)
            .bind(Utc::now())
            .bind(found.admin.id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE admin_id = ?")
            .bind(found.admin.id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE email = ?")
            .bind(&email)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(found.admin))
    }

    async fn record_sign_in(&self, id: AdminId, at: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE admins SET last_sign_in_at = ? WHERE id = ?")
            .bind(at)
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, new: NewSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, admin_id, created_at, last_seen_at, expires_at, ip, user_agent)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&new.token_hash)
        .bind(new.admin_id.to_string())
        .bind(new.created_at)
        .bind(new.created_at)
        .bind(new.expires_at)
        .bind(&new.ip)
        .bind(&new.user_agent)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session_admin(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(Admin, SessionInfo)>> {
        let row = sqlx::query(
            "SELECT a.id, a.email, a.display_name, a.password_hash, a.created_at, a.last_sign_in_at,
                    s.created_at AS s_created_at, s.last_seen_at, s.expires_at
             FROM sessions s JOIN admins a ON a.id = s.admin_id
             WHERE s.token_hash = ? AND s.expires_at > ?",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let id = parse_id(row.try_get("id")?)?;
        let admin = admin_from_row(&row, self.roles_of(id).await?)?;
        let info = SessionInfo {
            created_at: row.try_get("s_created_at")?,
            last_seen_at: row.try_get("last_seen_at")?,
            expires_at: row.try_get("expires_at")?,
        };
        Ok(Some((admin, info)))
    }

    async fn extend_session(
        &self,
        token_hash: &str,
        seen_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE token_hash = ?")
            .bind(seen_at)
            .bind(expires_at)
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl SignInThrottle for SqliteStore {
    async fn sign_in_failures_since(
        &self,
        email: &str,
        ip: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<FailureCounts> {
        let row = sqlx::query(
            "SELECT
               (SELECT count(*) FROM sign_in_failures WHERE email = ? AND at > ?) AS for_email,
               (SELECT count(*) FROM sign_in_failures WHERE ip = ? AND at > ?) AS from_ip",
        )
        .bind(email.trim().to_lowercase())
        .bind(since)
        .bind(ip)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok(FailureCounts {
            for_email: row.try_get("for_email")?,
            from_ip: row.try_get("from_ip")?,
        })
    }

    async fn record_sign_in_failure(
        &self,
        email: &str,
        ip: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO sign_in_failures (email, ip, at) VALUES (?, ?, ?)")
            .bind(email.trim().to_lowercase())
            .bind(ip)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn clear_sign_in_failures(&self, email: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sign_in_failures WHERE email = ?")
            .bind(email.trim().to_lowercase())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn prune_sign_in_failures(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sign_in_failures WHERE at <= ?")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn record_audit(&self, e: NewAuditEvent) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_events (at, actor, action, target, outcome, detail, ip, operation_id,
                 before_state, after_state)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(e.at)
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.target)
        .bind(e.outcome.as_str())
        .bind(&e.detail)
        .bind(&e.ip)
        .bind(&e.operation_id)
        .bind(e.before.as_ref().map(|v| v.to_string()))
        .bind(e.after.as_ref().map(|v| v.to_string()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn list_audit(
        &self,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>> {
        // A NULL bind switches its condition off.
        let rows = sqlx::query(
            "SELECT id, at, actor, action, target, outcome, detail, ip, operation_id,
                    before_state, after_state
             FROM audit_events
             WHERE id < ?
               AND (? IS NULL OR actor = ?)
               AND (? IS NULL OR substr(action, 1, length(?)) = ?)
               AND (? IS NULL OR instr(lower(target), lower(?)) > 0)
               AND (? IS NULL OR outcome = ?)
               AND (? IS NULL OR at >= ?)
               AND (? IS NULL OR at < ?)
             ORDER BY id DESC LIMIT ?",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(&filter.actor)
        .bind(&filter.actor)
        .bind(&filter.action)
        .bind(&filter.action)
        .bind(&filter.action)
        .bind(&filter.target)
        .bind(&filter.target)
        .bind(filter.outcome.map(Outcome::as_str))
        .bind(filter.outcome.map(Outcome::as_str))
        .bind(filter.since)
        .bind(filter.since)
        .bind(filter.until)
        .bind(filter.until)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let state = |row: &sqlx::sqlite::SqliteRow, column: &str| -> StoreResult<_> {
            let text: Option<String> = row.try_get(column)?;
            Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
        };
        rows.iter()
            .map(|row| {
                let outcome: String = row.try_get("outcome")?;
                Ok(AuditEvent {
                    id: row.try_get("id")?,
                    at: row.try_get("at")?,
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    target: row.try_get("target")?,
                    outcome: if outcome == "success" {
                        Outcome::Success
                    } else {
                        Outcome::Failure
                    },
                    detail: row.try_get("detail")?,
                    ip: row.try_get("ip")?,
                    before: state(row, "before_state")?,
                    after: state(row, "after_state")?,
                    operation_id: row.try_get("operation_id")?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl Health for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn backend_name(&self) -> &'static str {
        "SQLite"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration as ChronoDuration;

    fn new_admin(email: &str) -> NewAdmin {
        NewAdmin {
            email: email.into(),
            display_name: "Ada Lovelace".into(),
            password_hash: "$argon2id$fake".into(),
            roles: vec![Role::GlobalAdministrator],
        }
    }

    /// Opens session "h" for `admin`, valid for an hour from `now`.
    async fn open_session(store: &SqliteStore, admin: AdminId, now: DateTime<Utc>) {
        store
            .create_session(NewSession {
                token_hash: "h".into(),
                admin_id: admin,
                created_at: now,
                expires_at: now + ChronoDuration::hours(1),
                ip: None,
                user_agent: None,
            })
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn admin_emails_are_unique_ignoring_case() {
        let store = SqliteStore::in_memory().await.unwrap();
        let ada = store
            .create_admin(new_admin("Ada@Example.com"))
            .await
            .unwrap();
        assert_eq!(ada.email, "ada@example.com");
        assert_eq!(ada.roles, vec![Role::GlobalAdministrator]);
        let err = store
            .create_admin(new_admin("ADA@example.com"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
        let found = store
            .admin_by_email(" ada@EXAMPLE.com ")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.admin.id, ada.id);
        assert_eq!(found.password_hash, "$argon2id$fake");
    }

    #[tokio::test]
    async fn only_one_first_admin() {
        let store = SqliteStore::in_memory().await.unwrap();
        store
            .create_first_admin(new_admin("a@example.com"))
            .await
            .unwrap();
        let err = store
            .create_first_admin(new_admin("b@example.com"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::AlreadyInitialised));
        assert_eq!(store.count_admins().await.unwrap(), 1);
    }

    #[tokio::test]
    async fn reset_password_ends_sessions_and_unlocks() {
        let store = SqliteStore::in_memory().await.unwrap();
        let ada = store
            .create_admin(new_admin("ada@example.com"))
            .await
            .unwrap();
        let now = Utc::now();
        open_session(&store, ada.id, now).await;
        store
            .record_sign_in_failure("ada@example.com", "ip", now)
            .await
            .unwrap();
        let done = store
            .reset_password("ADA@example.com", "$argon2id$new")
            .await
            .unwrap();
        assert_eq!(done.map(|a| a.id), Some(ada.id));
        assert!(store.session_admin("h", now).await.unwrap().is_none());
        let creds = store
            .admin_by_email("ada@example.com")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(creds.password_hash, "$argon2id$new");
        let since = now - ChronoDuration::minutes(1);
        assert_eq!(
            store
                .sign_in_failures_since("ada@example.com", "ip", since)
                .await
                .unwrap()
                .for_email,
            0
        );
        assert!(store
            .reset_password("nobody@example.com", "x")
            .await
            .unwrap()
            .is_none());
    }

    #[tokio::test]
    async fn sessions_expire() {
        let store = SqliteStore::in_memory().await.unwrap();
        let ada = store
            .create_admin(new_admin("ada@example.com"))
            .await
            .unwrap();
        let now = Utc::now();
        open_session(&store, ada.id, now).await;
        let (who, _) = store.session_admin("h", now).await.unwrap().unwrap();
        assert_eq!(who.id, ada.id);
        assert!(store
            .session_admin("h", now + ChronoDuration::hours(2))
            .await
            .unwrap()
            .is_none());
        assert!(store.session_admin("other", now).await.unwrap().is_none());
        assert_eq!(
            store
                .delete_expired_sessions(now + ChronoDuration::hours(2))
                .await
                .unwrap(),
            1
        );
    }

    #[tokio::test]
    async fn failures_are_counted_per_email_and_ip() {
        let store = SqliteStore::in_memory().await.unwrap();
        let now = Utc::now();
        let earlier = now - ChronoDuration::minutes(30);
        store
            .record_sign_in_failure("a@x.com", "1.1.1.1", earlier)
            .await
            .unwrap();
        store
            .record_sign_in_failure("A@x.com", "1.1.1.1", now)
            .await
            .unwrap();
        store
            .record_sign_in_failure("b@x.com", "1.1.1.1", now)
            .await
            .unwrap();
        let since = now - ChronoDuration::minutes(15);
        let counts = store
            .sign_in_failures_since("a@x.com", "1.1.1.1", since)
            .await
            .unwrap();
        assert_eq!(
            counts,
            FailureCounts {
                for_email: 1,
                from_ip: 2
            }
        );
        store.clear_sign_in_failures("a@x.com").await.unwrap();
        let counts = store
            .sign_in_failures_since("a@x.com", "1.1.1.1", since)
            .await
            .unwrap();
        assert_eq!(
            counts,
            FailureCounts {
                for_email: 0,
                from_ip: 1
            }
        );
    }

    #[tokio::test]
    async fn audit_pages_newest_first() {
        let store = SqliteStore::in_memory().await.unwrap();
        for i in 0..5 {
            store
                .record_audit(NewAuditEvent {
                    at: Utc::now(),
                    actor: "system".into(),
                    action: format!("test.{i}"),
                    ..Default::default()
                })
                .await
                .unwrap();
        }
        let all = AuditFilter::default();
        let first = store.list_audit(&all, None, 2).await.unwrap();
        assert_eq!(
            first.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            ["test.4", "test.3"]
        );
        let next = store.list_audit(&all, Some(first[1].id), 10).await.unwrap();
        assert_eq!(next.len(), 3);
        assert_eq!(next[0].action, "test.2");
    }

    #[tokio::test]
    async fn audit_filters_and_keeps_before_and_after() {
        let store = SqliteStore::in_memory().await.unwrap();
        let event = |actor: &str, action: &str, target: &str, outcome| NewAuditEvent {
            at: Utc::now(),
            actor: actor.into(),
            action: action.into(),
            target: Some(target.into()),
            outcome,
            before: Some(serde_json::json!({"scope": "assigned"})),
            after: Some(serde_json::json!({"scope": "all"})),
            ..Default::default()
        };
        for e in [
            event(
                "ada@x.com",
                "application.settings",
                "Payroll",
                Outcome::Success,
            ),
            event(
                "bob@x.com",
                "application.mappings",
                "Payroll",
                Outcome::Success,
            ),
            event("ada@x.com", "user.create", "grace", Outcome::Success),
            event(
                "ada@x.com",
                "application.test_connection",
                "HR portal",
                Outcome::Failure,
            ),
        ] {
            store.record_audit(e).await.unwrap();
        }
        let actions = |filter: AuditFilter| {
            let store = &store;
            async move {
                store
                    .list_audit(&filter, None, 10)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|e| e.action)
                    .collect::<Vec<_>>()
            }
        };
        let by_ada = AuditFilter {
            actor: Some("ada@x.com".into()),
            action: Some("application.".into()),
            ..Default::default()
        };
        assert_eq!(
            actions(by_ada).await,
            ["application.test_connection", "application.settings"]
        );
        let payroll = AuditFilter {
            target: Some("payROLL".into()),
            ..Default::default()
        };
        assert_eq!(
            actions(payroll).await,
            ["application.mappings", "application.settings"]
        );
        let failed = AuditFilter {
            outcome: Some(Outcome::Failure),
            ..Default::default()
        };
        assert_eq!(actions(failed).await, ["application.test_connection"]);
        let future = AuditFilter {
            since: Some(Utc::now() + ChronoDuration::minutes(1)),
            ..Default::default()
        };
        assert!(actions(future).await.is_empty());
        let read = store
            .list_audit(&AuditFilter::default(), None, 1)
            .await
            .unwrap();
        assert_eq!(
            read[0].before,
            Some(serde_json::json!({"scope": "assigned"}))
        );
        assert_eq!(read[0].after, Some(serde_json::json!({"scope": "all"})));
    }

    #[tokio::test]
    async fn rejects_a_file_that_is_not_a_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("steward.db");
        std::fs::write(
            &path,
            b"this is definitely not sqlite, just some text padding it out to more than a header",
        )
        .unwrap();
        let err = SqliteStore::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not a SQLite database"), "{err}");
    }
}
