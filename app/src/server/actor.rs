//! Who is asking: a signed-in admin in the portal or an admin API token, with the role it
//! holds and where the request came from. The service layer takes an [`Actor`], so the portal's
//! server functions and the `/api/v1` handlers authorise and audit the same way.

use super::{client_ip, current_session, operation_id, PortalState};
use crate::error::AppError;
use steward_store::{NewAuditEvent, Outcome, Role, Store};

#[derive(Clone, Debug)]
pub struct Actor {
    /// What the audit log names: an admin's e-mail, or `api-token:NAME`.
    pub name: String,
    pub roles: Vec<Role>,
    pub ip: Option<String>,
    pub operation_id: Option<String>,
}

impl Actor {
    /// The signed-in admin of the portal request being served, who must hold `role`.
    pub fn portal(role: Role) -> Result<Actor, AppError> {
        let session = current_session()?;
        let actor = Actor {
            name: session.admin.email.clone(),
            roles: session.admin.roles.clone(),
            ip: client_ip(),
            operation_id: operation_id(),
        };
        actor.require(role)?;
        Ok(actor)
    }

    /// The signed-in admin of a plain axum handler (not a server function): the session the
    /// session guard found.
    pub fn of_session(session: &super::middleware::CurrentSession) -> Actor {
        Actor {
            name: session.admin.email.clone(),
            roles: session.admin.roles.clone(),
            ip: None,
            operation_id: None,
        }
    }

    /// Refuses with `AUTH-0004` unless the actor holds `role`.
    pub fn require(&self, role: Role) -> Result<(), AppError> {
        if self.roles.contains(&role) {
            Ok(())
        } else {
            super::set_status(403);
            Err(super::forbidden(role))
        }
    }

    /// Writes one audit event in the actor's name (see [`record`]).
    pub async fn audit(&self, state: &PortalState, entry: AuditEntry) {
        let event = NewAuditEvent {
            at: chrono::Utc::now(),
            actor: self.name.clone(),
            action: entry.action.to_string(),
            target: entry.target,
            outcome: entry.outcome,
            detail: entry.detail,
            ip: self.ip.clone(),
            operation_id: self.operation_id.clone(),
            before: entry.before,
            after: entry.after,
        };
        record(state.store.as_ref(), event).await;
    }
}

/// Writes an audit event. A failed audit write must not undo what it records, but must be
/// visible: it is logged as an error.
pub async fn record(store: &dyn Store, event: NewAuditEvent) {
    if let Err(e) = store.record_audit(event).await {
        tracing::error!(error = %e, "could not write the audit log");
    }
}

/// What an audit event says besides who and when.
#[derive(Clone, Debug, Default)]
pub struct AuditEntry {
    pub action: &'static str,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub detail: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl AuditEntry {
    /// A successful `action` on `target`.
    pub fn new(action: &'static str, target: impl Into<String>) -> AuditEntry {
        AuditEntry {
            action,
            target: Some(target.into()),
            ..Default::default()
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The state before and after the change (secrets already redacted).
    pub fn change(mut self, before: serde_json::Value, after: serde_json::Value) -> Self {
        self.before = Some(before);
        self.after = Some(after);
        self
    }

    pub fn failed(mut self) -> Self {
        self.outcome = Outcome::Failure;
        self
    }
}
