//! The catalogue tools against a real registry.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::tool::CallInfo;

async fn call(name: &str, arguments: Value) -> Value {
    let platform = crate::test_platform().await;
    let registry = Arc::new(crate::standard_registry(&platform).expect("registry"));
    let Value::Object(arguments) = arguments else {
        panic!("arguments must be an object")
    };
    registry
        .call(name, Some(arguments), CallInfo::default())
        .await
        .expect("tool exists")
        .to_json()
}

#[tokio::test]
async fn list_available_tools_counts_and_lists_every_tool() {
    let out = call("list_available_tools", json!({})).await;
    assert_eq!(out["isSuccess"], json!(true));
    let tools = out["tools"].as_array().expect("tools");
    assert_eq!(out["totalTools"], json!(tools.len()));
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(names.contains(&"list_available_tools"));
    assert!(names.contains(&"get_tool_details"));
    let total_in_categories: u64 = out["categories"]
        .as_object()
        .expect("categories")
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(total_in_categories, tools.len() as u64);
    let details = tools
        .iter()
        .find(|t| t["name"] == "get_tool_details")
        .expect("listed");
    assert_eq!(details["parameters"], json!(["toolName"]));
    assert_eq!(details["requiredParameters"], json!(["toolName"]));
    assert_eq!(details["readOnly"], json!(true));
}

#[tokio::test]
async fn list_available_tools_filters_by_category() {
    let out = call(
        "list_available_tools",
        json!({"category": "tool management"}),
    )
    .await;
    assert_eq!(out["categoryFilter"], json!("Tool Management"));
    assert!(
        out["tools"]
            .as_array()
            .expect("tools")
            .iter()
            .all(|t| t["category"] == "Tool Management")
    );
}

#[tokio::test]
async fn an_unknown_category_lists_the_real_ones() {
    let out = call("list_available_tools", json!({"category": "Gardening"})).await;
    assert_eq!(out["isSuccess"], json!(false));
    let message = out["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Unknown category 'Gardening'"),
        "{message}"
    );
    assert!(message.contains("Tool Management"), "{message}");
}

#[tokio::test]
async fn get_tool_details_describes_parameters_schema_and_examples() {
    let out = call("get_tool_details", json!({"toolName": "get_tool_details"})).await;
    assert_eq!(out["isSuccess"], json!(true));
    assert_eq!(out["name"], json!("get_tool_details"));
    assert_eq!(out["requiredParameters"][0]["name"], json!("toolName"));
    assert_eq!(out["requiredParameters"][0]["type"], json!("string"));
    assert_eq!(out["inputSchema"]["type"], json!("object"));
    assert_eq!(out["annotations"]["readOnlyHint"], json!(true));
    assert_eq!(
        out["usageExamples"][0]["parameters"],
        json!({"toolName": "list_available_tools"})
    );
}

#[tokio::test]
async fn get_tool_details_suggests_close_names() {
    let out = call("get_tool_details", json!({"toolName": "list_tools"})).await;
    assert_eq!(out["isSuccess"], json!(false));
    let message = out["errorMessage"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(
            "Tool 'list_tools' not found. Use 'list_available_tools' to see all available tools."
        ),
        "{message}"
    );
    assert!(
        message.contains("Did you mean: list_available_tools"),
        "{message}"
    );
}
