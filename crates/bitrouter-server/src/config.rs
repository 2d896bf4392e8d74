//! The server's settings.

use std::net::SocketAddr;
use std::time::Duration;

use bitrouter_providers::Timeouts;
use bitrouter_router::BreakerSettings;

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4356";

/// How the proxy listens and what it accepts.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The largest request body accepted (413 beyond).
    pub body_limit: usize,
    /// Upstream timeouts.
    pub timeouts: Timeouts,
    /// How long a graceful shutdown waits for in-flight requests.
    pub drain_timeout: Duration,
    /// How long an HTTP/1 client may take to send a request's headers before its connection
    /// is closed (a client trickling bytes must not hold a connection forever).
    pub header_read_timeout: Duration,
    /// When a provider's circuit opens, and for how long.
    pub breaker: BreakerSettings,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 4356)),
            body_limit: 16 * 1024 * 1024,
            timeouts: Timeouts::default(),
            drain_timeout: Duration::from_secs(600),
            header_read_timeout: Duration::from_secs(30),
            breaker: BreakerSettings::default(),
        }
    }
}
