//! The loopback redirect listener (RFC 8252 §7.3): a one-shot HTTP server on 127.0.0.1 that
//! waits for the browser to come back with `?code=…&state=…`.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use crate::error::SigninError;
use crate::form;
use crate::pkce::check_state;

/// A bound listener for one redirect path.
#[derive(Debug)]
pub struct Loopback {
    listener: TcpListener,
    path: String,
}

impl Loopback {
    /// Binds `127.0.0.1:port` (0 for any free port) and waits for requests to `path`.
    pub async fn bind(port: u16, path: &str) -> Result<Self, SigninError> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
            SigninError::Callback(format!(
                "cannot listen on 127.0.0.1:{port} for the redirect ({e}); use --no-listen to paste the redirected URL instead"
            ))
        })?;
        Ok(Self {
            listener,
            path: path.to_owned(),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> Result<SocketAddr, SigninError> {
        self.listener.local_addr().map_err(|e| {
            SigninError::Callback(format!("the redirect listener has no address: {e}"))
        })
    }

    /// Serves requests until one to the redirect path carries a code with the right state
    /// (returned) or an OAuth error (returned as an error). Other paths get a 404, a wrong
    /// state a 400, and the wait goes on.
    pub async fn code(&self, expected_state: &str) -> Result<String, SigninError> {
        loop {
            let (mut stream, _) =
                self.listener.accept().await.map_err(|e| {
                    SigninError::Callback(format!("the redirect listener failed: {e}"))
                })?;
            let Some(target) = request_target(&mut stream).await else {
                continue;
            };
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            if path != self.path {
                respond(&mut stream, "404 Not Found", "Not the sign-in callback.").await;
                continue;
            }
            let pairs = form::parse(query);
            if let Some(error) = form::get(&pairs, "error") {
                respond(
                    &mut stream,
                    "400 Bad Request",
                    "Sign-in failed; see the terminal.",
                )
                .await;
                return Err(SigninError::Callback(format!(
                    "the authorization server redirected with error `{error}`{}",
                    form::get(&pairs, "error_description")
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                )));
            }
            let Some(code) = form::get(&pairs, "code") else {
                respond(&mut stream, "400 Bad Request", "No code in the callback.").await;
                continue;
            };
            if check_state(form::get(&pairs, "state"), expected_state).is_err()
                || form::get(&pairs, "state").is_none()
            {
                respond(
                    &mut stream,
                    "400 Bad Request",
                    "The state does not match this login.",
                )
                .await;
                continue;
            }
            respond(
                &mut stream,
                "200 OK",
                "Signed in to BitRouter. You can close this tab.",
            )
            .await;
            return Ok(code.to_owned());
        }
    }
}

/// The request target of an HTTP/1 request head (`GET /cb?code=… HTTP/1.1`).
async fn request_target(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = head.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split_whitespace();
    let _method = parts.next()?;
    parts.next().map(str::to_owned)
}

async fn respond(stream: &mut TcpStream, status: &str, text: &str) {
    let body = format!("<!doctype html><title>BitRouter</title><p>{text}</p>\n");
    let answer = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(answer.as_bytes()).await;
    let _ = stream.shutdown().await;
}
