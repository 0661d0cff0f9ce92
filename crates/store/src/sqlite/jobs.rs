//! [`JobStore`] on SQLite.

use super::directory::parse_user_id;
use super::provisioning::{link_from, object_type, LINK_COLUMNS_LIGHT};
use super::SqliteStore;
use crate::jobs::{
    Cycle, CycleCounters, Escrow, Failed, Job, JobChange, JobCommand, JobStore, Quarantine, Staged,
    UserBasis,
};
use crate::{Link, ObjectType, StoreError, StoreResult, UserId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

const JOB_COLUMNS: &str = "application_id, paused, watermark, lease_owner, lease_until, command,
    quarantine_reason, quarantine_code, quarantine_since, quarantine_attempts, next_attempt_at,
    last_full_at, current_cycle_id, deletes_held_since, updated_at";

fn job_from(row: &SqliteRow) -> StoreResult<Job> {
    let command: Option<String> = row.try_get("command")?;
    let reason: Option<String> = row.try_get("quarantine_reason")?;
    let quarantine = match reason {
        Some(reason) => Some(Quarantine {
            code: row
                .try_get::<Option<String>, _>("quarantine_code")?
                .unwrap_or_default(),
            reason,
            since: row
                .try_get::<Option<DateTime<Utc>>, _>("quarantine_since")?
                .unwrap_or_else(Utc::now),
            attempts: row.try_get::<i64, _>("quarantine_attempts")? as u32,
            next_attempt_at: row
                .try_get::<Option<DateTime<Utc>>, _>("next_attempt_at")?
                .unwrap_or_else(Utc::now),
        }),
        None => None,
    };
    Ok(Job {
        application_id: row.try_get("application_id")?,
        paused: row.try_get("paused")?,
        watermark: row.try_get("watermark")?,
        lease_owner: row.try_get("lease_owner")?,
        lease_until: row.try_get("lease_until")?,
        command: command.as_deref().and_then(JobCommand::parse),
        quarantine,
        last_full_at: row.try_get("last_full_at")?,
        current_cycle_id: row.try_get("current_cycle_id")?,
        deletes_held_since: row.try_get("deletes_held_since")?,
        updated_at: row.try_get("updated_at")?,
    })
}

const CYCLE_COLUMNS: &str =
    "id, application_id, kind, status, started_at, ended_at, total, done, cursor, counters, message";

fn cycle_from(row: &SqliteRow) -> StoreResult<Cycle> {
    let counters: String = row.try_get("counters")?;
    Ok(Cycle {
        id: row.try_get("id")?,
        application_id: row.try_get("application_id")?,
        kind: row.try_get("kind")?,
        status: row.try_get("status")?,
        started_at: row.try_get("started_at")?,
        ended_at: row.try_get("ended_at")?,
        total: row.try_get::<i64, _>("total")? as u64,
        done: row.try_get::<i64, _>("done")? as u64,
        cursor: row.try_get("cursor")?,
        counters: serde_json::from_str::<CycleCounters>(&counters)
            .map_err(|e| StoreError::Corrupt(format!("cycle counters: {e}")))?,
        message: row.try_get("message")?,
    })
}

fn escrow_from(row: &SqliteRow) -> StoreResult<Escrow> {
    Ok(Escrow {
        object_type: object_type(row)?,
        source_id: row.try_get("source_id")?,
        attempts: row.try_get::<i64, _>("attempts")? as u32,
        next_attempt_at: row.try_get("next_attempt_at")?,
        error_code: row.try_get("error_code")?,
        message: row.try_get("message")?,
    })
}

fn counters_json(c: &CycleCounters) -> String {
    serde_json::to_string(c).unwrap_or_else(|_| "{}".into())
}

impl SqliteStore {
    async fn ensure_job(&self, application: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO provisioning_jobs (application_id, updated_at) VALUES (?, ?)
             ON CONFLICT (application_id) DO NOTHING",
        )
        .bind(application)
        .bind(Utc::now())
        .execute(&self.writer)
        .await
        .map_err(|e| {
            if matches!(&e, sqlx::Error::Database(db) if db.is_foreign_key_violation()) {
                StoreError::NotFound {
                    what: "application",
                    id: application.to_string(),
                }
            } else {
                e.into()
            }
        })?;
        Ok(())
    }
}

/// What [`UserBasis`] reads of users `u` for application `?1`, answered from indexes
/// (migration 0020); the callers add which users.
fn user_basis_select() -> String {
    format!(
        "SELECT u.id, u.version, l.source_id IS NOT NULL AS linked, l.basis, l.state,
                {} AS assigned
         FROM users u
         LEFT JOIN provisioning_links l INDEXED BY provisioning_links_basis_idx
           ON l.application_id = ?1 AND l.object_type = 'user' AND l.source_id = u.id",
        super::application::USER_ASSIGNED
    )
}

fn basis_from_row(row: &SqliteRow) -> StoreResult<UserBasis> {
    Ok(UserBasis {
        id: parse_user_id(row.try_get("id")?)?,
        version: row.try_get("version")?,
        linked: row.try_get("linked")?,
        basis: row.try_get("basis")?,
        active: row.try_get::<Option<String>, _>("state")?.as_deref() == Some("active"),
        assigned: row.try_get("assigned")?,
    })
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn job(&self, application: &str) -> StoreResult<Job> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM provisioning_jobs WHERE application_id = ?");
        if let Some(row) = sqlx::query(&sql)
            .bind(application)
            .fetch_optional(&self.pool)
            .await?
        {
            return job_from(&row);
        }
        self.ensure_job(application).await?;
        let row = sqlx::query(&sql)
            .bind(application)
            .fetch_one(&self.pool)
            .await?;
        job_from(&row)
    }

    async fn jobs(&self) -> StoreResult<Vec<Job>> {
        let rows = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM provisioning_jobs ORDER BY application_id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_from).collect()
    }

    async fn claim_job(
        &self,
        application: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<bool> {
        self.ensure_job(application).await?;
        let claimed = sqlx::query(
            "UPDATE provisioning_jobs SET lease_owner = ?, lease_until = ?
             WHERE application_id = ?
               AND (lease_owner IS NULL OR lease_owner = ? OR lease_until IS NULL OR lease_until < ?)",
        )
        .bind(owner)
        .bind(until)
        .bind(application)
        .bind(owner)
        .bind(now)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(claimed == 1)
    }

    async fn release_job(&self, application: &str, owner: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE provisioning_jobs SET lease_owner = NULL, lease_until = NULL
             WHERE application_id = ? AND lease_owner = ?",
        )
        .bind(application)
        .bind(owner)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn update_job(&self, application: &str, change: JobChange) -> StoreResult<Job> {
        self.ensure_job(application).await?;
        // Read and write in one transaction: the notifications go in with the change.
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM provisioning_jobs WHERE application_id = ?"
        ))
        .bind(application)
        .fetch_one(&mut *tx)
        .await?;
        let mut job = job_from(&row)?;
        if let Some(paused) = change.paused {
            job.paused = paused;
        }
        if let Some(watermark) = change.watermark {
            job.watermark = watermark;
        }
        if let Some(quarantine) = change.quarantine {
            job.quarantine = quarantine;
        }
        if let Some(at) = change.last_full_at {
            job.last_full_at = at;
        }
        if let Some(cycle) = change.current_cycle_id {
            job.current_cycle_id = cycle;
        }
        if let Some(since) = change.deletes_held_since {
            job.deletes_held_since = since;
        }
        job.updated_at = Utc::now();
        let q = job.quarantine.as_ref();
        sqlx::query(
            "UPDATE provisioning_jobs SET paused = ?, watermark = ?, quarantine_reason = ?,
                 quarantine_code = ?, quarantine_since = ?, quarantine_attempts = ?,
                 next_attempt_at = ?, last_full_at = ?, current_cycle_id = ?,
                 deletes_held_since = ?, updated_at = ?
             WHERE application_id = ?",
        )
        .bind(job.paused)
        .bind(job.watermark)
        .bind(q.map(|q| &q.reason))
        .bind(q.map(|q| &q.code))
        .bind(q.map(|q| q.since))
        .bind(q.map(|q| q.attempts as i64).unwrap_or(0))
        .bind(q.map(|q| q.next_attempt_at))
        .bind(job.last_full_at)
        .bind(&job.current_cycle_id)
        .bind(job.deletes_held_since)
        .bind(job.updated_at)
        .bind(application)
        .execute(&mut *tx)
        .await?;
        for n in &change.notifications {
            Self::insert_notification(&mut tx, n, job.updated_at).await?;
        }
        tx.commit().await?;
        if !change.notifications.is_empty() {
            self.notifications_committed();
        }
        Ok(job)
    }

    async fn send_command(&self, application: &str, command: JobCommand) -> StoreResult<()> {
        self.ensure_job(application).await?;
        let mut tx = self.write_tx().await?;
        let pending: Option<String> =
            sqlx::query_scalar("SELECT command FROM provisioning_jobs WHERE application_id = ?")
                .bind(application)
                .fetch_one(&mut *tx)
                .await?;
        let merged = match pending.as_deref().and_then(JobCommand::parse) {
            Some(p) => p.merge(command),
            None => command,
        };
        sqlx::query("UPDATE provisioning_jobs SET command = ? WHERE application_id = ?")
            .bind(merged.as_str())
            .bind(application)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn take_command(&self, application: &str) -> StoreResult<Option<JobCommand>> {
        let mut tx = self.write_tx().await?;
        let pending: Option<Option<String>> =
            sqlx::query_scalar("SELECT command FROM provisioning_jobs WHERE application_id = ?")
                .bind(application)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(Some(pending)) = pending else {
            return Ok(None);
        };
        sqlx::query("UPDATE provisioning_jobs SET command = NULL WHERE application_id = ?")
            .bind(application)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(JobCommand::parse(&pending))
    }

    async fn reset_job(&self, application: &str, links: bool) -> StoreResult<()> {
        self.ensure_job(application).await?;
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE provisioning_jobs SET watermark = 0, quarantine_reason = NULL,
                 quarantine_code = NULL, quarantine_since = NULL, quarantine_attempts = 0,
                 next_attempt_at = NULL, last_full_at = NULL, deletes_held_since = NULL,
                 updated_at = ?
             WHERE application_id = ?",
        )
        .bind(Utc::now())
        .bind(application)
        .execute(&mut *tx)
        .await?;
        // Every object is looked at again, however unchanged it seems.
        sqlx::query("UPDATE provisioning_links SET basis = NULL WHERE application_id = ?")
            .bind(application)
            .execute(&mut *tx)
            .await?;
        let mut tables = vec!["provisioning_escrow", "provisioning_staged"];
        if links {
            tables.extend(["provisioning_links", "provisioning_members"]);
        }
        for table in tables {
            sqlx::query(&format!("DELETE FROM {table} WHERE application_id = ?"))
                .bind(application)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn start_cycle(&self, application: &str, kind: &str, total: u64) -> StoreResult<Cycle> {
        let cycle = Cycle {
            id: uuid::Uuid::new_v4().to_string(),
            application_id: application.to_string(),
            kind: kind.to_string(),
            status: "running".into(),
            started_at: Utc::now(),
            ended_at: None,
            total,
            done: 0,
            cursor: None,
            counters: CycleCounters::default(),
            message: String::new(),
        };
        sqlx::query(
            "INSERT INTO provisioning_cycles (id, application_id, kind, status, started_at, total)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&cycle.id)
        .bind(application)
        .bind(kind)
        .bind(&cycle.status)
        .bind(cycle.started_at)
        .bind(total as i64)
        .execute(&self.writer)
        .await?;
        Ok(cycle)
    }

    async fn save_cycle_progress(&self, cycle: &Cycle) -> StoreResult<()> {
        sqlx::query(
            "UPDATE provisioning_cycles SET total = ?, done = ?, cursor = ?, counters = ?
             WHERE id = ?",
        )
        .bind(cycle.total as i64)
        .bind(cycle.done as i64)
        .bind(&cycle.cursor)
        .bind(counters_json(&cycle.counters))
        .bind(&cycle.id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn finish_cycle(&self, cycle: &Cycle) -> StoreResult<()> {
        sqlx::query(
            "UPDATE provisioning_cycles SET status = ?, ended_at = ?, total = ?, done = ?,
                 cursor = ?, counters = ?, message = ?
             WHERE id = ?",
        )
        .bind(&cycle.status)
        .bind(cycle.ended_at.unwrap_or_else(Utc::now))
        .bind(cycle.total as i64)
        .bind(cycle.done as i64)
        .bind(&cycle.cursor)
        .bind(counters_json(&cycle.counters))
        .bind(&cycle.message)
        .bind(&cycle.id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn cycle(&self, id: &str) -> StoreResult<Option<Cycle>> {
        let row = sqlx::query(&format!(
            "SELECT {CYCLE_COLUMNS} FROM provisioning_cycles WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(cycle_from).transpose()
    }

    async fn cycles(&self, application: &str, limit: u32) -> StoreResult<Vec<Cycle>> {
        let rows = sqlx::query(&format!(
            "SELECT {CYCLE_COLUMNS} FROM provisioning_cycles WHERE application_id = ?
             ORDER BY started_at DESC, rowid DESC LIMIT ?"
        ))
        .bind(application)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(cycle_from).collect()
    }

    async fn escrow(
        &self,
        application: &str,
        failed: Failed<'_>,
        now: DateTime<Utc>,
        delays: &[u64],
    ) -> StoreResult<Escrow> {
        let Failed {
            object_type,
            source_id,
            error_code,
            message,
        } = failed;
        let mut tx = self.write_tx().await?;
        let before: Option<i64> = sqlx::query_scalar(
            "SELECT attempts FROM provisioning_escrow
             WHERE application_id = ? AND object_type = ? AND source_id = ?",
        )
        .bind(application)
        .bind(object_type.as_str())
        .bind(source_id)
        .fetch_optional(&mut *tx)
        .await?;
        let attempts = before.unwrap_or(0) as u32 + 1;
        let delay = delays
            .get(attempts as usize - 1)
            .or(delays.last())
            .copied()
            .unwrap_or(60);
        let next_attempt_at = now + chrono::Duration::seconds(delay as i64);
        sqlx::query(
            "INSERT INTO provisioning_escrow
                 (application_id, object_type, source_id, attempts, next_attempt_at, error_code, message)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (application_id, object_type, source_id) DO UPDATE SET
                 attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,
                 error_code = excluded.error_code, message = excluded.message",
        )
        .bind(application)
        .bind(object_type.as_str())
        .bind(source_id)
        .bind(attempts as i64)
        .bind(next_attempt_at)
        .bind(error_code)
        .bind(message)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Escrow {
            object_type,
            source_id: source_id.to_string(),
            attempts,
            next_attempt_at,
            error_code: error_code.map(str::to_string),
            message: message.to_string(),
        })
    }

    async fn clear_escrow(
        &self,
        application: &str,
        object_type: ObjectType,
        source_id: &str,
    ) -> StoreResult<()> {
        self.delete_object_row("provisioning_escrow", application, object_type, source_id)
            .await
    }

    async fn due_escrow(
        &self,
        application: &str,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Escrow>> {
        let rows = sqlx::query(
            "SELECT object_type, source_id, attempts, next_attempt_at, error_code, message
             FROM provisioning_escrow WHERE application_id = ? AND next_attempt_at <= ?
             ORDER BY next_attempt_at LIMIT ?",
        )
        .bind(application)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(escrow_from).collect()
    }

    async fn escrowed(&self, application: &str, limit: u32) -> StoreResult<Vec<Escrow>> {
        let rows = sqlx::query(
            "SELECT object_type, source_id, attempts, next_attempt_at, error_code, message
             FROM provisioning_escrow WHERE application_id = ?
             ORDER BY next_attempt_at LIMIT ?",
        )
        .bind(application)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(escrow_from).collect()
    }

    async fn stage(&self, application: &str, s: &Staged) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO provisioning_staged (application_id, object_type, source_id, source_name,
                 target_id, action, reason, cycle_id, staged_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (application_id, object_type, source_id) DO UPDATE SET
                 source_name = excluded.source_name, target_id = excluded.target_id,
                 action = excluded.action, reason = excluded.reason,
                 cycle_id = excluded.cycle_id, staged_at = excluded.staged_at",
        )
        .bind(application)
        .bind(s.object_type.as_str())
        .bind(&s.source_id)
        .bind(&s.source_name)
        .bind(&s.target_id)
        .bind(&s.action)
        .bind(&s.reason)
        .bind(&s.cycle_id)
        .bind(s.staged_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn staged(&self, application: &str, limit: u32) -> StoreResult<Vec<Staged>> {
        let rows = sqlx::query(
            "SELECT object_type, source_id, source_name, target_id, action, reason, cycle_id,
                    staged_at
             FROM provisioning_staged WHERE application_id = ?
             ORDER BY source_name, source_id LIMIT ?",
        )
        .bind(application)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Staged {
                    object_type: object_type(row)?,
                    source_id: row.try_get("source_id")?,
                    source_name: row.try_get("source_name")?,
                    target_id: row.try_get("target_id")?,
                    action: row.try_get("action")?,
                    reason: row.try_get("reason")?,
                    cycle_id: row.try_get("cycle_id")?,
                    staged_at: row.try_get("staged_at")?,
                })
            })
            .collect()
    }

    async fn count_staged(&self, application: &str) -> StoreResult<u64> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM provisioning_staged WHERE application_id = ?")
                .bind(application)
                .fetch_one(&self.pool)
                .await?;
        Ok(n as u64)
    }

    async fn count_links(&self, application: &str) -> StoreResult<(u64, u64)> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT object_type, COUNT(*) FROM provisioning_links
             WHERE application_id = ? GROUP BY object_type",
        )
        .bind(application)
        .fetch_all(&self.pool)
        .await?;
        let count = |t: &str| {
            rows.iter()
                .find(|(kind, _)| kind == t)
                .map_or(0, |(_, n)| *n as u64)
        };
        Ok((count("user"), count("group")))
    }

    async fn unstage(
        &self,
        application: &str,
        object_type: ObjectType,
        source_id: &str,
    ) -> StoreResult<()> {
        self.delete_object_row("provisioning_staged", application, object_type, source_id)
            .await
    }

    async fn links(
        &self,
        application: &str,
        object_type: ObjectType,
        source_ids: &[String],
    ) -> StoreResult<Vec<Link>> {
        let mut links = Vec::with_capacity(source_ids.len());
        // SQLite allows 32766 parameters; stay far below.
        for chunk in source_ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "SELECT {LINK_COLUMNS_LIGHT} FROM provisioning_links
                 WHERE application_id = ? AND object_type = ? AND source_id IN ({marks})"
            );
            let mut query = sqlx::query(&sql)
                .bind(application)
                .bind(object_type.as_str());
            for id in chunk {
                query = query.bind(id);
            }
            for row in query.fetch_all(&self.pool).await? {
                links.push(link_from(&row)?);
            }
        }
        Ok(links)
    }

    async fn scan_links(
        &self,
        application: &str,
        object_type: ObjectType,
        after: Option<&str>,
        upto: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<Link>> {
        // The upper bound is written only when there is one: `(? IS NULL OR source_id <= ?)`
        // is no range bound for SQLite, which then read every link after `after` to the end
        // of the index on each call (a cycle of N users paid N² / 250 row reads).
        let bounded = if upto.is_some() {
            "AND source_id <= ?"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {LINK_COLUMNS_LIGHT} FROM provisioning_links
             WHERE application_id = ? AND object_type = ? AND source_id > ? {bounded}
             ORDER BY source_id LIMIT ?"
        );
        let mut query = sqlx::query(&sql)
            .bind(application)
            .bind(object_type.as_str())
            .bind(after.unwrap_or(""));
        if let Some(upto) = upto {
            query = query.bind(upto);
        }
        let rows = query.bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(link_from).collect()
    }

    async fn scan_user_bases(
        &self,
        application: &str,
        after: Option<UserId>,
        limit: u32,
    ) -> StoreResult<Vec<UserBasis>> {
        let rows = sqlx::query(&format!(
            "{} WHERE u.deleted_at IS NULL AND u.id > ?2 ORDER BY u.id LIMIT ?3",
            user_basis_select()
        ))
        .bind(application)
        .bind(after.map(|id| id.to_string()).unwrap_or_default())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(basis_from_row).collect()
    }

    async fn user_bases(&self, application: &str, ids: &[UserId]) -> StoreResult<Vec<UserBasis>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = ids.iter().map(UserId::to_string).collect();
        let rows = sqlx::query(&format!(
            "{} WHERE u.deleted_at IS NULL AND u.id IN (SELECT value FROM json_each(?2))
             ORDER BY u.id",
            user_basis_select()
        ))
        .bind(application)
        .bind(serde_json::Value::from(ids).to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(basis_from_row).collect()
    }

    async fn count_links_between(
        &self,
        application: &str,
        object_type: ObjectType,
        after: &str,
        upto: &str,
    ) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM provisioning_links
             WHERE application_id = ? AND object_type = ? AND source_id > ? AND source_id <= ?",
        )
        .bind(application)
        .bind(object_type.as_str())
        .bind(after)
        .bind(upto)
        .fetch_one(&self.pool)
        .await?;
        Ok(n.max(0) as u64)
    }

    async fn sent_members(&self, application: &str, group_id: &str) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT member_id FROM provisioning_members
             WHERE application_id = ? AND group_id = ? ORDER BY member_id",
        )
        .bind(application)
        .bind(group_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn record_sent_members(
        &self,
        application: &str,
        group_id: &str,
        added: &[String],
        removed: &[String],
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        for id in added {
            sqlx::query(
                "INSERT INTO provisioning_members (application_id, group_id, member_id)
                 VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            )
            .bind(application)
            .bind(group_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        for id in removed {
            sqlx::query(
                "DELETE FROM provisioning_members
                 WHERE application_id = ? AND group_id = ? AND member_id = ?",
            )
            .bind(application)
            .bind(group_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ApplicationStore, ProvisioningStore};
    use chrono::Duration;

    #[tokio::test]
    async fn one_owner_holds_a_job_until_its_lease_expires() {
        let store = SqliteStore::in_memory().await.unwrap();
        let app = store.create_application("custom-scim", "HR").await.unwrap();
        let now = Utc::now();
        let minute = now + Duration::minutes(1);
        assert!(store.claim_job(&app.id, "a", now, minute).await.unwrap());
        assert!(!store.claim_job(&app.id, "b", now, minute).await.unwrap());
        // The holder renews; after expiry another may take it.
        assert!(store.claim_job(&app.id, "a", now, minute).await.unwrap());
        let later = minute + Duration::seconds(1);
        assert!(store
            .claim_job(&app.id, "b", later, later + Duration::minutes(1))
            .await
            .unwrap());
        store.release_job(&app.id, "a").await.unwrap();
        assert_eq!(
            store.job(&app.id).await.unwrap().lease_owner.as_deref(),
            Some("b"),
            "a release by a former owner changes nothing"
        );
        store.release_job(&app.id, "b").await.unwrap();
        assert!(store.claim_job(&app.id, "a", now, minute).await.unwrap());
        let err = store.claim_job("nope", "a", now, minute).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn links_are_scanned_in_source_order_between_bounds() {
        let store = SqliteStore::in_memory().await.unwrap();
        let app = store.create_application("custom-scim", "HR").await.unwrap();
        for (i, id) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            store
                .save_link(&Link {
                    application_id: app.id.clone(),
                    object_type: ObjectType::User,
                    source_id: (*id).into(),
                    target_id: format!("t{i}"),
                    fingerprint: serde_json::json!({}),
                    active: true,
                    updated_at: Utc::now(),
                    sent: serde_json::json!({}),
                    basis: None,
                })
                .await
                .unwrap();
        }
        let scan = |after: Option<&'static str>, upto: Option<&'static str>, limit: u32| {
            let store = &store;
            let app = app.id.clone();
            async move {
                store
                    .scan_links(&app, ObjectType::User, after, upto, limit)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|l| l.source_id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(scan(Some("a"), Some("c"), 10).await, ["b", "c"]);
        assert_eq!(scan(Some("a"), None, 10).await, ["b", "c", "d", "e"]);
        assert_eq!(scan(None, None, 2).await, ["a", "b"]);
        assert_eq!(scan(Some("b"), Some("b"), 10).await, Vec::<String>::new());
        let groups = store
            .scan_links(&app.id, ObjectType::Group, None, None, 10)
            .await
            .unwrap();
        assert!(groups.is_empty());
    }

    #[tokio::test]
    async fn commands_merge_and_are_taken_once() {
        let store = SqliteStore::in_memory().await.unwrap();
        let app = store.create_application("custom-scim", "HR").await.unwrap();
        store
            .send_command(&app.id, JobCommand::Restart)
            .await
            .unwrap();
        store.send_command(&app.id, JobCommand::Run).await.unwrap();
        assert_eq!(
            store.take_command(&app.id).await.unwrap(),
            Some(JobCommand::Restart)
        );
        assert_eq!(store.take_command(&app.id).await.unwrap(), None);
        store
            .send_command(&app.id, JobCommand::DryRun)
            .await
            .unwrap();
        store
            .send_command(&app.id, JobCommand::RestartFull)
            .await
            .unwrap();
        assert_eq!(
            store.take_command(&app.id).await.unwrap(),
            Some(JobCommand::RestartFull)
        );
    }

    #[tokio::test]
    async fn escrow_counts_attempts_and_reset_forgets_progress() {
        let store = SqliteStore::in_memory().await.unwrap();
        let app = store.create_application("custom-scim", "HR").await.unwrap();
        let now = Utc::now();
        let delays = [10, 20];
        for (attempts, wait) in [(1, 10), (2, 20), (3, 20)] {
            let e = store
                .escrow(
                    &app.id,
                    Failed {
                        object_type: ObjectType::User,
                        source_id: "u1",
                        error_code: Some("ENG-TARGET"),
                        message: "500",
                    },
                    now,
                    &delays,
                )
                .await
                .unwrap();
            assert_eq!(e.attempts, attempts);
            assert_eq!(e.next_attempt_at, now + Duration::seconds(wait));
        }
        store
            .escrow(
                &app.id,
                Failed {
                    object_type: ObjectType::User,
                    source_id: "u2",
                    error_code: None,
                    message: "later",
                },
                now,
                &[3600],
            )
            .await
            .unwrap();
        let due = store
            .due_escrow(&app.id, now + Duration::seconds(20), 10)
            .await
            .unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!((due[0].source_id.as_str(), due[0].attempts), ("u1", 3));

        let job = store
            .update_job(
                &app.id,
                JobChange {
                    watermark: Some(42),
                    quarantine: Some(Some(Quarantine {
                        code: "ENG-AUTH".into(),
                        reason: "401".into(),
                        since: now,
                        attempts: 2,
                        next_attempt_at: now,
                    })),
                    ..JobChange::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(job.watermark, 42);
        assert_eq!(
            store
                .job(&app.id)
                .await
                .unwrap()
                .quarantine
                .unwrap()
                .attempts,
            2
        );
        store
            .stage(
                &app.id,
                &Staged {
                    object_type: ObjectType::User,
                    source_id: "u3".into(),
                    source_name: "Ada".into(),
                    target_id: "t3".into(),
                    action: "disable".into(),
                    reason: "unassigned".into(),
                    cycle_id: "c".into(),
                    staged_at: now,
                },
            )
            .await
            .unwrap();
        store
            .save_link(&Link {
                application_id: app.id.clone(),
                object_type: ObjectType::User,
                source_id: "u1".into(),
                target_id: "t1".into(),
                fingerprint: serde_json::json!({}),
                active: true,
                updated_at: now,
                sent: serde_json::json!({}),
                basis: None,
            })
            .await
            .unwrap();
        assert_eq!(store.count_staged(&app.id).await.unwrap(), 1);

        store.reset_job(&app.id, false).await.unwrap();
        let job = store.job(&app.id).await.unwrap();
        assert_eq!((job.watermark, job.quarantine), (0, None));
        assert!(store.escrowed(&app.id, 10).await.unwrap().is_empty());
        assert_eq!(store.count_staged(&app.id).await.unwrap(), 0);
        let ids = ["u1".to_string(), "u9".to_string()];
        assert_eq!(
            store
                .links(&app.id, ObjectType::User, &ids)
                .await
                .unwrap()
                .len(),
            1,
            "a plain restart keeps the links"
        );
        store.reset_job(&app.id, true).await.unwrap();
        assert!(store
            .links(&app.id, ObjectType::User, &ids)
            .await
            .unwrap()
            .is_empty());
    }

    #[tokio::test]
    async fn cycles_record_progress_and_members_sent_are_kept() {
        let store = SqliteStore::in_memory().await.unwrap();
        let app = store.create_application("custom-scim", "HR").await.unwrap();
        let mut cycle = store.start_cycle(&app.id, "initial", 10).await.unwrap();
        cycle.done = 4;
        cycle.cursor = Some("u4".into());
        cycle.counters.created = 4;
        store.save_cycle_progress(&cycle).await.unwrap();
        let read = store.cycle(&cycle.id).await.unwrap().unwrap();
        assert_eq!((read.done, read.cursor.as_deref()), (4, Some("u4")));
        assert_eq!(read.counters.created, 4);
        cycle.status = "completed".into();
        store.finish_cycle(&cycle).await.unwrap();
        let listed = store.cycles(&app.id, 5).await.unwrap();
        assert_eq!(listed[0].status, "completed");
        assert!(listed[0].ended_at.is_some());

        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        store
            .record_sent_members(&app.id, "g", &ids(&["b", "a", "c"]), &[])
            .await
            .unwrap();
        store
            .record_sent_members(&app.id, "g", &ids(&["d"]), &ids(&["b"]))
            .await
            .unwrap();
        assert_eq!(
            store.sent_members(&app.id, "g").await.unwrap(),
            ids(&["a", "c", "d"])
        );
    }
}
