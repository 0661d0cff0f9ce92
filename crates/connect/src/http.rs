//! What the requests of every connector share: building the address, sending with a timeout,
//! and turning whatever goes wrong into a [`Failure`] that names the [`Step`], with the hint
//! the kind of target gives for it ([`Advice`]). For the engine's operations: one
//! classification of HTTP answers into [`OpError`]s ([`status_error`], [`send_op`]) for every
//! kind of target.

use std::error::Error as _;
use std::time::Duration;

use serde_json::Value;

use crate::{Failure, OpError, OpErrorKind, Step};

/// What a kind of target tells the admin to try after `step` failed at `host`; `status` is the
/// HTTP status when there was an answer. Hints that do not depend on the target come from
/// [`common_advice`].
pub(crate) type Advice = fn(step: Step, status: Option<u16>, host: &str) -> String;

/// Hints that read the same for every kind of target.
pub(crate) fn common_advice(step: Step, status: Option<u16>, host: &str) -> String {
    match (step, status) {
        (Step::Tls, _) => format!("The secure connection to {host} failed. Check the certificate (expired, self-signed, wrong host name) or whether the URL should start with http:// instead of https://."),
        (Step::HttpStatus, Some(_)) => "See the body for the application's reason; a 5xx usually means trying again later.".into(),
        (Step::Authentication, _) => "Check the credentials: they may have expired or been revoked.".into(),
        _ => "The request could not be completed; check the address of the application.".into(),
    }
}

/// The address of one request and the host name that failures talk about.
pub(crate) struct Endpoint {
    pub url: reqwest::Url,
    /// `host` or `host:port`.
    pub host: String,
    advice: Advice,
}

/// An HTTP answer: the status and the body as text (empty when it could not be read).
pub(crate) struct Answer {
    pub status: u16,
    pub body: String,
}

const EXCERPT: usize = 300;

pub(crate) fn excerpt(body: &str) -> Option<String> {
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
fn classify(e: &reqwest::Error) -> Step {
    let lower = chain(e).to_lowercase();
    if e.is_timeout() {
        Step::Timeout
    } else if lower.contains("dns error")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
        || lower.contains("no address")
    {
        Step::Dns
    } else if lower.contains("certificate")
        || lower.contains("tls")
        || lower.contains("handshake")
        || lower.contains("invalidcontenttype")
        || lower.contains("corrupt message")
    {
        Step::Tls
    } else if e.is_connect() || lower.contains("connection refused") {
        Step::TcpConnect
    } else {
        Step::HttpStatus
    }
}

impl Endpoint {
    /// `{base}{path}`, ignoring white space around `base` and a trailing `/`; a [`Step::Url`]
    /// failure unless that is an http:// or https:// URL with a host.
    pub fn new(base: &str, path: &str, advice: Advice) -> Result<Self, Failure> {
        let trimmed = base.trim().trim_end_matches('/');
        match reqwest::Url::parse(&format!("{trimmed}{path}")) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
                let host = format!(
                    "{}{}",
                    url.host_str().unwrap_or_default(),
                    url.port().map(|p| format!(":{p}")).unwrap_or_default()
                );
                Ok(Endpoint { url, host, advice })
            }
            _ => Err(Failure {
                step: Step::Url,
                status: None,
                detail: format!("{base:?} is not an http:// or https:// URL"),
                excerpt: None,
                hint: advice(Step::Url, None, ""),
            }),
        }
    }

    /// The failure at `step`, with the target's hint for it and the start of `body`.
    pub fn failure(&self, step: Step, status: Option<u16>, detail: String, body: &str) -> Failure {
        Failure {
            step,
            status,
            detail,
            excerpt: excerpt(body),
            hint: (self.advice)(step, status, &self.host),
        }
    }

    fn transport(&self, e: &reqwest::Error) -> Failure {
        self.failure(classify(e), None, chain(e), "")
    }

    /// A client that gives up after `timeout`, for connecting and for the whole request.
    pub fn client(&self, timeout: Duration) -> Result<reqwest::Client, Failure> {
        reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| self.transport(&e))
    }

    /// Sends `request` and reads the body. Transport errors become the step they belong to
    /// (DNS, TCP connect, TLS, timeout); any HTTP answer is returned, whatever its status.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, Failure> {
        let response = request.send().await.map_err(|e| self.transport(&e))?;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        Ok(Answer { status, body })
    }

    /// Nothing for a 200. Otherwise [`Step::Authentication`] for 401 and 403, and
    /// [`Step::HttpStatus`] for the rest; `what` names what was asked for in the detail of a
    /// 404, e.g. `/Users`.
    pub fn expect_ok(&self, answer: &Answer, what: &str) -> Result<(), Failure> {
        let (host, status) = (&self.host, answer.status);
        let (step, detail) = match status {
            200 => return Ok(()),
            401 | 403 => (
                Step::Authentication,
                format!("{host} refused the credentials ({status})."),
            ),
            404 => (
                Step::HttpStatus,
                format!("{host} has no {what} at that path (404)."),
            ),
            _ => (
                Step::HttpStatus,
                format!("{host} answered {status} instead of 200."),
            ),
        };
        Err(self.failure(step, Some(status), detail, &answer.body))
    }
}

/// The [`OpError`] for a transport failure (the request got no HTTP answer).
pub(crate) fn transport_error(e: &reqwest::Error) -> OpError {
    OpError {
        kind: if e.is_timeout() {
            OpErrorKind::Timeout
        } else {
            OpErrorKind::Transport
        },
        status: None,
        retry_after: None,
        scim_type: None,
        detail: chain(e),
    }
}

/// What `Retry-After` asks for, in its seconds form (the HTTP-date form is not read).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// The [`OpError`] for an HTTP answer an operation did not expect, the same for every kind of
/// target: 401 and 403 authentication, 404 not found, 409 conflict, 429 rate limited (with
/// `Retry-After`), 5xx the target's own failure, any other status rejected. The detail is the
/// body's `detail` (SCIM) or `message` (xMatters), else the start of the body.
pub(crate) fn status_error(
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &str,
) -> OpError {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let field = |k: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(k))
            .and_then(|v| v.as_str())
            .filter(|v| !v.trim().is_empty())
            .map(str::to_string)
    };
    let kind = match status {
        401 | 403 => OpErrorKind::Authentication,
        404 => OpErrorKind::NotFound,
        409 => OpErrorKind::Conflict,
        429 => OpErrorKind::RateLimited,
        500..=599 => OpErrorKind::ServerError,
        _ => OpErrorKind::Rejected,
    };
    OpError {
        kind,
        status: Some(status),
        retry_after: retry_after(headers),
        scim_type: field("scimType"),
        detail: field("detail")
            .or_else(|| field("message"))
            .or_else(|| excerpt(body))
            .unwrap_or_else(|| format!("HTTP {status} with no body")),
    }
}

/// Sends an operation's request and reads the answer: the status and body when the status is
/// one of `ok`, otherwise its [`status_error`]; a [`transport_error`] when there is no answer.
pub(crate) async fn send_op(
    request: reqwest::RequestBuilder,
    ok: &[u16],
) -> Result<(u16, String), OpError> {
    let response = request.send().await.map_err(|e| transport_error(&e))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.map_err(|e| transport_error(&e))?;
    if ok.contains(&status) {
        Ok((status, body))
    } else {
        Err(status_error(status, &headers, &body))
    }
}

/// Percent-encodes an id (or an xMatters targetName) for one path segment.
pub(crate) fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified_by_status() {
        let mut headers = reqwest::header::HeaderMap::new();
        let kind = |status| status_error(status, &headers, "").kind;
        assert_eq!(kind(401), OpErrorKind::Authentication);
        assert_eq!(kind(403), OpErrorKind::Authentication);
        assert_eq!(kind(404), OpErrorKind::NotFound);
        assert_eq!(kind(409), OpErrorKind::Conflict);
        assert_eq!(kind(400), OpErrorKind::Rejected);
        assert_eq!(kind(503), OpErrorKind::ServerError);
        headers.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        let limited = status_error(429, &headers, "");
        assert_eq!(limited.kind, OpErrorKind::RateLimited);
        assert_eq!(limited.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(limited.detail, "HTTP 429 with no body");
    }

    #[test]
    fn the_detail_is_the_targets_own_words() {
        let headers = reqwest::header::HeaderMap::new();
        let scim = status_error(
            409,
            &headers,
            r#"{"scimType":"uniqueness","detail":"userName taken"}"#,
        );
        assert_eq!(scim.scim_type.as_deref(), Some("uniqueness"));
        assert_eq!(scim.detail, "userName taken");
        let xmatters = status_error(
            404,
            &headers,
            r#"{"code":404,"reason":"Not Found","message":"Could not find a person"}"#,
        );
        assert_eq!(xmatters.detail, "Could not find a person");
        assert_eq!(status_error(500, &headers, " oops ").detail, "oops");
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(path_segment("a b/c"), "a%20b%2Fc");
        assert_eq!(path_segment("ada@example.com"), "ada%40example.com");
        assert_eq!(path_segment("3f2a-9"), "3f2a-9");
    }

    #[test]
    fn excerpts_are_short() {
        assert_eq!(excerpt("  "), None);
        let long = "x".repeat(1000);
        assert_eq!(excerpt(&long).unwrap().chars().count(), EXCERPT + 1);
    }
}
