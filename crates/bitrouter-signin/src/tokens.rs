//! Token endpoint answers into [`Credential`]s, refreshing them, and Copilot's token exchange.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::auth_client::{AuthClient, JsonAnswer};
use crate::definition::SigninDef;
use crate::error::SigninError;
use crate::store::Credential;

/// The OAuth `error` of an answer, if it is one (GitHub answers errors with status 200).
pub(crate) fn oauth_error(answer: &JsonAnswer) -> Option<(String, Option<String>)> {
    let code = answer.body.get("error")?.as_str()?.to_owned();
    let description = answer
        .body
        .get("error_description")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some((code, description))
}

/// A successful token answer as a credential, at time `now`.
pub(crate) fn credential_from(
    def: &SigninDef,
    answer: &JsonAnswer,
    now: u64,
) -> Result<Credential, SigninError> {
    if let Some((code, description)) = oauth_error(answer) {
        return Err(SigninError::OAuth {
            provider: def.id.to_owned(),
            code,
            description,
        });
    }
    let body = &answer.body;
    let access_token = body
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            SigninError::Http(format!(
                "{} token endpoint answered {} without an access_token; check {}",
                def.id, answer.status, def.token_url
            ))
        })?;
    let claims = body
        .get("id_token")
        .and_then(Value::as_str)
        .and_then(jwt_claims);
    let account = claims
        .as_ref()
        .and_then(|c| c.get("email"))
        .or_else(|| body.pointer("/account/email_address"))
        .or_else(|| body.pointer("/user/email"))
        .or_else(|| body.pointer("/user/login"))
        .or_else(|| body.get("email"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let account_id = claims
        .as_ref()
        .and_then(|c| c.pointer("/https:~1~1api.openai.com~1auth/chatgpt_account_id"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(Credential {
        access_token: access_token.to_owned(),
        refresh_token: body
            .get("refresh_token")
            .and_then(Value::as_str)
            .map(str::to_owned),
        expires_at: body
            .get("expires_in")
            .and_then(Value::as_u64)
            .map(|s| now.saturating_add(s)),
        account,
        account_id,
        api_base: None,
        signed_in_at: now,
    })
}

/// The claims of a JWT, unverified: only for showing who signed in and picking the account id
/// the upstream expects; the upstream verifies the token itself.
fn jwt_claims(jwt: &str) -> Option<Value> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A new access token for `current`: the refresh_token grant, or for Copilot a new exchange
/// of the GitHub token. A rejected refresh is [`SigninError::NeedsLogin`].
pub async fn refresh(
    def: &SigninDef,
    client: &AuthClient,
    current: &Credential,
    now: u64,
) -> Result<Credential, SigninError> {
    let needs_login = || SigninError::NeedsLogin {
        provider: def.id.to_owned(),
    };
    let refresh_token = current.refresh_token.as_deref().ok_or_else(needs_login)?;
    if def.exchange_url.is_some() {
        let mut fresh = copilot_exchange(def, client, refresh_token, now).await?;
        fresh.account = current.account.clone();
        fresh.signed_in_at = current.signed_in_at;
        return Ok(fresh);
    }
    let answer = client
        .post(
            &def.token_url,
            def.token_format,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", &def.client_id),
            ],
            &[],
        )
        .await?;
    if answer.status.is_client_error() || oauth_error(&answer).is_some() {
        tracing::warn!(provider = def.id, status = %answer.status, "refresh token rejected");
        return Err(needs_login());
    }
    let mut fresh = credential_from(def, &answer, now)?;
    // Servers that do not rotate refresh tokens leave them out.
    if fresh.refresh_token.is_none() {
        fresh.refresh_token = current.refresh_token.clone();
    }
    fresh.account = fresh.account.or_else(|| current.account.clone());
    fresh.account_id = fresh.account_id.or_else(|| current.account_id.clone());
    fresh.signed_in_at = current.signed_in_at;
    Ok(fresh)
}

/// Exchanges a GitHub OAuth token for a Copilot token (`copilot_internal/v2/token`): the
/// answer's `token`, `expires_at` and `endpoints.api`. The GitHub token is kept as the
/// refresh token.
pub(crate) async fn copilot_exchange(
    def: &SigninDef,
    client: &AuthClient,
    github_token: &str,
    now: u64,
) -> Result<Credential, SigninError> {
    let url = def
        .exchange_url
        .as_deref()
        .ok_or_else(|| SigninError::Config(format!("{} has no token exchange", def.id)))?;
    let auth = format!("token {github_token}");
    let mut headers: Vec<(&str, &str)> = def
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    headers.push(("authorization", &auth));
    let answer = client.get(url, &headers).await?;
    if answer.status == http::StatusCode::UNAUTHORIZED {
        return Err(SigninError::NeedsLogin {
            provider: def.id.to_owned(),
        });
    }
    let token = answer.body.get("token").and_then(Value::as_str);
    let Some(token) = token.filter(|_| answer.status.is_success()) else {
        let why = answer
            .body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("no token in the answer");
        return Err(SigninError::Http(format!(
            "the Copilot token exchange answered {} ({why}); does this GitHub account have a Copilot subscription?",
            answer.status
        )));
    };
    Ok(Credential {
        access_token: token.to_owned(),
        refresh_token: Some(github_token.to_owned()),
        expires_at: answer.body.get("expires_at").and_then(Value::as_u64),
        account: None,
        account_id: None,
        api_base: answer
            .body
            .pointer("/endpoints/api")
            .and_then(Value::as_str)
            .map(|s| s.trim_end_matches('/').to_owned()),
        signed_in_at: now,
    })
}

/// GitHub's login name for a GitHub token, when `def.user_url` is set; `None` if it cannot
/// be found (it is only shown to people).
pub(crate) async fn github_login(
    def: &SigninDef,
    client: &AuthClient,
    github_token: &str,
) -> Option<String> {
    let url = def.user_url.as_deref()?;
    let auth = format!("token {github_token}");
    let answer = client.get(url, &[("authorization", &auth)]).await.ok()?;
    answer
        .body
        .get("login")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_token_claims_give_account_and_id() {
        let claims = serde_json::json!({
            "email": "dev@example.com",
            "https://api.openai.com/auth": {"chatgpt_account_id": "acc-1"}
        });
        let jwt = format!(
            "h.{}.s",
            URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes())
        );
        let answer = JsonAnswer {
            status: http::StatusCode::OK,
            body: serde_json::json!({
                "access_token": "at", "refresh_token": "rt", "expires_in": 3600, "id_token": jwt
            }),
        };
        let c = credential_from(&SigninDef::codex(), &answer, 1000).unwrap();
        assert_eq!(c.access_token, "at");
        assert_eq!(c.refresh_token.as_deref(), Some("rt"));
        assert_eq!(c.expires_at, Some(4600));
        assert_eq!(c.account.as_deref(), Some("dev@example.com"));
        assert_eq!(c.account_id.as_deref(), Some("acc-1"));
    }
}
