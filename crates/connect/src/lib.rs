//! # steward-connect: talking to target applications
//!
//! Today: **Test Connection** for SCIM 2.0 targets, the check an admin runs after entering
//! credentials. It sends what Entra sends (`GET /Users?filter=<matching attribute> eq
//! "<random id>"`), expects `200` with an empty list, and when anything else happens says
//! which step failed ([`Step`]), with the HTTP status and a short excerpt of the body where
//! there is one, and what to try.
//!
//! For SCIM targets also: **reading the schema** ([`ScimTarget::read_schemas`]), the target
//! attributes an admin can map to, as Entra-style paths ([`schema`]).
//!
//! For xMatters, whose REST API is not SCIM: Test Connection as `GET /api/xm/1/people?limit=1`
//! with the admin's user name and password ([`XmattersTarget`]), and the engine's connector for
//! xMatters people and their e-mail devices ([`XmattersConnector`]).

// Tests state their expectations with unwrap; production code may not.
#![cfg_attr(test, allow(clippy::unwrap_used))]

use serde::Serialize;

mod connector;
mod http;
pub mod schema;
mod scim;
mod scim_client;
mod scim_options;
mod scim_patch;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "testing")]
pub mod testing_xmatters;
mod throttle;
mod xmatters;

pub use connector::{Capabilities, Connector, ListPage};
pub use schema::{TargetAttribute, TargetObject, TargetSchema};
pub use scim::ScimTarget;
pub use scim_client::{filter_eq, OpError, OpErrorKind, ScimClient};
pub use scim_options::ScimOptions;
pub use throttle::ScimStats;
pub use xmatters::{XmattersConnector, XmattersTarget};

/// Where a connection attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Step {
    /// The tenant URL (for xMatters: the address made of the domain) is not an http(s) URL.
    Url,
    /// The host name does not resolve.
    Dns,
    /// Nothing accepts connections at that address and port.
    TcpConnect,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// No answer within the timeout.
    Timeout,
    /// The application refused the credentials (401, 403).
    Authentication,
    /// Another HTTP status than 200.
    HttpStatus,
    /// A 200 whose body is not a SCIM list response.
    NotScim,
    /// A 200 whose body is not an xMatters list (an object with a `data` array).
    NotXmatters,
}

impl Step {
    pub fn label(self) -> &'static str {
        match self {
            Step::Url => "Tenant URL",
            Step::Dns => "DNS",
            Step::TcpConnect => "TCP connect",
            Step::Tls => "TLS",
            Step::Timeout => "Timeout",
            Step::Authentication => "Authentication",
            Step::HttpStatus => "HTTP status",
            Step::NotScim => "Response is not SCIM",
            Step::NotXmatters => "Response is not xMatters",
        }
    }
}

/// A failed Test Connection: the step, what happened, and what to try.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub step: Step,
    pub status: Option<u16>,
    /// What happened, in a sentence.
    pub detail: String,
    /// The start of the response body, if there was one.
    pub excerpt: Option<String>,
    /// What to try.
    pub hint: String,
}

/// A successful Test Connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Success {
    /// The request that was sent (without the token).
    pub request: String,
    pub status: u16,
    pub millis: u128,
}
