//! `POST /Bulk` (RFC 7644 §3.7): operations in order, `bulkId` references resolved as the
//! resources they name are created, `failOnErrors` honoured. Each operation is the same code
//! as its single-resource endpoint.

use super::error::{ApiError, ApiResult};
use super::resources::{Precondition, Rendered};
use super::schema::Kind;
use super::ScimState;
use serde_json::Value;
use std::collections::HashMap;
use steward_scim::{
    urn, BulkMethod, BulkOperation, BulkOperationResponse, BulkRequest, BulkResponse, ScimType,
};

pub const MAX_OPERATIONS: usize = 1000;

/// The `x` of every `bulkId:x` an operation refers to, in its path or its data.
fn operation_references(op: &BulkOperation) -> Vec<String> {
    let mut refs: Vec<String> = op
        .path
        .split('/')
        .filter_map(|segment| segment.strip_prefix("bulkId:"))
        .map(str::to_string)
        .collect();
    if let Some(data) = &op.data {
        references(data, &mut refs);
    }
    refs
}

/// The path with every `bulkId:x` segment replaced by the id it stands for.
fn substitute_path(path: &str, ids: &HashMap<String, String>) -> String {
    path.split('/')
        .map(|segment| {
            segment
                .strip_prefix("bulkId:")
                .and_then(|b| ids.get(b))
                .map_or(segment, String::as_str)
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every `bulkId:x` string in a value, with the `x`.
fn references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix("bulkId:") {
                out.push(id.to_string());
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        Value::Object(map) => map.values().for_each(|v| references(v, out)),
        _ => {}
    }
}

fn substitute(value: &mut Value, ids: &HashMap<String, String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix("bulkId:").and_then(|b| ids.get(b)) {
                *s = id.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| substitute(v, ids)),
        Value::Object(map) => map.values_mut().for_each(|v| substitute(v, ids)),
        _ => {}
    }
}

/// `/Users`, `/Users/{id}`, `/Groups`, `/Groups/{id}` (a leading slash optional).
fn parse_path(path: &str) -> Option<(Kind, Option<String>)> {
    let path = path.trim().trim_start_matches('/');
    let (endpoint, id) = match path.split_once('/') {
        Some((e, id)) => (e, Some(id.to_string())),
        None => (path, None),
    };
    let kind = if endpoint.eq_ignore_ascii_case("Users") {
        Kind::User
    } else if endpoint.eq_ignore_ascii_case("Groups") {
        Kind::Group
    } else {
        return None;
    };
    Some((kind, id.filter(|i| !i.is_empty())))
}

impl ScimState {
    pub async fn bulk(&self, request: BulkRequest) -> ApiResult<BulkResponse> {
        if request.operations.len() > MAX_OPERATIONS {
            return Err(ApiError::new(
                413,
                Some(ScimType::TooMany),
                format!(
                    "a Bulk request may hold at most {MAX_OPERATIONS} operations; this one has {}: split it",
                    request.operations.len()
                ),
            ));
        }
        let fail_on_errors = request.fail_on_errors.map(|n| n.max(1) as usize);
        let mut created: HashMap<String, String> = HashMap::new();
        let mut responses: Vec<Option<BulkOperationResponse>> =
            vec![None; request.operations.len()];
        let mut pending: Vec<usize> = (0..request.operations.len()).collect();
        let mut errors = 0usize;
        // Run what is ready in request order; an operation waits while it refers to a bulkId
        // whose POST has not run yet. Stop when a pass makes no progress.
        'passes: loop {
            let mut progressed = false;
            let mut still_pending = Vec::new();
            for &i in &pending {
                let op = &request.operations[i];
                let refs = operation_references(op);
                if refs.iter().any(|r| !created.contains_key(r)) {
                    still_pending.push(i);
                    continue;
                }
                progressed = true;
                let response = self.bulk_operation(op, &created).await;
                if let (Some(bulk_id), Some(location)) = (&op.bulk_id, &response.location) {
                    if op.method == BulkMethod::Post && response.status < 300 {
                        if let Some(id) = location.rsplit('/').next() {
                            created.insert(bulk_id.clone(), id.to_string());
                        }
                    }
                }
                if response.status >= 400 {
                    errors += 1;
                }
                responses[i] = Some(response);
                if fail_on_errors.is_some_and(|n| errors >= n) {
                    break 'passes;
                }
            }
            pending = still_pending;
            if pending.is_empty() || !progressed {
                break;
            }
        }
        // Whatever still waits refers to a bulkId no operation created.
        if fail_on_errors.is_none_or(|n| errors < n) {
            for &i in &pending {
                let op = &request.operations[i];
                let refs = operation_references(op);
                let missing: Vec<_> = refs
                    .into_iter()
                    .filter(|r| !created.contains_key(r))
                    .collect();
                responses[i] = Some(error_response(
                    op,
                    ApiError::new(
                        409,
                        Some(ScimType::InvalidValue),
                        format!(
                            "bulkId {} does not name a resource created in this request (or refers back to this operation)",
                            missing.join(", ")
                        ),
                    ),
                ));
            }
        }
        Ok(BulkResponse {
            schemas: vec![urn::BULK_RESPONSE.into()],
            operations: responses.into_iter().flatten().collect(),
        })
    }

    async fn bulk_operation(
        &self,
        op: &BulkOperation,
        created: &HashMap<String, String>,
    ) -> BulkOperationResponse {
        match self.run_bulk_operation(op, created).await {
            Ok((status, rendered)) => BulkOperationResponse {
                method: op.method,
                bulk_id: op.bulk_id.clone(),
                version: rendered.as_ref().map(Rendered::etag),
                location: rendered.map(|r| r.location),
                status,
                response: None,
            },
            Err(e) => error_response(op, e),
        }
    }

    async fn run_bulk_operation(
        &self,
        op: &BulkOperation,
        created: &HashMap<String, String>,
    ) -> ApiResult<(u16, Option<Rendered>)> {
        let path = substitute_path(&op.path, created);
        let (kind, id) = parse_path(&path).ok_or_else(|| {
            ApiError::bad_request(
                ScimType::InvalidPath,
                format!("path {path:?} is not /Users, /Groups or one resource of them"),
            )
        })?;
        let mut data = op.data.clone();
        if let Some(d) = &mut data {
            substitute(d, created);
        }
        let precondition = op.version.as_deref().map(Precondition::parse);
        let need_data = || {
            data.clone().ok_or_else(|| {
                ApiError::bad_request(ScimType::InvalidSyntax, "this operation needs data")
            })
        };
        let need_id = || {
            id.clone().ok_or_else(|| {
                ApiError::bad_request(
                    ScimType::InvalidPath,
                    "this operation needs a resource id in its path",
                )
            })
        };
        match op.method {
            BulkMethod::Post if id.is_some() => Err(ApiError::bad_request(
                ScimType::InvalidPath,
                "POST goes to /Users or /Groups, not to one resource",
            )),
            BulkMethod::Post => Ok((201, Some(self.create(kind, need_data()?).await?))),
            BulkMethod::Put => Ok((
                200,
                Some(
                    self.replace(kind, &need_id()?, need_data()?, precondition.as_ref())
                        .await?,
                ),
            )),
            BulkMethod::Patch => Ok((
                200,
                Some(
                    self.patch(kind, &need_id()?, need_data()?, precondition.as_ref())
                        .await?,
                ),
            )),
            BulkMethod::Delete => {
                self.delete(kind, &need_id()?, precondition.as_ref())
                    .await?;
                Ok((204, None))
            }
        }
    }
}

fn error_response(op: &BulkOperation, e: ApiError) -> BulkOperationResponse {
    BulkOperationResponse {
        method: op.method,
        bulk_id: op.bulk_id.clone(),
        version: None,
        location: None,
        status: e.status(),
        response: serde_json::to_value(&e.0).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_and_substitutes_bulk_ids_anywhere() {
        let mut data =
            json!({"members": [{"value": "bulkId:a"}, {"value": "x"}], "m": {"value": "bulkId:b"}});
        let mut refs = Vec::new();
        references(&data, &mut refs);
        refs.sort();
        assert_eq!(refs, ["a", "b"]);
        substitute(
            &mut data,
            &HashMap::from([("a".to_string(), "id-a".to_string())]),
        );
        assert_eq!(data["members"][0]["value"], "id-a");
        assert_eq!(
            data["m"]["value"], "bulkId:b",
            "unknown ids stay as they are"
        );
    }

    #[test]
    fn bulk_ids_in_paths_are_references_too() {
        let op: BulkOperation = serde_json::from_value(json!({
            "method": "PATCH", "path": "/Users/bulkId:ada",
            "data": {"Operations": [{"op": "add", "path": "manager", "value": {"value": "bulkId:boss"}}]}
        }))
        .unwrap();
        let mut refs = operation_references(&op);
        refs.sort();
        assert_eq!(refs, ["ada", "boss"]);
        let ids = HashMap::from([("ada".to_string(), "42".to_string())]);
        assert_eq!(substitute_path(&op.path, &ids), "/Users/42");
        assert_eq!(
            substitute_path("/Users/bulkId:nobody", &ids),
            "/Users/bulkId:nobody"
        );
    }

    #[test]
    fn parses_bulk_paths() {
        assert_eq!(parse_path("/Users"), Some((Kind::User, None)));
        assert_eq!(
            parse_path("Groups/abc"),
            Some((Kind::Group, Some("abc".into())))
        );
        assert_eq!(parse_path("/users/"), Some((Kind::User, None)));
        assert_eq!(parse_path("/Schemas"), None);
    }
}
