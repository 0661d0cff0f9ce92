//! The email notifications a job's events cause, and the rule that makes each event one
//! message.
//!
//! An event is a change of the job's state, decided where the job's state changes (the end of
//! a cycle, [`crate::worker`]) and written in the same transaction as that change
//! ([`steward_store::JobChange::notifications`]):
//!
//! - **entered quarantine**: the job had no quarantine and now has one;
//! - **quarantine reason changed**: the job was in quarantine and the new one has another error
//!   code (the reason's text alone does not count: it carries counts and details that differ
//!   on every attempt, and a retry with the same code is the same problem);
//! - **deletes held**: a cycle ends holding disables or deletes back (the accidental-deletion
//!   threshold) while the job held none before ([`steward_store::Job::deletes_held_since`] was
//!   unset). Later cycles that still hold them, however many, tell nothing new; once none are
//!   held (allowed, or the cause fixed) the next hold is a new event.
//!
//! Nothing is told per failed object. A message goes out only when the application's settings
//! turn notifications on and name an address.

use chrono::{DateTime, Utc};
use steward_store::{NewNotification, NotificationKind, Quarantine};

use crate::AppContext;

/// Where the application's notifications go: `None` when they are off or have no address.
fn recipient(ctx: &AppContext) -> Option<String> {
    let to = ctx.settings.notification_email.trim();
    (ctx.settings.notify_on_failure && !to.is_empty()).then(|| to.to_string())
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The application's page, under the portal's URL (a path alone when it is not known).
fn page(ctx: &AppContext, portal_url: &str) -> String {
    format!(
        "{}/applications/{}",
        portal_url.trim_end_matches('/'),
        ctx.app.id
    )
}

/// What an admin does about a quarantine with this code.
fn advice(code: &str) -> &'static str {
    match code {
        "ENG-AUTH" => {
            "The application refused Steward's credentials. Check the Secret Token (or the \
             username and password) on the application's page with Test Connection, and save \
             the right one."
        }
        "ENG-UNREACHABLE" => {
            "Steward could not reach the application. Check the Tenant URL with Test \
             Connection, and that the application is up and reachable from the Steward server."
        }
        "ENG-NOT-SCIM" => {
            "The address does not answer as a SCIM service. Check the Tenant URL with Test \
             Connection (it usually ends in /scim/v2)."
        }
        "ENG-FAILURE-RATE" => {
            "Most objects sent in the last cycle failed. Open the provisioning log to see their \
             errors, and fix the mappings or the application."
        }
        _ => "Open the provisioning log on the application's page to see what failed.",
    }
}

/// The notification for a quarantine that was `before` and is `after` now, when the rule
/// above says it is an event.
pub(crate) fn quarantine_change(
    ctx: &AppContext,
    before: Option<&Quarantine>,
    after: &Quarantine,
    portal_url: &str,
) -> Option<NewNotification> {
    let kind = match before {
        None => NotificationKind::Quarantined,
        Some(b) if b.code != after.code => NotificationKind::QuarantineReasonChanged,
        Some(_) => return None,
    };
    let recipient = recipient(ctx)?;
    let name = &ctx.app.name;
    let (subject, opening) = match (kind, before) {
        (NotificationKind::QuarantineReasonChanged, Some(b)) => (
            format!("Steward: {name} is still in quarantine, for another reason"),
            format!(
                "Provisioning to {name} is still in quarantine, now for another reason \
                 (it was {}).",
                b.code
            ),
        ),
        _ => (
            format!("Steward: {name} is in quarantine"),
            format!(
                "Steward stopped provisioning to {name} and put its job in quarantine: \
                 changes in the directory do not reach the application until it leaves."
            ),
        ),
    };
    let body = format!(
        "{opening}\n\n\
         Reason: {reason}\n\
         Error code: {code}\n\
         In quarantine since: {since}\n\
         Next attempt: {next} (attempts so far: {attempts})\n\n\
         What to do: {advice} Then run the job again (the job's Run command, or \
         POST /api/v1/applications/{id}/job/run) or wait for the next attempt: Steward tries \
         again at growing intervals, and the first attempt that succeeds leaves \
         quarantine.\n\n\
         Application: {page}\n\n\
         You get this message because failure notifications are on in {name}'s provisioning \
         settings. You will not be told again while the reason stays the same.\n",
        reason = after.reason,
        code = after.code,
        since = when(after.since),
        next = when(after.next_attempt_at),
        attempts = after.attempts,
        advice = advice(&after.code),
        id = ctx.app.id,
        page = page(ctx, portal_url),
    );
    Some(NewNotification {
        application_id: ctx.app.id.clone(),
        kind,
        recipient,
        subject,
        body,
    })
}

/// The notification for a cycle that ended holding `held` disables and deletes back when
/// none were held before.
pub(crate) fn deletes_held(
    ctx: &AppContext,
    held: u64,
    portal_url: &str,
) -> Option<NewNotification> {
    let recipient = recipient(ctx)?;
    let name = &ctx.app.name;
    let body = format!(
        "A provisioning cycle of {name} would have disabled or deleted {held} accounts, more \
         than the accidental-deletion threshold of {threshold}. Steward sent none of them: they \
         are held until an administrator decides. Everything else is still provisioned.\n\n\
         What to do: look at what is held (GET /api/v1/applications/{id}/job/staged). If the \
         removals are right, allow them (the job's Allow deletes command, or \
         POST /api/v1/applications/{id}/job/allow-deletes). If they are not, fix the \
         assignments or scoping filters that caused them and restart the job.\n\n\
         Application: {page}\n\n\
         You get this message because failure notifications are on in {name}'s provisioning \
         settings. You will not be told again while these deletes stay held.\n",
        threshold = ctx.settings.deletion_threshold,
        id = ctx.app.id,
        page = page(ctx, portal_url),
    );
    Some(NewNotification {
        application_id: ctx.app.id.clone(),
        kind: NotificationKind::DeletesHeld,
        recipient,
        subject: format!("Steward: {held} deletes held for {name}"),
        body,
    })
}
