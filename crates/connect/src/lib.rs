//! # steward-connect: talking to target applications
//!
//! Today: **Test Connection** for SCIM 2.0 targets, the check an admin runs after entering
//! credentials. It sends what Entra sends (`GET /Users?filter=<matching attribute> eq
//! "<random id>"`), expects `200` with an empty list, and when anything else happens says
//! which step failed ([`Step`]), with the HTTP status and a short excerpt of the body where
//! there is one, and what to try.

// Tests state their expectations with unwrap; production code may not.
#![cfg_attr(test, allow(clippy::unwrap_used))]

use serde::Serialize;
use std::error::Error as _;
use std::time::Duration;

/// Where a connection attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Step {
    /// The tenant URL is not an http(s) URL.
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

/// A SCIM 2.0 target: its base URL (the Tenant URL, e.g. `https://app.example/scim/v2`) and
/// bearer token.
pub struct ScimTarget {
    pub base_url: String,
    pub token: String,
    pub timeout: Duration,
}

const EXCERPT: usize = 300;

fn excerpt(body: &str) -> Option<String> {
    let body = body.trim();
    if body.is_empty() {
        return None;
    }
    let mut cut: String = body.chars().take(EXCERPT).collect();
    if body.chars().count() > EXCERPT {
        cut.push('…');
    }
    Some(cut)
}

/// The whole chain of an error, for classifying and for the detail.
fn chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Which step a transport error belongs to, from what reqwest and hyper say.
fn classify(e: &reqwest::Error, host: &str) -> Failure {
    let text = chain(e);
    let lower = text.to_lowercase();
    let (step, hint) = if e.is_timeout() {
        (Step::Timeout, format!("{host} did not answer in time. Check that the URL is the application's SCIM endpoint and that Steward's server can reach it (firewall, proxy)."))
    } else if lower.contains("dns error")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
        || lower.contains("no address")
    {
        (Step::Dns, format!("The host name {host} does not resolve. Check the Tenant URL for typos; the application's documentation gives the exact URL."))
    } else if lower.contains("certificate")
        || lower.contains("tls")
        || lower.contains("handshake")
        || lower.contains("invalidcontenttype")
        || lower.contains("corrupt message")
    {
        (Step::Tls, format!("The secure connection to {host} failed. Check the certificate (expired, self-signed, wrong host name) or whether the URL should start with http:// instead of https://."))
    } else if e.is_connect() || lower.contains("connection refused") {
        (Step::TcpConnect, format!("Nothing accepts connections at {host}. Check the port in the Tenant URL and that the application is running."))
    } else {
        (
            Step::HttpStatus,
            "The request could not be completed; check the Tenant URL.".to_string(),
        )
    };
    Failure {
        step,
        status: None,
        detail: text,
        excerpt: None,
        hint,
    }
}

impl ScimTarget {
    pub fn new(base_url: impl Into<String>, token: impl Into<String>) -> Self {
        ScimTarget {
            base_url: base_url.into(),
            token: token.into(),
            timeout: Duration::from_secs(15),
        }
    }

    /// `GET {base}/Users?filter={matching} eq "{probe}"`, expecting 200 and no resources.
    pub async fn test_connection(&self, matching: &str, probe: &str) -> Result<Success, Failure> {
        let base = self.base_url.trim().trim_end_matches('/');
        let url = match reqwest::Url::parse(&format!("{base}/Users")) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => u,
            _ => return Err(Failure {
                step: Step::Url,
                status: None,
                detail: format!("{:?} is not an http:// or https:// URL", self.base_url),
                excerpt: None,
                hint:
                    "Enter the application's SCIM base URL, e.g. https://app.example.com/scim/v2."
                        .into(),
            }),
        };
        let host = format!(
            "{}{}",
            url.host_str().unwrap_or_default(),
            url.port().map(|p| format!(":{p}")).unwrap_or_default()
        );
        let filter =
            steward_scim::Filter::eq(steward_scim::AttrPath::new(matching), probe).to_string();
        let client = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .build()
            .map_err(|e| classify(&e, &host))?;
        let request = format!("GET {url}?filter={filter}");
        let started = std::time::Instant::now();
        let response = client
            .get(url)
            .query(&[("filter", filter.as_str())])
            .bearer_auth(&self.token)
            .header("accept", "application/scim+json, application/json")
            .send()
            .await
            .map_err(|e| classify(&e, &host))?;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        match status {
            200 => {}
            401 | 403 => {
                return Err(Failure {
                    step: Step::Authentication,
                    status: Some(status),
                    detail: format!("{host} refused the credentials ({status})."),
                    excerpt: excerpt(&body),
                    hint: "Check the Secret Token: copy it again from the application's admin settings; it may have expired or been revoked.".into(),
                })
            }
            404 => {
                return Err(Failure {
                    step: Step::HttpStatus,
                    status: Some(status),
                    detail: format!("{host} has no /Users at that path (404)."),
                    excerpt: excerpt(&body),
                    hint: "Check the path of the Tenant URL: it should end at the SCIM base (often /scim/v2), without /Users.".into(),
                })
            }
            _ => {
                return Err(Failure {
                    step: Step::HttpStatus,
                    status: Some(status),
                    detail: format!("{host} answered {status} instead of 200."),
                    excerpt: excerpt(&body),
                    hint: "See the body for the application's reason; a 5xx usually means trying again later.".into(),
                })
            }
        }
        let list: Result<steward_scim::ListResponse<serde_json::Value>, _> =
            serde_json::from_str(&body);
        match list {
            Ok(list) if list.schemas.iter().any(|s| s == steward_scim::urn::LIST_RESPONSE) || list.total_results == 0 => Ok(Success {
                request,
                status,
                millis: started.elapsed().as_millis(),
            }),
            _ => Err(Failure {
                step: Step::NotScim,
                status: Some(status),
                detail: format!("{host} answered 200, but not with a SCIM list response."),
                excerpt: excerpt(&body),
                hint: "The URL may point at a web page or another API: use the application's SCIM base URL.".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn names_the_step_that_failed_before_any_http() {
        let t = ScimTarget::new("not a url", "t");
        assert_eq!(
            t.test_connection("userName", "x").await.unwrap_err().step,
            Step::Url
        );
        let t = ScimTarget::new("ftp://example.com/scim", "t");
        assert_eq!(
            t.test_connection("userName", "x").await.unwrap_err().step,
            Step::Url
        );
        // Port 9 on localhost: nothing listens (discard is never enabled on CI machines).
        let t = ScimTarget::new("http://127.0.0.1:9/scim/v2", "t");
        let f = t.test_connection("userName", "x").await.unwrap_err();
        assert_eq!(f.step, Step::TcpConnect, "{f:?}");
        let t = ScimTarget::new("http://no-such-host.invalid/scim/v2", "t");
        let f = t.test_connection("userName", "x").await.unwrap_err();
        assert_eq!(f.step, Step::Dns, "{f:?}");
    }

    #[test]
    fn excerpts_are_short() {
        assert_eq!(excerpt("  "), None);
        let long = "x".repeat(1000);
        assert_eq!(excerpt(&long).unwrap().chars().count(), EXCERPT + 1);
    }
}
