//! The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json`. Written by
//! hand next to the routes; a test checks that every route is described and every described
//! path is routed, so the two cannot drift apart.

use serde_json::{json, Value};

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn body(schema: Value) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

fn ok(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn no_content(description: &str) -> Value {
    json!({ "description": description })
}

/// The errors every authenticated operation can answer, plus the operation's own.
fn responses(success: (&str, Value), extra: &[&str]) -> Value {
    let mut r = serde_json::Map::new();
    r.insert(success.0.to_string(), success.1);
    let error = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": reference("Error") } } });
    r.insert(
        "401".into(),
        error("No token, or a token that is unknown or revoked."),
    );
    r.insert("403".into(), error("The token's role does not allow this."));
    for code in extra {
        let text = match *code {
            "404" => "No such application (or gallery entry, or assignment).",
            "409" => {
                "Someone changed the application since `version` was read: read it again and retry."
            }
            "422" => "The input is invalid; `fields` names each problem.",
            _ => "Error.",
        };
        r.insert((*code).to_string(), error(text));
    }
    Value::Object(r)
}

fn id_param() -> Value {
    json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "description": "The application id." })
}

fn versioned(properties: Value, required: &[&str]) -> Value {
    let mut props = properties.as_object().cloned().unwrap_or_default();
    props.insert(
        "version".into(),
        json!({ "type": "integer", "description": "The application's version as last read; a stale one is refused with 409." }),
    );
    let mut req: Vec<&str> = vec!["version"];
    req.extend_from_slice(required);
    json!({ "type": "object", "properties": props, "required": req, "additionalProperties": false })
}

/// The whole document.
pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Steward admin API",
            "version": "1",
            "description": "Enterprise applications for automation: create from the gallery, credentials, Test Connection, settings, attribute mappings, scoping filters and assignments; the email notifications' SMTP server. Authenticate with an admin API token (Settings → API tokens, or `steward api-token create --name NAME --role ROLE`) as `Authorization: Bearer <token>`. Every change is in the audit log under `api-token:<name>`."
        },
        "servers": [{ "url": "/api/v1" }],
        "security": [{ "bearer": [] }],
        "paths": {
            "/gallery": { "get": {
                "operationId": "listGallery", "summary": "Gallery entries, \"Create your own application\" first",
                "parameters": [{ "name": "search", "in": "query", "schema": { "type": "string" } }],
                "responses": responses(("200", ok("The entries.", json!({ "type": "array", "items": reference("GalleryTile") }))), &[])
            }},
            "/applications": {
                "get": {
                    "operationId": "listApplications", "summary": "Every application, by name",
                    "responses": responses(("200", ok("The applications.", json!({ "type": "array", "items": reference("ApplicationRow") }))), &[])
                },
                "post": {
                    "operationId": "createApplication", "summary": "Adds an application from a gallery entry, with its default mappings",
                    "requestBody": body(json!({ "type": "object", "required": ["gallery_id", "name"], "additionalProperties": false, "properties": {
                        "gallery_id": { "type": "string", "examples": ["custom-scim"] }, "name": { "type": "string", "maxLength": 256 } } })),
                    "responses": responses(("201", ok("Created; Location names it.", reference("Application"))), &["404", "422"])
                }
            },
            "/applications/{id}": {
                "parameters": [id_param()],
                "get": { "operationId": "getApplication", "summary": "One application (secrets only say whether they are set)",
                    "responses": responses(("200", ok("The application.", reference("Application"))), &["404"]) },
                "patch": { "operationId": "updateApplication", "summary": "Name, provisioning mode, owners, app roles",
                    "requestBody": body(versioned(json!({
                        "name": { "type": "string" },
                        "provisioning_mode": { "enum": ["manual", "automatic"] },
                        "owners": { "type": "array", "items": { "type": "string", "format": "email" }, "description": "Admins of this tenant." },
                        "roles": { "type": "array", "items": { "type": "string" }, "description": "App roles; \"User\" is always kept." }
                    }), &[])),
                    "responses": responses(("200", ok("The application as changed.", reference("Application"))), &["404", "409", "422"]) },
                "delete": { "operationId": "deleteApplication", "summary": "Removes the application with its credentials and assignments",
                    "responses": responses(("204", no_content("Deleted.")), &["404"]) }
            },
            "/applications/{id}/credentials": {
                "parameters": [id_param()],
                "put": { "operationId": "saveCredentials", "summary": "Sets admin credential fields; secrets are stored encrypted and never returned",
                    "requestBody": body(versioned(json!({ "values": { "type": "object", "additionalProperties": { "type": "string" },
                        "description": "Field name to value, e.g. tenant_url and secret_token; a field left out keeps its value." } }), &["values"])),
                    "responses": responses(("204", no_content("Saved.")), &["404", "409", "422"]) }
            },
            "/applications/{id}/test-connection": {
                "parameters": [id_param()],
                "post": { "operationId": "testConnection", "summary": "Tests credentials (given ones, else the saved ones) without saving them",
                    "requestBody": { "required": false, "content": { "application/json": { "schema": { "type": "object", "properties": {
                        "values": { "type": "object", "additionalProperties": { "type": "string" } } } } } } },
                    "responses": responses(("200", ok("The outcome; `ok` false names the failed step.", reference("TestResult"))), &["404", "422"]) }
            },
            "/applications/{id}/settings": {
                "parameters": [id_param()],
                "put": { "operationId": "saveSettings", "summary": "Scope, accidental deletion prevention, cycle interval, notifications",
                    "requestBody": body(versioned(json!({ "settings": reference("Settings") }), &["settings"])),
                    "responses": responses(("200", ok("The settings as saved.", reference("Settings"))), &["404", "409", "422"]) }
            },
            "/applications/{id}/mappings": {
                "parameters": [id_param()],
                "get": { "operationId": "getMappings", "summary": "Attribute mappings and scoping filters, with the targets that can be mapped",
                    "responses": responses(("200", ok("The mappings.", reference("MappingsView"))), &["404"]) },
                "put": { "operationId": "saveMappings", "summary": "Replaces the mappings (null: the gallery defaults); the next cycle re-evaluates every object",
                    "requestBody": body(versioned(json!({ "mappings": { "oneOf": [reference("AppMappings"), { "type": "null" }] } }), &["mappings"])),
                    "responses": responses(("200", ok("The mappings as saved.", reference("MappingsView"))), &["404", "409", "422"]) }
            },
            "/applications/{id}/scope-preview": {
                "parameters": [id_param()],
                "post": { "operationId": "previewScope", "summary": "Who scoping filters admit now",
                    "requestBody": body(json!({ "type": "object", "required": ["object", "scope"], "additionalProperties": false, "properties": {
                        "object": { "enum": ["users", "groups"] }, "scope": reference("Scope") } })),
                    "responses": responses(("200", ok("How many are in scope, and the first names.", reference("ScopePreview"))), &["404", "422"]) }
            },
            "/applications/{id}/read-schema": {
                "parameters": [id_param()],
                "post": { "operationId": "readTargetSchema", "summary": "Reads the SCIM application's /Schemas with the saved credentials and offers its attributes as mapping targets",
                    "responses": responses(("200", ok("The outcome; `ok` false names the failed step.", reference("TestResult"))), &["404", "422"]) }
            },
            "/applications/{id}/provision-on-demand": {
                "parameters": [id_param()],
                "post": { "operationId": "provisionOnDemand", "summary": "Provisions one user (or one group with its members) now and returns the trace: import, scope (each clause), matching, the request sent, references, members",
                    "requestBody": body(json!({ "type": "object", "additionalProperties": false, "description": "Exactly one of user and group.", "properties": {
                        "user": { "type": "string", "description": "The user's id, userName, e-mail address or display name." },
                        "group": { "type": "string", "description": "A group's id or display name; the answer is {group, members}, each a ProvisioningOutcome." },
                        "dry_run": { "type": "boolean", "description": "Compute and record what would be sent; send nothing." } } })),
                    "responses": responses(("200", ok("What was done; `status` failure carries `error_code` and a message saying what to do.", reference("ProvisioningOutcome"))), &["404", "422"]) }
            },
            "/applications/{id}/provisioning-log": {
                "parameters": [id_param()],
                "get": { "operationId": "provisioningLog", "summary": "The provisioning log, newest first",
                    "parameters": [
                        { "name": "source", "in": "query", "schema": { "type": "string" }, "description": "Only this directory object's entries (its id)." },
                        { "name": "before", "in": "query", "schema": { "type": "integer" }, "description": "The id of the last entry of the previous page." },
                        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 100 } }
                    ],
                    "responses": responses(("200", ok("The entries.", json!({ "type": "array", "items": { "type": "object", "properties": {
                        "id": { "type": "integer" }, "at": { "type": "string", "format": "date-time" },
                        "source_id": { "type": "string" }, "source_name": { "type": "string" }, "target_id": { "type": ["string", "null"] },
                        "action": { "type": "string" }, "status": { "type": "string" }, "steps": { "type": "array" },
                        "modified": { "type": "array" }, "error_code": { "type": ["string", "null"] }, "message": { "type": "string" } } } }))), &["404"]) }
            },
            "/provisioning-log": {
                "get": { "operationId": "searchProvisioningLog", "summary": "Every application's provisioning log, filtered, newest first (the portal's Logs page)",
                    "parameters": [
                        { "name": "app", "in": "query", "schema": { "type": "string" }, "description": "One application's id." },
                        { "name": "status", "in": "query", "schema": { "enum": ["success", "failure", "skipped", "warning"] } },
                        { "name": "action", "in": "query", "schema": { "enum": ["create", "update", "remove", "disable", "delete", "staged_delete", "skip"] }, "description": "remove: disable or delete." },
                        { "name": "range", "in": "query", "schema": { "enum": ["1h", "24h", "7d", "30d"] }, "description": "Ignored when from or to is set." },
                        { "name": "from", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "First day (UTC), inclusive." },
                        { "name": "to", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "Last day (UTC), inclusive." },
                        { "name": "identity", "in": "query", "schema": { "type": "string" }, "description": "A directory id, a target id, or the start of a name (ASCII case ignored)." },
                        { "name": "cycle", "in": "query", "schema": { "type": "string" } },
                        { "name": "change", "in": "query", "schema": { "type": "integer" }, "description": "An entry's id." },
                        { "name": "before", "in": "query", "schema": { "type": "integer" }, "description": "next_before of the previous page." },
                        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 100 } }
                    ],
                    "responses": responses(("200", ok("A page of entries and the next page's before (null on the last page).", json!({ "type": "object", "properties": {
                        "entries": { "type": "array", "items": { "type": "object" } }, "next_before": { "type": ["integer", "null"] } } }))), &["422"]) }
            },
            "/applications/{id}/job": {
                "parameters": [id_param()],
                "get": { "operationId": "jobStatus", "summary": "The provisioning job: state (not_configured, off, running, idle, quarantined with reason and next attempt, waiting_for_deletes), the current and last cycle with counters and progress, held deletes, retries",
                    "responses": responses(("200", ok("The job.", reference("JobStatus"))), &["404"]) }
            },
            "/applications/{id}/job/{action}": {
                "parameters": [id_param(), { "name": "action", "in": "path", "required": true,
                    "schema": { "enum": ["start", "pause", "run", "restart", "restart-full", "allow-deletes", "dry-run"] },
                    "description": "start: provisioning On and a cycle now; pause: Off (a cycle under way stops after its page and resumes there); run: a cycle now; restart: forget the watermark, retries, held deletes and quarantine and run an initial cycle; restart-full: also forget the links, so every object is matched again; allow-deletes: send the disables and deletes held by the threshold; dry-run: a cycle that records what it would send and sends nothing." }],
                "post": { "operationId": "jobCommand", "summary": "Gives the job a command (persisted; the job takes it within seconds)",
                    "responses": responses(("200", ok("The job after the command was recorded.", reference("JobStatus"))), &["404", "422"]) }
            },
            "/applications/{id}/job/cycles": {
                "parameters": [id_param()],
                "get": { "operationId": "jobCycles", "summary": "The job's cycles, newest first",
                    "parameters": [{ "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 200, "default": 20 } }],
                    "responses": responses(("200", ok("The cycles.", json!({ "type": "array", "items": reference("Cycle") }))), &["404"]) }
            },
            "/applications/{id}/job/staged": {
                "parameters": [id_param()],
                "get": { "operationId": "jobStaged", "summary": "The disables and deletes held by the accidental-deletion threshold, by name",
                    "parameters": [{ "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 5000, "default": 500 } }],
                    "responses": responses(("200", ok("The held operations.", json!({ "type": "array", "items": { "type": "object", "properties": {
                        "object_type": { "enum": ["User", "Group"] }, "source_id": { "type": "string" }, "source_name": { "type": "string" },
                        "target_id": { "type": "string" }, "action": { "enum": ["disable", "delete"] }, "reason": { "type": "string" },
                        "cycle_id": { "type": "string" }, "staged_at": { "type": "string", "format": "date-time" } } } }))), &["404"]) }
            },
            "/applications/{id}/assignments": {
                "parameters": [id_param()],
                "get": { "operationId": "listAssignments", "summary": "Assigned users and groups, by name (at most 100)",
                    "parameters": [{ "name": "search", "in": "query", "schema": { "type": "string" } }],
                    "responses": responses(("200", ok("The assignments.", reference("AssignmentPage"))), &["404"]) },
                "post": { "operationId": "assign", "summary": "Assigns a user or group with an app role (or changes its role)",
                    "requestBody": body(json!({ "type": "object", "required": ["principal_id", "kind"], "additionalProperties": false, "properties": {
                        "principal_id": { "type": "string" }, "kind": { "enum": ["User", "Group"] },
                        "role": { "type": "string", "description": "One of the application's roles; \"User\" when empty." } } })),
                    "responses": responses(("204", no_content("Assigned.")), &["404", "422"]) }
            },
            "/applications/{id}/assignments/{principal}": {
                "parameters": [id_param(), { "name": "principal", "in": "path", "required": true, "schema": { "type": "string" } }],
                "delete": { "operationId": "unassign", "summary": "Removes an assignment",
                    "responses": responses(("204", no_content("Removed.")), &["404"]) }
            },
            "/settings/email": { "get": {
                "operationId": "emailSettings", "summary": "The SMTP server notifications are sent through (never its password) and the last notifications with their delivery",
                "responses": responses(("200", ok("The settings and notifications.", reference("EmailSettings"))), &[])
            }},
            "/settings/email/smtp": { "put": {
                "operationId": "saveSmtp", "summary": "Sets the SMTP server; notifications waiting for one are sent at once",
                "requestBody": body(reference("SmtpInput")),
                "responses": responses(("200", ok("The settings as saved.", reference("SmtpSettings"))), &["422"])
            }},
            "/settings/email/test": { "post": {
                "operationId": "sendTestEmail", "summary": "Sends a test email with the given SMTP settings (a password left out: the stored one), without saving them",
                "requestBody": body(json!({ "type": "object", "required": ["to", "smtp"], "additionalProperties": false, "properties": {
                    "to": { "type": "string", "format": "email" }, "smtp": reference("SmtpInput") } })),
                "responses": responses(("200", ok("The outcome; `ok` false says what went wrong and what to check.", json!({ "type": "object", "properties": {
                    "ok": { "type": "boolean" }, "message": { "type": "string" } } }))), &["422"])
            }},
            "/openapi.json": { "get": {
                "operationId": "openapi", "summary": "This document", "security": [],
                "responses": { "200": { "description": "OpenAPI 3.1" } }
            }}
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "An admin API token." } },
            "schemas": schemas()
        }
    })
}

fn schemas() -> Value {
    let string = json!({ "type": "string" });
    json!({
        "Error": { "type": "object", "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": {
            "code": { "type": "string", "examples": ["REQ-0001", "REQ-0003", "NAV-0404", "AUTH-0003"] },
            "message": string,
            "operation_id": string,
            "fields": { "type": "array", "items": { "type": "object", "properties": { "field": string, "message": string } } } } } } },
        "SmtpInput": { "type": "object", "required": ["host", "from"], "additionalProperties": false, "properties": {
            "host": string, "port": { "type": "integer", "minimum": 1, "maximum": 65535, "description": "Default: 587 for starttls, 465 for tls, 25 for none." },
            "security": { "enum": ["starttls", "tls", "none"], "default": "starttls" },
            "username": { "type": "string", "description": "Signs in when set." },
            "password": { "type": "string", "description": "Stored encrypted, never returned; left out or empty keeps the stored one." },
            "from": { "type": "string", "examples": ["Steward <steward@example.com>"] } } },
        "SmtpSettings": { "type": "object", "properties": {
            "configured": { "type": "boolean" }, "host": string, "port": { "type": ["integer", "null"] },
            "security": { "enum": ["starttls", "tls", "none", ""] }, "username": string,
            "password_set": { "type": "boolean" }, "from": string } },
        "EmailSettings": { "type": "object", "properties": {
            "smtp": { "$ref": "#/components/schemas/SmtpSettings" },
            "notifications": { "type": "array", "description": "The newest first.", "items": { "type": "object", "properties": {
                "id": string, "application_id": string, "application": string,
                "kind": { "type": "string", "examples": ["Entered quarantine", "Quarantine reason changed", "Deletes held"] },
                "recipient": string, "subject": string, "created_at": { "type": "string", "format": "date-time" },
                "state": { "enum": ["sent", "pending", "waiting", "retrying"] },
                "sent_at": { "type": ["string", "null"], "format": "date-time" }, "attempts": { "type": "integer" },
                "next_attempt_at": { "type": "string", "format": "date-time" }, "last_error": { "type": ["string", "null"] } } } } } },
        "Cycle": { "type": "object", "properties": {
            "id": string, "application_id": string,
            "kind": { "enum": ["initial", "incremental", "periodic", "dry_run"] },
            "status": { "enum": ["running", "completed", "failed", "too_many_deletes", "quarantined"] },
            "started_at": { "type": "string", "format": "date-time" }, "ended_at": { "type": ["string", "null"], "format": "date-time" },
            "total": { "type": "integer" }, "done": { "type": "integer" }, "cursor": { "type": ["string", "null"] },
            "counters": { "type": "object", "properties": {
                "in_scope": { "type": "integer" }, "created": { "type": "integer" }, "updated": { "type": "integer" },
                "disabled": { "type": "integer" }, "deleted": { "type": "integer" }, "skipped": { "type": "integer" },
                "failed": { "type": "integer" }, "retried": { "type": "integer" }, "staged": { "type": "integer" } } },
            "message": string } },
        "JobStatus": { "type": "object", "properties": {
            "application_id": string,
            "state": { "enum": ["not_configured", "off", "running", "idle", "quarantined", "waiting_for_deletes"] },
            "quarantine": { "type": ["object", "null"], "properties": {
                "code": string, "reason": string, "since": { "type": "string", "format": "date-time" },
                "attempts": { "type": "integer" }, "next_attempt_at": { "type": "string", "format": "date-time" } } },
            "current_cycle": { "oneOf": [reference("Cycle"), { "type": "null" }] },
            "last_cycle": { "oneOf": [reference("Cycle"), { "type": "null" }] },
            "last_full_at": { "type": ["string", "null"], "format": "date-time" },
            "pending_command": { "type": ["string", "null"] },
            "staged_deletes": { "type": "integer" },
            "retries": { "type": "array", "items": { "type": "object", "properties": {
                "object_type": { "enum": ["User", "Group"] }, "source_id": string, "attempts": { "type": "integer" },
                "next_attempt_at": { "type": "string", "format": "date-time" }, "error_code": { "type": ["string", "null"] }, "message": string } } } } },
        "GalleryTile": { "type": "object", "properties": {
            "id": string, "name": string, "publisher": string, "description": string, "category": string,
            "connector": { "enum": ["scim", "xmatters"] } } },
        "ApplicationRow": { "type": "object", "properties": {
            "id": string, "name": string, "gallery_name": string, "provisioning_mode": { "enum": ["manual", "automatic"] },
            "updated_at": { "type": "string", "format": "date-time" } } },
        "Application": { "type": "object", "properties": {
            "id": string, "name": string, "gallery_id": string, "gallery_name": string, "connector": string,
            "provisioning_mode": { "enum": ["manual", "automatic"] }, "version": { "type": "integer" },
            "notes": { "type": "array", "items": string },
            "credentials": { "type": "array", "items": { "type": "object", "properties": {
                "name": string, "label": string, "kind": { "enum": ["url", "secret", "text"] }, "required": { "type": "boolean" },
                "help": string, "value": { "type": "string", "description": "Empty for secrets." }, "is_set": { "type": "boolean" } } } },
            "settings": reference("Settings"),
            "owners": { "type": "array", "items": string }, "roles": { "type": "array", "items": string },
            "full_sync_required": { "type": "boolean" }, "custom_mappings": { "type": "boolean" },
            "provisions_groups": { "type": "boolean" }, "updated_at": { "type": "string", "format": "date-time" } } },
        "Settings": { "type": "object", "properties": {
            "scope": { "enum": ["assigned", "all"] },
            "prevent_accidental_deletion": { "type": "boolean" },
            "deletion_threshold": { "type": "integer", "minimum": 1, "maximum": 1_000_000 },
            "skip_out_of_scope_deletions": { "type": "boolean" },
            "cycle_interval_minutes": { "type": "integer", "minimum": 1, "maximum": 1440 },
            "notification_email": string, "notify_on_failure": { "type": "boolean" } } },
        "TestResult": { "type": "object", "properties": {
            "ok": { "type": "boolean" },
            "step": { "type": "string", "description": "The failed step: Tenant URL, DNS, TCP connect, TLS, Timeout, Authentication, HTTP status, Response is not SCIM, …" },
            "status": { "type": ["integer", "null"] }, "detail": string, "excerpt": { "type": ["string", "null"] }, "hint": string,
            "millis": { "type": ["integer", "null"] } } },
        "AttributeMapping": { "type": "object", "required": ["target", "type", "mapping"], "properties": {
            "target": { "type": "string", "examples": ["userName", "emails[type eq \"work\"].value", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"] },
            "type": { "enum": ["String", "Boolean", "DateTime", "Integer", "Reference", "Binary"] },
            "filterable": { "type": "boolean" }, "required": { "type": "boolean" },
            "mapping": { "enum": ["direct", "constant", "expression", "none"] },
            "source": { "type": "string", "description": "direct: the directory attribute, e.g. userPrincipalName" },
            "constant": { "type": "string", "description": "constant: the value" },
            "expression": { "type": "string", "description": "expression: e.g. Join(\" \", [givenName], [surname])" },
            "default": { "type": "string", "description": "Default value if null" },
            "matching": { "type": "integer", "minimum": 1, "description": "Matching precedence; 1 is tried first" },
            "apply": { "enum": ["always", "on_create"] } } },
        "ObjectMapping": { "type": "object", "required": ["enabled", "attributes"], "properties": {
            "enabled": { "type": "boolean" },
            "actions": { "type": "object", "properties": { "create": { "type": "boolean" }, "update": { "type": "boolean" }, "delete": { "type": "boolean" } } },
            "attributes": { "type": "array", "items": reference("AttributeMapping") },
            "scope": reference("Scope") } },
        "AppMappings": { "type": "object", "required": ["users"], "properties": {
            "users": reference("ObjectMapping"), "groups": { "oneOf": [reference("ObjectMapping"), { "type": "null" }] } } },
        "Scope": { "type": "array", "description": "Scoping filters, ORed; an empty list admits every object.", "items": { "type": "object", "properties": {
            "title": string,
            "clauses": { "type": "array", "description": "ANDed.", "items": { "type": "object", "required": ["attribute", "operator"], "properties": {
                "attribute": string,
                "operator": { "enum": ["EQUALS", "NOT EQUALS", "IS TRUE", "IS FALSE", "IS NULL", "IS NOT NULL", "REGEX MATCH", "NOT REGEX MATCH",
                    "Greater_Than", "Greater_Than_OR_EQUALS", "Less_Than", "Less_Than_OR_EQUALS", "Includes", "STARTS_WITH", "ENDS_WITH", "&", "!&"] },
                "value": string } } } } } },
        "MappingsView": { "type": "object", "properties": {
            "version": { "type": "integer" }, "is_default": { "type": "boolean" }, "full_sync_required": { "type": "boolean" },
            "mappings": reference("AppMappings"),
            "targets": { "type": "object", "description": "Target attributes offered per object type (gallery and the target's /Schemas)." } } },
        "ScopePreview": { "type": "object", "properties": {
            "scope": { "enum": ["assigned", "all"] }, "considered": { "type": "integer" }, "in_scope": { "type": "integer" },
            "first": { "type": "array", "items": string } } },
        "ProvisioningOutcome": { "type": "object", "properties": {
            "action": { "enum": ["create", "update", "disable", "delete", "skip"] },
            "status": { "enum": ["success", "failure", "skipped", "warning"] },
            "target_id": { "type": ["string", "null"] },
            "steps": { "type": "array", "items": { "type": "object", "properties": {
                "step": { "enum": ["import", "scope", "map", "references", "match", "action"] },
                "status": { "enum": ["ok", "skipped", "warning", "failed"] }, "detail": string, "data": {} } } },
            "modified": { "type": "array", "items": { "type": "object", "properties": { "path": string, "value": {} } } },
            "error_code": { "type": ["string", "null"] }, "message": string, "log_id": { "type": "integer" } } },
        "AssignmentPage": { "type": "object", "properties": {
            "total": { "type": "integer" },
            "rows": { "type": "array", "items": { "type": "object", "properties": {
                "id": string, "kind": { "enum": ["User", "Group"] }, "display": string, "detail": string, "role": string } } } } }
    })
}
