//! Admin-defined attributes: defined in the portal, then part of the SCIM schema, accepted,
//! filtered on and typed over SCIM, and removed with their values.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Server, PASSWORD};
use serde_json::{json, Value};

const EXT: &str = "urn:ietf:params:scim:schemas:extension:steward:2.0:User";

#[tokio::test]
async fn custom_attributes_travel_through_scim_and_leave_with_their_values() {
    let server = Server::with_admin();
    let cookie = server.sign_in("ada@example.com", PASSWORD).await;
    let client = server.client();
    let define = |name: &'static str, kind: &'static str, multi: bool| {
        let mut form = vec![
            ("form[object_type]", "user"),
            ("form[name]", name),
            ("form[kind]", kind),
            ("form[description]", "for the test"),
        ];
        if multi {
            form.push(("form[multi_valued]", "on"));
        }
        server
            .post(&client, "/api/custom_attribute_create")
            .header("cookie", &cookie)
            .form(&form)
            .send()
    };
    assert!(define("badgeColour", "string", false)
        .await
        .unwrap()
        .status()
        .is_success());
    assert!(define("clearanceLevel", "integer", false)
        .await
        .unwrap()
        .status()
        .is_success());
    assert!(define("languages", "string", true)
        .await
        .unwrap()
        .status()
        .is_success());
    // Built-in names, duplicates and names SCIM does not allow are refused next to the field.
    for (name, want) in [
        ("userName", "built-in"),
        ("BadgeColour", "already exists"),
        ("shoe size", "no spaces"),
    ] {
        let resp = define(name, "string", false).await.unwrap();
        assert!(resp.status().is_client_error(), "{name}: {}", resp.status());
        let body: Value = resp.json().await.unwrap();
        assert!(body.to_string().contains(want), "{name}: {body}");
    }

    let token = server.scim_token("custom");
    let scim = |method: reqwest::Method, path: &str| {
        client
            .request(method, server.url(&format!("/scim/v2{path}")))
            .bearer_auth(&token)
            .header("content-type", "application/scim+json")
    };
    let schema: Value = scim(reqwest::Method::GET, &format!("/Schemas/{EXT}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = schema["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["badgeColour", "clearanceLevel", "languages"]);

    let created = scim(reqwest::Method::POST, "/Users")
        .body(
            json!({"userName": "grace@example.com", EXT: {"badgecolour": "red", "clearanceLevel": 3, "languages": ["en", "fr"]}})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let user: Value = created.json().await.unwrap();
    assert_eq!(
        user[EXT],
        json!({"badgeColour": "red", "clearanceLevel": 3, "languages": ["en", "fr"]})
    );
    assert!(user["schemas"].as_array().unwrap().iter().any(|s| s == EXT));
    let id = user["id"].as_str().unwrap().to_string();

    // Wrong types and unknown attributes are refused with the path.
    let wrong = scim(reqwest::Method::POST, "/Users")
        .body(json!({"userName": "x@example.com", EXT: {"clearanceLevel": "high"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    assert!(wrong.text().await.unwrap().contains("clearanceLevel"));
    let unknown = scim(reqwest::Method::POST, "/Users")
        .body(json!({"userName": "x@example.com", EXT: {"shoeSize": 40}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);

    // Filters and PATCH reach them like any attribute.
    let found: Value = scim(reqwest::Method::GET, "/Users")
        .query(&[(
            "filter",
            format!("{EXT}:clearanceLevel ge 2 and {EXT}:languages eq \"FR\""),
        )])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["totalResults"], 1, "{found}");
    let patched = scim(reqwest::Method::PATCH, &format!("/Users/{id}"))
        .body(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                   "Operations": [{"op": "replace", "path": format!("{EXT}:badgeColour"), "value": "blue"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    assert_eq!(
        patched.json::<Value>().await.unwrap()[EXT]["badgeColour"],
        "blue"
    );

    // Removing an attribute removes its values, and SCIM stops offering it.
    let removed = server
        .post(&client, "/api/custom_attribute_delete")
        .header("cookie", &cookie)
        .form(&[("object_type", "user"), ("name", "badgeColour")])
        .send()
        .await
        .unwrap();
    assert!(removed.status().is_success());
    assert_eq!(removed.json::<Value>().await.unwrap(), json!(1));
    let after: Value = scim(reqwest::Method::GET, &format!("/Users/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        after[EXT],
        json!({"clearanceLevel": 3, "languages": ["en", "fr"]})
    );
    let refused = scim(reqwest::Method::PATCH, &format!("/Users/{id}"))
        .body(
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                   "Operations": [{"op": "add", "path": format!("{EXT}:badgeColour"), "value": "green"}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
}
