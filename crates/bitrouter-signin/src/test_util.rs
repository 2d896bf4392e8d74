//! [`LocalAuthServer`]: an OAuth authorization server on 127.0.0.1 for tests. It follows
//! RFC 8628 (device authorization: `authorization_pending`, `slow_down`, `expired_token`,
//! `access_denied`), RFC 6749 §4.1 with RFC 7636 (the token endpoint checks the verifier
//! against the stored S256 challenge), the refresh_token grant, and imitates GitHub's
//! Copilot token exchange and `/user`.
//!
//! Endpoints: `POST /device/code`, `POST /token`, `GET /copilot_internal/v2/token`, `GET /user`;
//! [`LocalAuthServer::approve`] plays the user approving an authorization URL.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test support")]

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::form;
use crate::pkce::s256;

/// How the device flow ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceOutcome {
    /// Tokens, after the pending polls (and the one `slow_down`).
    Grant,
    /// `expired_token` after the pending polls.
    Expired,
    /// `access_denied` after the pending polls.
    Denied,
}

/// What the server answers.
#[derive(Debug, Clone)]
pub struct AuthServerConfig {
    /// Polls answered `authorization_pending` first.
    pub pending_polls: u32,
    /// Answer `slow_down` once after the pending polls.
    pub slow_down_once: bool,
    /// How the device flow ends.
    pub outcome: DeviceOutcome,
    /// The device code's `interval`.
    pub interval: u64,
    /// The device code's `expires_in`.
    pub expires_in: u64,
    /// `expires_in` of issued access tokens (and Copilot tokens).
    pub token_ttl: u64,
    /// Copilot exchange: the `endpoints.api` to name.
    pub copilot_api: String,
    /// The account e-mail put in id tokens and token answers.
    pub email: String,
}

impl Default for AuthServerConfig {
    fn default() -> Self {
        Self {
            pending_polls: 2,
            slow_down_once: true,
            outcome: DeviceOutcome::Grant,
            interval: 5,
            expires_in: 900,
            token_ttl: 3600,
            copilot_api: "http://127.0.0.1:9".into(),
            email: "dev@example.com".into(),
        }
    }
}

#[derive(Debug, Default)]
struct State {
    config: AuthServerConfig,
    answers: Vec<String>,
    codes: HashMap<String, (String, String)>,
    refresh_tokens: Vec<String>,
    access_tokens: Vec<String>,
    polls: u32,
    issued: u32,
    exchanges: u32,
    grants: Vec<String>,
    token_content_types: Vec<String>,
}

/// The server; dropping it stops it.
#[derive(Debug)]
pub struct LocalAuthServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Drop for LocalAuthServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl LocalAuthServer {
    /// Starts a server with `config` on 127.0.0.1 and any free port.
    pub async fn start(config: AuthServerConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            config,
            ..State::default()
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(handle(&state, addr, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self { addr, state, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Changes what it answers from now on.
    pub fn configure(&self, f: impl FnOnce(&mut AuthServerConfig)) {
        f(&mut lock(&self.state).config);
    }

    /// Every OAuth error answered by the token endpoint to device polls, in order.
    pub fn device_answers(&self) -> Vec<String> {
        lock(&self.state).answers.clone()
    }

    /// The grant types the token endpoint served successfully, in order.
    pub fn grants(&self) -> Vec<String> {
        lock(&self.state).grants.clone()
    }

    /// The content type of every token endpoint request, in order.
    pub fn token_content_types(&self) -> Vec<String> {
        lock(&self.state).token_content_types.clone()
    }

    /// How many Copilot token exchanges succeeded.
    pub fn exchanges(&self) -> u32 {
        lock(&self.state).exchanges
    }

    /// Accepts `token` as a refresh token (as if issued earlier).
    pub fn accept_refresh_token(&self, token: &str) {
        lock(&self.state).refresh_tokens.push(token.to_owned());
    }

    /// Accepts `token` as a GitHub access token for the Copilot exchange.
    pub fn accept_access_token(&self, token: &str) {
        lock(&self.state).access_tokens.push(token.to_owned());
    }

    /// The user approves `authorize_url` in a browser: the server stores the challenge and
    /// returns where the browser is sent (`redirect_uri?code=…&state=…`).
    pub fn approve(&self, authorize_url: &str) -> String {
        let query = authorize_url
            .split_once('?')
            .map(|(_, q)| q)
            .unwrap_or_default();
        let q = form::parse(query);
        let q = |k: &str| form::get(&q, k).unwrap_or_default().to_owned();
        assert_eq!(q("code_challenge_method"), "S256", "{authorize_url}");
        assert_eq!(q("response_type"), "code", "{authorize_url}");
        let mut s = lock(&self.state);
        let code = format!("code-{}", s.codes.len() + 1);
        s.codes
            .insert(code.clone(), (q("code_challenge"), q("redirect_uri")));
        format!(
            "{}?code={}&state={}",
            q("redirect_uri"),
            form::encode(&code),
            form::encode(&q("state"))
        )
    }

    /// Forgets every refresh token (a revoked sign-in).
    pub fn revoke_refresh_tokens(&self) {
        lock(&self.state).refresh_tokens.clear();
    }
}

fn answer(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

fn oauth_error(code: &str) -> Response<Full<Bytes>> {
    answer(StatusCode::BAD_REQUEST, &json!({ "error": code }))
}

/// The pairs of a form or JSON object body.
fn params(content_type: &str, body: &[u8]) -> Vec<(String, String)> {
    if content_type.starts_with("application/json") {
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        v.as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        form::parse(&String::from_utf8_lossy(body))
    }
}

fn issue(state: &mut State, grant: &str) -> Value {
    state.issued += 1;
    let n = state.issued;
    let access = format!("at-{n}");
    let refresh = format!("rt-{n}");
    state.refresh_tokens.push(refresh.clone());
    state.access_tokens.push(access.clone());
    state.grants.push(grant.to_owned());
    let claims = json!({
        "email": state.config.email,
        "https://api.openai.com/auth": { "chatgpt_account_id": "acct-test" }
    });
    use base64::Engine as _;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
    json!({
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": state.config.token_ttl,
        "id_token": format!("eyJhbGciOiJub25lIn0.{payload}.sig"),
    })
}

async fn handle(
    state: &Mutex<State>,
    addr: SocketAddr,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let p = params(&content_type, &body);
    let get = |k: &str| form::get(&p, k).unwrap_or_default().to_owned();
    let mut s = lock(state);
    match path.as_str() {
        "/device/code" => {
            if get("client_id").is_empty() {
                return oauth_error("invalid_client");
            }
            answer(
                StatusCode::OK,
                &json!({
                    "device_code": "dev-code-1",
                    "user_code": "WDJB-MJHT",
                    "verification_uri": format!("http://{addr}/device"),
                    "expires_in": s.config.expires_in,
                    "interval": s.config.interval,
                }),
            )
        }
        "/token" => {
            s.token_content_types.push(content_type.clone());
            token(&mut s, &get)
        }
        "/copilot_internal/v2/token" => {
            let token = authorization.strip_prefix("token ").unwrap_or_default();
            if !s.access_tokens.iter().any(|t| t == token) {
                return answer(
                    StatusCode::UNAUTHORIZED,
                    &json!({ "message": "Bad credentials" }),
                );
            }
            s.exchanges += 1;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            answer(
                StatusCode::OK,
                &json!({
                    "token": format!("cop-{}", s.exchanges),
                    "expires_at": now + s.config.token_ttl,
                    "refresh_in": s.config.token_ttl / 2,
                    "endpoints": { "api": s.config.copilot_api },
                }),
            )
        }
        "/user" => answer(StatusCode::OK, &json!({ "login": "octocat" })),
        _ => answer(StatusCode::NOT_FOUND, &json!({ "error": "not_found" })),
    }
}

fn token(s: &mut State, get: &dyn Fn(&str) -> String) -> Response<Full<Bytes>> {
    match get("grant_type").as_str() {
        crate::device::DEVICE_GRANT => {
            if get("device_code") != "dev-code-1" {
                return oauth_error("invalid_grant");
            }
            s.polls += 1;
            let pending = s.config.pending_polls;
            let error = if s.polls <= pending {
                Some("authorization_pending")
            } else if s.config.slow_down_once && s.polls == pending + 1 {
                Some("slow_down")
            } else {
                match s.config.outcome {
                    DeviceOutcome::Grant => None,
                    DeviceOutcome::Expired => Some("expired_token"),
                    DeviceOutcome::Denied => Some("access_denied"),
                }
            };
            match error {
                Some(e) => {
                    s.answers.push(e.to_owned());
                    oauth_error(e)
                }
                None => {
                    let mut tokens = issue(s, "device_code");
                    tokens["user"] = json!({ "email": s.config.email });
                    answer(StatusCode::OK, &tokens)
                }
            }
        }
        "authorization_code" => {
            let Some((challenge, redirect)) = s.codes.remove(&get("code")) else {
                return oauth_error("invalid_grant");
            };
            if s256(&get("code_verifier")) != challenge || redirect != get("redirect_uri") {
                return oauth_error("invalid_grant");
            }
            let tokens = issue(s, "authorization_code");
            answer(StatusCode::OK, &tokens)
        }
        "refresh_token" => {
            let token = get("refresh_token");
            let Some(i) = s.refresh_tokens.iter().position(|t| *t == token) else {
                return oauth_error("invalid_grant");
            };
            s.refresh_tokens.remove(i);
            let tokens = issue(s, "refresh_token");
            answer(StatusCode::OK, &tokens)
        }
        _ => oauth_error("unsupported_grant_type"),
    }
}
