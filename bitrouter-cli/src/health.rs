//! A minimal HTTP/1.1 GET for asking a running daemon about itself (loopback only).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// `GET /health` on `addr`; the parsed JSON body when it answers 200.
pub fn get(addr: SocketAddr, timeout: Duration) -> Option<serde_json::Value> {
    get_path(addr, "/health", timeout).filter(|v| v.get("status").is_some())
}

/// `GET path` on `addr`; the parsed JSON body when it answers 200 or 404 with JSON.
pub fn get_path(addr: SocketAddr, path: &str, timeout: Duration) -> Option<serde_json::Value> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout).ok()?;
    stream.set_read_timeout(Some(timeout)).ok()?;
    stream.set_write_timeout(Some(timeout)).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n")?;
    if !(head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.1 404")) {
        return None;
    }
    serde_json::from_str(body.trim()).ok()
}
