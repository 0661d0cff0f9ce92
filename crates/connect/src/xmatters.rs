//! xMatters targets: Test Connection over the xMatters REST API (`/api/xm/1`, not SCIM), with
//! an admin's user name and password (HTTP Basic), and the engine's connector for people
//! ([`XmattersConnector`]).

use std::time::Duration;

mod connector;
pub use connector::XmattersConnector;

use crate::http::{common_advice, Endpoint};
use crate::{Failure, Step, Success};

/// The REST API's base path on an xMatters instance.
const API: &str = "/api/xm/1";

/// An xMatters instance (`https://acme.xmatters.com`) and the admin account Steward signs in
/// with.
pub struct XmattersTarget {
    /// The instance's address, without the API path: `https://acme.xmatters.com`.
    pub base_url: String,
    pub username: String,
    pub password: String,
    pub timeout: Duration,
}

/// What to try when a request to xMatters fails.
fn advice(step: Step, status: Option<u16>, host: &str) -> String {
    const DOMAIN: &str = "the first part of the address you sign in at, acme for acme.xmatters.com (the whole host name works too)";
    match (step, status) {
        (Step::Url, _) => format!("Enter the xMatters Domain: {DOMAIN}."),
        (Step::Dns, _) => format!("The host name {host} does not resolve. Check the Domain: {DOMAIN}."),
        (Step::TcpConnect, _) => format!("Nothing accepts connections at {host}. Check the Domain and that Steward's server can reach xMatters (firewall, proxy)."),
        (Step::Timeout, _) => format!("{host} did not answer in time. Check the Domain and that Steward's server can reach xMatters (firewall, proxy)."),
        // Role names from xMatters' REST API documentation (REST Web Service User) and its list
        // of default roles (Person Supervisor, Company Supervisor); companies can rename or
        // customise roles, hence "such as".
        (Step::Authentication, Some(403)) => "xMatters accepted the Admin Username and Password, but the account may not do this through the REST API (403). Give it roles that may use the REST API and add and edit people, such as REST Web Service User, Person Supervisor or Company Supervisor (your company's roles may be named differently).".into(),
        (Step::Authentication, _) => "Check the Admin Username and Password. The REST API takes the account's own xMatters password, not a single sign-on login. Signing in to xMatters with them is a quick check, unless the account only has the REST Web Service User role, which is not meant for the web interface. The account also needs roles that may add and edit people, such as REST Web Service User, Person Supervisor or Company Supervisor.".into(),
        (Step::HttpStatus, Some(404)) => format!("{host} has no xMatters REST API ({API}): the Domain is probably wrong. It is {DOMAIN}."),
        (Step::HttpStatus, None) => "The request could not be completed; check the Domain.".into(),
        (Step::NotXmatters, _) => format!("{host} does not answer as the xMatters REST API does. Check the Domain: it should be your xMatters instance, {DOMAIN}."),
        _ => common_advice(step, status, host),
    }
}

impl XmattersTarget {
    /// The target for the Domain the admin entered, with a 15-second timeout:
    ///
    /// - a name such as `acme`: `https://acme.xmatters.com`;
    /// - a host name such as `acme.xmatters.com` (what the gallery's help suggests, and how
    ///   instances in other regions are named): `https://` and that host;
    /// - an `http://` or `https://` URL: used as it is, without a trailing `/` or `/api/xm/1`
    ///   (for instances behind another address, and for tests against a local server).
    pub fn from_domain(
        domain: &str,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        let domain = domain.trim().trim_end_matches('/');
        let lower = domain.to_ascii_lowercase();
        let base_url = if lower.starts_with("http://") || lower.starts_with("https://") {
            let base = domain.strip_suffix(API).unwrap_or(domain);
            base.trim_end_matches('/').to_owned()
        } else if domain.is_empty() {
            String::new()
        } else if domain.contains('.') {
            format!("https://{domain}")
        } else {
            format!("https://{domain}.xmatters.com")
        };
        XmattersTarget {
            base_url,
            username: username.into(),
            password: password.into(),
            timeout: Duration::from_secs(15),
        }
    }

    /// `GET {base}/api/xm/1/people?limit=1` with the user name and password, expecting 200
    /// and xMatters' paginated list, an object with a `data` array (`{"count": …, "total": …,
    /// "data": [...], "links": {...}}`). 401 and 403 are [`Step::Authentication`], a 200 of
    /// another shape [`Step::NotXmatters`]; everything else is classified as for SCIM targets.
    pub async fn test_connection(&self) -> Result<Success, Failure> {
        let endpoint = Endpoint::new(&self.base_url, &format!("{API}/people"), advice)?;
        let client = endpoint.client(self.timeout)?;
        let request = format!("GET {}?limit=1", endpoint.url);
        let started = std::time::Instant::now();
        let answer = endpoint
            .send(
                client
                    .get(endpoint.url.clone())
                    .query(&[("limit", "1")])
                    .basic_auth(&self.username, Some(&self.password))
                    .header("accept", "application/json"),
            )
            .await?;
        endpoint.expect_ok(&answer, &format!("{API}/people"))?;
        let body: Option<serde_json::Value> = serde_json::from_str(&answer.body).ok();
        match body.as_ref().and_then(|b| b.get("data")) {
            Some(serde_json::Value::Array(_)) => Ok(Success {
                request,
                status: answer.status,
                millis: started.elapsed().as_millis(),
            }),
            _ => Err(endpoint.failure(
                Step::NotXmatters,
                Some(answer.status),
                format!(
                    "{} answered 200, but not with an xMatters list of people.",
                    endpoint.host
                ),
                &answer.body,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(domain: &str) -> String {
        XmattersTarget::from_domain(domain, "u", "p").base_url
    }

    #[test]
    fn the_domain_becomes_the_instance_address() {
        assert_eq!(base("acme"), "https://acme.xmatters.com");
        assert_eq!(base(" acme "), "https://acme.xmatters.com");
        assert_eq!(base("acme.xmatters.com/"), "https://acme.xmatters.com");
        assert_eq!(
            base("acme.eu1.xmatters.com"),
            "https://acme.eu1.xmatters.com"
        );
        assert_eq!(
            base("https://acme.xmatters.com/"),
            "https://acme.xmatters.com"
        );
        assert_eq!(
            base("https://acme.xmatters.com/api/xm/1/"),
            "https://acme.xmatters.com"
        );
        assert_eq!(base("HTTP://127.0.0.1:8080"), "HTTP://127.0.0.1:8080");
    }

    #[tokio::test]
    async fn a_domain_that_is_no_address_fails_at_the_url_step() {
        for domain in ["", "ac me", "acme:xmatters"] {
            let f = XmattersTarget::from_domain(domain, "u", "p")
                .test_connection()
                .await
                .unwrap_err();
            assert_eq!(f.step, Step::Url, "{domain:?}: {f:?}");
            assert!(f.hint.contains("Domain"), "{f:?}");
        }
    }
}
