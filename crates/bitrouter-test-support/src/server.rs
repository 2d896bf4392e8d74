//! The fake upstream server: a real HTTP/1.1 and h2c server on a loopback port.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use http::{Request, Response};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::answer::ResponseBody;
use crate::protocol::{FakeProtocol, ProtocolFake};
use crate::recording::RecordedRequest;
use crate::script::{Script, ScriptQueue};

/// The key the fake expects unless told otherwise.
pub const DEFAULT_API_KEY: &str = "sk-test";

/// A fake upstream LLM provider serving one protocol on `127.0.0.1`.
///
/// Dropping it (or calling [`shutdown`](Self::shutdown)) stops the server and closes every
/// open connection.
#[derive(Debug)]
pub struct FakeUpstream {
    addr: SocketAddr,
    protocol: FakeProtocol,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

/// Settings for [`FakeUpstream::builder`].
#[derive(Debug, Clone)]
pub struct FakeUpstreamBuilder {
    listen: SocketAddr,
    protocol: FakeProtocol,
    api_key: String,
    token_delay: Duration,
    record: bool,
}

/// State shared by the handle and every connection.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) protocol: &'static dyn ProtocolFake,
    pub(crate) api_key: Mutex<Arc<str>>,
    /// Further keys accepted besides `api_key` (several accounts of one provider).
    pub(crate) more_api_keys: Mutex<Vec<Arc<str>>>,
    pub(crate) scripts: Mutex<ScriptQueue>,
    pub(crate) requests: Mutex<Vec<RecordedRequest>>,
    pub(crate) record: bool,
    pub(crate) token_delay: Duration,
    pub(crate) seq: AtomicU64,
    /// Flips to `true` when the server stops, releasing hung requests.
    pub(crate) stopped: watch::Sender<bool>,
}

impl std::fmt::Debug for dyn ProtocolFake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProtocolFake")
    }
}

/// Lock a mutex; a panic in another test thread does not make the data unusable here.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Default for FakeUpstreamBuilder {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            protocol: FakeProtocol::default(),
            api_key: DEFAULT_API_KEY.to_owned(),
            token_delay: Duration::ZERO,
            record: true,
        }
    }
}

impl FakeUpstreamBuilder {
    /// The address to bind; default `127.0.0.1:0` (an ephemeral port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// The wire protocol to speak; default [`FakeProtocol::OpenAiChat`].
    pub fn protocol(mut self, protocol: FakeProtocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// The API key requests must carry; default [`DEFAULT_API_KEY`].
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = key.into();
        self
    }

    /// A pause per generated piece: between stream events, and `pieces × delay` before a
    /// non-streamed answer. Default zero.
    pub fn token_delay(mut self, delay: Duration) -> Self {
        self.token_delay = delay;
        self
    }

    /// Whether to keep every request for [`FakeUpstream::requests`]; default `true`. Turn it
    /// off for load tests so memory does not grow with the request count.
    pub fn record_requests(mut self, record: bool) -> Self {
        self.record = record;
        self
    }

    /// Bind the listener and start serving.
    ///
    /// # Errors
    /// When the address cannot be bound (in use, not local, no permission).
    pub async fn start(self) -> std::io::Result<FakeUpstream> {
        let listener = TcpListener::bind(self.listen).await?;
        let addr = listener.local_addr()?;
        let (stopped, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            protocol: self.protocol.fake(),
            api_key: Mutex::new(Arc::from(self.api_key)),
            more_api_keys: Mutex::new(Vec::new()),
            scripts: Mutex::new(ScriptQueue::new()),
            requests: Mutex::new(Vec::new()),
            record: self.record,
            token_delay: self.token_delay,
            seq: AtomicU64::new(1),
            stopped,
        });
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        Ok(FakeUpstream {
            addr,
            protocol: self.protocol,
            shared,
            task,
        })
    }
}

impl FakeUpstream {
    /// Start an OpenAI Chat Completions fake on `127.0.0.1:0` expecting key `sk-test`.
    ///
    /// # Errors
    /// When no loopback port can be bound.
    pub async fn start() -> std::io::Result<Self> {
        Self::builder().start().await
    }

    /// Settings for a fake before it starts.
    pub fn builder() -> FakeUpstreamBuilder {
        FakeUpstreamBuilder::default()
    }

    /// Accept `key` as well as the main key, as an upstream does for several accounts.
    pub fn also_accept_key(&self, key: impl Into<String>) {
        lock(&self.shared.more_api_keys).push(Arc::from(key.into()));
    }

    /// Change the API key requests must carry, effective for the next request.
    pub fn with_api_key(self, key: impl Into<String>) -> Self {
        *lock(&self.shared.api_key) = Arc::from(key.into());
        self
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL clients use, e.g. `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, self.protocol.base_path())
    }

    /// Queue a script for the next valid generation request (first in, first out).
    pub fn push(&self, script: Script) {
        lock(&self.shared.scripts).push(script);
    }

    /// The script used when the queue is empty (initially [`Script::Echo`]).
    pub fn set_default(&self, script: Script) {
        lock(&self.shared.scripts).set_default(script);
    }

    /// How many queued scripts have not been used yet.
    pub fn pending_scripts(&self) -> usize {
        lock(&self.shared.scripts).pending()
    }

    /// Every request received so far, oldest first (empty when recording is off).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// The latest request received.
    pub fn last_request(&self) -> Option<RecordedRequest> {
        lock(&self.shared.requests).last().cloned()
    }

    /// How many requests were received (counted even when recording is off).
    pub fn request_count(&self) -> usize {
        let next = self.shared.seq.load(Ordering::Relaxed);
        usize::try_from(next.saturating_sub(1)).unwrap_or(usize::MAX)
    }

    /// Stop the server and wait until the accept loop has ended.
    pub async fn shutdown(mut self) {
        self.shared.stopped.send_replace(true);
        self.task.abort();
        // The accept loop never ends by itself; once aborted it reports cancellation.
        let _cancelled = (&mut self.task).await;
    }
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        self.shared.stopped.send_replace(true);
        self.task.abort();
    }
}

/// Accept connections until aborted; aborting drops the join set, which aborts every
/// connection task with it.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve_connection(stream, Arc::clone(&shared)));
                }
                // Out of file descriptors or a reset before accept: back off briefly.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
            Some(_finished) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    // Small answers must not wait for the client's delayed ACK.
    if stream.set_nodelay(true).is_err() {
        return;
    }
    let service = service_fn(move |request: Request<Incoming>| {
        let shared = Arc::clone(&shared);
        async move { Ok::<_, Infallible>(crate::handler::handle(shared, request).await) }
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    // A client that goes away mid-request ends the connection with an error; nothing to do.
    let _closed = builder
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Read a request body to the end; a body that fails mid-way is treated as empty.
pub(crate) async fn read_body(body: Incoming) -> bytes::Bytes {
    match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => bytes::Bytes::new(),
    }
}

/// The type every handler returns.
pub(crate) type HandlerResponse = Response<ResponseBody>;
