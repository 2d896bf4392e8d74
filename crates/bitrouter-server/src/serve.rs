//! Accepting connections and shutting down gracefully.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpSocket};

use crate::gateway::{Gateway, StartError};
use crate::live::LiveGateway;
use crate::stack::{HttpService, http_service};

/// A gateway bound to its address, not yet serving.
#[derive(Debug)]
pub struct BoundServer {
    listener: TcpListener,
    service: HttpService,
    drain: Duration,
    header_read_timeout: Duration,
    addr: SocketAddr,
    live: Arc<LiveGateway>,
}

impl Gateway {
    /// Binds the listen address.
    pub async fn bind(self) -> Result<BoundServer, StartError> {
        let addr = self.config.listen;
        let listener = listen(addr).map_err(|source| StartError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        let _ = self.info.listen.set(addr);
        let drain = self.config.drain_timeout;
        let header_read_timeout = self.config.header_read_timeout;
        let live = Arc::new(LiveGateway::new(self));
        Ok(BoundServer {
            listener,
            service: http_service(live.clone()),
            live,
            drain,
            header_read_timeout,
            addr,
        })
    }
}

impl BoundServer {
    /// The gateway in force, to replace it on reload.
    pub fn live(&self) -> Arc<LiveGateway> {
        self.live.clone()
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` resolves, then stops accepting and waits (up to the drain
    /// timeout) for in-flight requests, streams included, to finish.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let BoundServer {
            listener,
            service,
            drain,
            header_read_timeout,
            addr,
            ..
        } = self;
        let graceful = GracefulShutdown::new();
        let mut builder = auto::Builder::new(TokioExecutor::new());
        // hyper enforces the header timeout only with a timer; without one a client sending
        // a byte every few seconds (slowloris) would hold its connection forever.
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout);
        tokio::pin!(shutdown);
        tracing::info!(%addr, "BitRouter listening");
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, _peer) = match accepted {
                        Ok(pair) => pair,
                        Err(e) => {
                            // Out of file descriptors and the like: wait instead of spinning.
                            tracing::warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    // Without NODELAY small responses wait for the client's delayed ACK.
                    let _ = stream.set_nodelay(true);
                    let conn = builder
                        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service.clone()))
                        .into_owned();
                    let conn = graceful.watch(conn);
                    tokio::spawn(async move {
                        if let Err(e) = conn.await {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                    });
                }
                () = &mut shutdown => break,
            }
        }
        drop(listener);
        tracing::info!("shutting down: waiting for in-flight requests");
        tokio::select! {
            () = graceful.shutdown() => tracing::info!("all connections closed"),
            () = tokio::time::sleep(drain) => tracing::warn!(?drain, "drain timeout: closing remaining connections"),
        }
    }
}

/// How many connections the kernel queues before they are accepted. tokio's default (1024)
/// overflows when thousands of clients connect at once, and the kernel then resets
/// connections the client believes are open; the kernel caps it at `net.core.somaxconn`.
const BACKLOG: u32 = 8192;

/// Binds `addr` with a listen queue of [`BACKLOG`] (and `SO_REUSEADDR` on Unix, as
/// `TcpListener::bind` sets it, so a restart does not wait for old connections' TIME_WAIT).
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
