//! What it takes to call Amazon Bedrock, and how zero-config finds it in the standard AWS
//! environment variables.

use std::sync::Arc;

use crate::client::Timeouts;

use super::sigv4::AwsCredentials;

/// The variable that overrides the Bedrock runtime base URL.
pub const BEDROCK_BASE_VAR: &str = "BITROUTER_BEDROCK_API_BASE";

/// How calls to Bedrock are authenticated.
#[derive(Clone, PartialEq, Eq)]
pub enum BedrockAuth {
    /// AWS Signature Version 4 with these credentials (service `bedrock`).
    SigV4(AwsCredentials),
    /// A Bedrock API key (`AWS_BEARER_TOKEN_BEDROCK`), sent as `Authorization: Bearer`.
    Bearer(String),
}

impl std::fmt::Debug for BedrockAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BedrockAuth::SigV4(c) => f.debug_tuple("SigV4").field(c).finish(),
            BedrockAuth::Bearer(_) => f.write_str("Bearer(..)"),
        }
    }
}

/// Everything needed to call the Bedrock runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BedrockSettings {
    /// The provider's id, as routes name it (`bedrock` from the environment).
    pub id: Arc<str>,
    /// The AWS region: the signing scope and the default endpoint's region.
    pub region: String,
    /// The runtime base, e.g. `https://bedrock-runtime.us-east-1.amazonaws.com`, without a
    /// trailing slash; `/model/{modelId}/converse` is appended.
    pub api_base: String,
    /// How calls are authenticated.
    pub auth: BedrockAuth,
    /// Timeouts for this upstream; the client's defaults when `None`.
    pub timeouts: Option<Timeouts>,
    /// Where the settings came from, for `bitrouter route` and `providers list`.
    pub source: String,
}

impl BedrockSettings {
    /// Settings for `region` with the default endpoint.
    pub fn new(id: &str, region: &str, auth: BedrockAuth) -> Self {
        Self {
            id: Arc::from(id),
            region: region.to_owned(),
            api_base: default_base(region),
            auth,
            timeouts: None,
            source: "explicit settings".to_owned(),
        }
    }
}

/// The public Bedrock runtime endpoint of a region.
pub fn default_base(region: &str) -> String {
    format!("https://bedrock-runtime.{region}.amazonaws.com")
}

/// Bedrock settings when the environment holds credentials: `AWS_BEARER_TOKEN_BEDROCK`, or
/// `AWS_ACCESS_KEY_ID` with `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN` for temporary
/// credentials); the region comes from `AWS_REGION` or `AWS_DEFAULT_REGION`. The bearer token
/// wins when both are set, as in the AWS SDKs. Without a region nothing is switched on, since
/// neither the endpoint nor the signature can be chosen. Empty values count as unset.
pub fn bedrock_settings(env: &dyn Fn(&str) -> Option<String>) -> Option<BedrockSettings> {
    let get = |name: &str| {
        env(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let (region, region_var) = match get("AWS_REGION") {
        Some(r) => (r, "AWS_REGION"),
        None => (get("AWS_DEFAULT_REGION")?, "AWS_DEFAULT_REGION"),
    };
    let (auth, auth_source) = if let Some(token) = get("AWS_BEARER_TOKEN_BEDROCK") {
        (BedrockAuth::Bearer(token), "AWS_BEARER_TOKEN_BEDROCK")
    } else {
        let credentials = AwsCredentials {
            access_key_id: get("AWS_ACCESS_KEY_ID")?,
            secret_access_key: get("AWS_SECRET_ACCESS_KEY")?,
            session_token: get("AWS_SESSION_TOKEN"),
        };
        let source = if credentials.session_token.is_some() {
            "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN"
        } else {
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        };
        (BedrockAuth::SigV4(credentials), source)
    };
    let mut settings = BedrockSettings::new("bedrock", &region, auth);
    settings.source = format!("credentials from {auth_source}, region from {region_var}");
    if let Some(base) = get(BEDROCK_BASE_VAR) {
        settings.api_base = base.trim_end_matches('/').to_owned();
        settings
            .source
            .push_str(&format!(", base from {BEDROCK_BASE_VAR}"));
    }
    Some(settings)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn keys_and_region_switch_bedrock_on() {
        let s = bedrock_settings(&env(&[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "tok"),
            ("AWS_DEFAULT_REGION", "eu-west-3"),
        ]))
        .unwrap();
        assert_eq!(
            s.api_base,
            "https://bedrock-runtime.eu-west-3.amazonaws.com"
        );
        assert_eq!(s.region, "eu-west-3");
        assert!(
            matches!(&s.auth, BedrockAuth::SigV4(c) if c.session_token.as_deref() == Some("tok"))
        );
        assert!(!format!("{s:?}").contains("secret"));
    }

    #[test]
    fn bearer_wins_and_base_overrides() {
        let s = bedrock_settings(&env(&[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-1"),
            ("AWS_REGION", "us-west-2"),
            (BEDROCK_BASE_VAR, "http://127.0.0.1:9/"),
        ]))
        .unwrap();
        assert_eq!(s.auth, BedrockAuth::Bearer("bedrock-api-key-1".into()));
        assert_eq!(s.api_base, "http://127.0.0.1:9");
        assert!(!format!("{s:?}").contains("bedrock-api-key-1"));
    }

    #[test]
    fn nothing_without_region_or_secret() {
        assert!(bedrock_settings(&env(&[("AWS_BEARER_TOKEN_BEDROCK", "k")])).is_none());
        assert!(
            bedrock_settings(&env(&[
                ("AWS_ACCESS_KEY_ID", "A"),
                ("AWS_REGION", "us-east-1")
            ]))
            .is_none()
        );
    }
}
