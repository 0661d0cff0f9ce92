//! SCIM 2.0 targets: Test Connection, and reading the schema an admin maps to.

use std::time::Duration;

use crate::http::{common_advice, Endpoint};
use crate::schema::TargetSchema;
use crate::{Failure, Step, Success};

/// A SCIM 2.0 target: its base URL (the Tenant URL, e.g. `https://app.example/scim/v2`) and
/// bearer token.
pub struct ScimTarget {
    pub base_url: String,
    pub token: String,
    pub timeout: Duration,
}

/// What to try when a request to a SCIM target fails.
fn advice(step: Step, status: Option<u16>, host: &str) -> String {
    match (step, status) {
        (Step::Url, _) => {
            "Enter the application's SCIM base URL, e.g. https://app.example.com/scim/v2.".into()
        }
        (Step::Dns, _) => format!("The host name {host} does not resolve. Check the Tenant URL for typos; the application's documentation gives the exact URL."),
        (Step::TcpConnect, _) => format!("Nothing accepts connections at {host}. Check the port in the Tenant URL and that the application is running."),
        (Step::Timeout, _) => format!("{host} did not answer in time. Check that the URL is the application's SCIM endpoint and that Steward's server can reach it (firewall, proxy)."),
        (Step::Authentication, _) => "Check the Secret Token: copy it again from the application's admin settings; it may have expired or been revoked.".into(),
        (Step::HttpStatus, Some(404)) => "Check the path of the Tenant URL: it should end at the SCIM base (often /scim/v2), without /Users.".into(),
        (Step::HttpStatus, None) => "The request could not be completed; check the Tenant URL.".into(),
        (Step::NotScim, _) => "The URL may point at a web page or another API: use the application's SCIM base URL.".into(),
        _ => common_advice(step, status, host),
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

    /// `{base}{path}` with this target's advice.
    pub(crate) fn endpoint(&self, path: &str) -> Result<Endpoint, Failure> {
        Endpoint::new(&self.base_url, path, advice)
    }

    /// A GET of `endpoint` with the bearer token, asking for SCIM JSON.
    pub(crate) fn get(
        &self,
        client: &reqwest::Client,
        endpoint: &Endpoint,
    ) -> reqwest::RequestBuilder {
        client
            .get(endpoint.url.clone())
            .bearer_auth(&self.token)
            .header("accept", "application/scim+json, application/json")
    }

    /// `GET {base}/Users?filter={matching} eq "{probe}"`, expecting 200 and no resources.
    pub async fn test_connection(&self, matching: &str, probe: &str) -> Result<Success, Failure> {
        let endpoint = self.endpoint("/Users")?;
        let filter =
            steward_scim::Filter::eq(steward_scim::AttrPath::new(matching), probe).to_string();
        let client = endpoint.client(self.timeout)?;
        let request = format!("GET {}?filter={filter}", endpoint.url);
        let started = std::time::Instant::now();
        let answer = endpoint
            .send(
                self.get(&client, &endpoint)
                    .query(&[("filter", filter.as_str())]),
            )
            .await?;
        endpoint.expect_ok(&answer, "/Users")?;
        let list: Result<steward_scim::ListResponse<serde_json::Value>, _> =
            serde_json::from_str(&answer.body);
        match list {
            Ok(list)
                if list
                    .schemas
                    .iter()
                    .any(|s| s == steward_scim::urn::LIST_RESPONSE)
                    || list.total_results == 0 =>
            {
                Ok(Success {
                    request,
                    status: answer.status,
                    millis: started.elapsed().as_millis(),
                })
            }
            _ => Err(endpoint.failure(
                Step::NotScim,
                Some(answer.status),
                format!(
                    "{} answered 200, but not with a SCIM list response.",
                    endpoint.host
                ),
                &answer.body,
            )),
        }
    }

    /// The attributes an admin can map to: `GET {base}/Schemas` with the bearer token,
    /// flattened into target paths (see [`TargetSchema::from_documents`] and the rules in
    /// [`crate::schema`]). Accepts a list response or a bare JSON array. `GET
    /// {base}/ResourceTypes` is asked too, to tell which extensions are for groups; when it
    /// fails the URNs decide. Failures are classified as for [`ScimTarget::test_connection`];
    /// a 200 that is not a list of schemas is [`Step::NotScim`].
    pub async fn read_schemas(&self) -> Result<TargetSchema, Failure> {
        let endpoint = self.endpoint("/Schemas")?;
        let client = endpoint.client(self.timeout)?;
        let answer = endpoint.send(self.get(&client, &endpoint)).await?;
        endpoint.expect_ok(&answer, "/Schemas").map_err(|mut f| {
            if f.status == Some(404) {
                f.hint = "Check the Tenant URL with Test Connection. If that succeeds, the application does not publish its schema at /Schemas: add the attributes its documentation lists by hand.".into();
            }
            f
        })?;
        let schemas = serde_json::from_str::<serde_json::Value>(&answer.body).ok();
        let resource_types = match &schemas {
            Some(_) => self.resource_types(&client).await,
            None => None,
        };
        schemas
            .and_then(|s| TargetSchema::from_documents(&s, resource_types.as_ref()))
            .ok_or_else(|| {
                endpoint.failure(
                    Step::NotScim,
                    Some(answer.status),
                    format!(
                        "{} answered 200, but not with a list of SCIM schemas.",
                        endpoint.host
                    ),
                    &answer.body,
                )
            })
    }

    /// The body of `GET {base}/ResourceTypes`, if the target answers it with 200 and JSON.
    async fn resource_types(&self, client: &reqwest::Client) -> Option<serde_json::Value> {
        let endpoint = self.endpoint("/ResourceTypes").ok()?;
        let answer = endpoint.send(self.get(client, &endpoint)).await.ok()?;
        endpoint.expect_ok(&answer, "/ResourceTypes").ok()?;
        serde_json::from_str(&answer.body).ok()
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
}
