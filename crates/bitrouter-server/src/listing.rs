//! Model listings in each protocol's own shape.

use serde_json::json;

use crate::gateway::ModelListing;

/// OpenAI: `{"object":"list","data":[{"id","object":"model","created","owned_by"}]}`.
pub(crate) fn openai(models: &[ModelListing]) -> Vec<u8> {
    let data: Vec<_> = models
        .iter()
        .map(|m| json!({"id": m.id, "object": "model", "created": 0, "owned_by": m.owned_by}))
        .collect();
    json!({"object": "list", "data": data})
        .to_string()
        .into_bytes()
}

/// Anthropic: `{"data":[{"type":"model","id","display_name","created_at"}],"has_more",…}`.
pub(crate) fn anthropic(models: &[ModelListing]) -> Vec<u8> {
    let data: Vec<_> = models
        .iter()
        .map(|m| {
            json!({
                "type": "model",
                "id": m.id,
                "display_name": m.id,
                "created_at": "1970-01-01T00:00:00Z",
            })
        })
        .collect();
    json!({
        "data": data,
        "has_more": false,
        "first_id": models.first().map(|m| m.id.as_str()),
        "last_id": models.last().map(|m| m.id.as_str()),
    })
    .to_string()
    .into_bytes()
}

/// Google: `{"models":[{"name":"models/…","displayName","supportedGenerationMethods"}]}`.
pub(crate) fn google(models: &[ModelListing]) -> Vec<u8> {
    let data: Vec<_> = models
        .iter()
        .map(|m| {
            json!({
                "name": format!("models/{}", m.id),
                "baseModelId": m.id,
                "version": "bitrouter",
                "displayName": m.id,
                "supportedGenerationMethods": ["generateContent", "streamGenerateContent", "countTokens"],
            })
        })
        .collect();
    json!({"models": data}).to_string().into_bytes()
}
