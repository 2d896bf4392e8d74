//! The ledger writer: records are queued without blocking the request path and written in
//! batches by one task, which keeps them through database outages (bounded) and drains them on
//! shutdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use super::record::{LedgerRecord, QueuedRecord};
use crate::keys::random_hex;
use crate::{Storage, StorageError};

/// How the writer batches and how much it holds.
#[derive(Debug, Clone)]
pub struct LedgerOptions {
    /// Records per transaction.
    pub batch_size: usize,
    /// A partial batch is written after this long.
    pub flush_interval: Duration,
    /// Records queued while the writer is busy or the database is down; beyond this, records are
    /// dropped and counted in [`LedgerHandle::dropped`].
    pub buffer_capacity: usize,
    /// First wait after a failed write; doubles up to `retry_max`.
    pub retry_initial: Duration,
    /// Longest wait between retries.
    pub retry_max: Duration,
    /// On shutdown, how long to keep retrying before giving up on what is left.
    pub shutdown_grace: Duration,
}

impl Default for LedgerOptions {
    fn default() -> Self {
        LedgerOptions {
            batch_size: 256,
            flush_interval: Duration::from_millis(500),
            buffer_capacity: 50_000,
            retry_initial: Duration::from_millis(100),
            retry_max: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

enum Command {
    Record(Box<QueuedRecord>),
    Flush(oneshot::Sender<()>),
    Shutdown(oneshot::Sender<()>),
}

#[derive(Debug)]
struct Counters {
    row_prefix: String,
    sequence: AtomicU64,
    dropped: AtomicU64,
    written: AtomicU64,
    failed_writes: AtomicU64,
    unwritten: AtomicU64,
}

/// The cheap, cloneable side the gateway holds.
#[derive(Debug, Clone)]
pub struct LedgerHandle {
    tx: mpsc::Sender<Command>,
    counters: Arc<Counters>,
}

/// Starts the writer task.
#[derive(Debug)]
pub struct LedgerWriter;

impl LedgerWriter {
    /// Spawns the writer on the current tokio runtime.
    pub fn spawn(
        storage: Storage,
        options: LedgerOptions,
    ) -> Result<(LedgerHandle, JoinHandle<()>), StorageError> {
        let (tx, rx) = mpsc::channel(options.buffer_capacity.max(1));
        let counters = Arc::new(Counters {
            row_prefix: random_hex(8)?,
            sequence: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            written: AtomicU64::new(0),
            failed_writes: AtomicU64::new(0),
            unwritten: AtomicU64::new(0),
        });
        let task = Task {
            storage,
            batch: Vec::with_capacity(options.batch_size.max(1)),
            options,
            counters: counters.clone(),
        };
        let join = tokio::spawn(task.run(rx));
        Ok((LedgerHandle { tx, counters }, join))
    }
}

impl LedgerHandle {
    /// Queues a record without waiting. Returns `false` when the buffer is full or the writer
    /// has stopped; the record is then dropped and counted.
    pub fn record(&self, record: LedgerRecord) -> bool {
        let sequence = self.counters.sequence.fetch_add(1, Ordering::Relaxed);
        let row_id = format!("{}{sequence:016x}", self.counters.row_prefix);
        let queued = Box::new(QueuedRecord { row_id, record });
        // Counted before sending so that the writer never subtracts a record not yet added.
        self.counters.unwritten.fetch_add(1, Ordering::Relaxed);
        match self.tx.try_send(Command::Record(queued)) {
            Ok(()) => true,
            Err(_) => {
                self.counters.unwritten.fetch_sub(1, Ordering::Relaxed);
                let dropped = self.counters.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if dropped.is_power_of_two() {
                    tracing::warn!(
                        dropped,
                        "ledger buffer full or writer stopped: ledger records dropped"
                    );
                }
                false
            }
        }
    }

    /// Records dropped so far (buffer full, writer stopped, or still unwritable at shutdown).
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }

    /// Records written so far.
    pub fn written(&self) -> u64 {
        self.counters.written.load(Ordering::Relaxed)
    }

    /// Failed write attempts so far (each is retried).
    pub fn failed_writes(&self) -> u64 {
        self.counters.failed_writes.load(Ordering::Relaxed)
    }

    /// Records accepted but not yet written (queued or in the writer's current batch).
    pub fn queue_depth(&self) -> u64 {
        self.counters.unwritten.load(Ordering::Relaxed)
    }

    /// Waits until every record queued before this call is written. While the database is down
    /// this waits for it to come back.
    pub async fn flush(&self) -> Result<(), StorageError> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Command::Flush(ack))
            .await
            .map_err(|_| StorageError::LedgerClosed)?;
        done.await.map_err(|_| StorageError::LedgerClosed)
    }

    /// Stops the writer after writing everything queued (retrying for at most
    /// [`LedgerOptions::shutdown_grace`]). Records recorded afterwards are dropped.
    pub async fn shutdown(&self) -> Result<(), StorageError> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Command::Shutdown(ack))
            .await
            .map_err(|_| StorageError::LedgerClosed)?;
        done.await.map_err(|_| StorageError::LedgerClosed)
    }
}

struct Task {
    storage: Storage,
    options: LedgerOptions,
    batch: Vec<QueuedRecord>,
    counters: Arc<Counters>,
}

impl Task {
    async fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        let period = self.options.flush_interval.max(Duration::from_millis(1));
        // `interval` would tick at once; the first partial batch waits a whole period.
        let mut ticker = tokio::time::interval_at(Instant::now() + period, period);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                command = rx.recv() => match command {
                    Some(Command::Record(queued)) => {
                        self.push(*queued);
                        if self.batch.len() >= self.options.batch_size {
                            self.write(None).await;
                        }
                    }
                    Some(Command::Flush(ack)) => {
                        self.write(None).await;
                        let _ = ack.send(());
                    }
                    Some(Command::Shutdown(ack)) => {
                        self.drain(&mut rx).await;
                        let _ = ack.send(());
                        return;
                    }
                    None => {
                        self.drain(&mut rx).await;
                        return;
                    }
                },
                _ = ticker.tick() => {
                    if !self.batch.is_empty() {
                        self.write(None).await;
                    }
                }
            }
        }
    }

    fn push(&mut self, queued: QueuedRecord) {
        self.batch.push(queued);
    }

    /// Writes everything still queued, giving up after the shutdown grace period.
    async fn drain(&mut self, rx: &mut mpsc::Receiver<Command>) {
        rx.close();
        let deadline = Instant::now() + self.options.shutdown_grace;
        while let Some(command) = rx.recv().await {
            match command {
                Command::Record(queued) => {
                    self.push(*queued);
                    if self.batch.len() >= self.options.batch_size {
                        self.write(Some(deadline)).await;
                    }
                }
                Command::Flush(ack) | Command::Shutdown(ack) => {
                    self.write(Some(deadline)).await;
                    let _ = ack.send(());
                }
            }
        }
        self.write(Some(deadline)).await;
    }

    /// Writes the batch, retrying with backoff until it succeeds or the deadline passes.
    async fn write(&mut self, deadline: Option<Instant>) {
        if self.batch.is_empty() {
            return;
        }
        let mut wait = self.options.retry_initial;
        loop {
            let count = u64::try_from(self.batch.len()).unwrap_or(u64::MAX);
            match self.storage.insert_ledger_batch(&self.batch).await {
                Ok(()) => {
                    self.counters.written.fetch_add(count, Ordering::Relaxed);
                    break;
                }
                Err(error) => {
                    let failures = self.counters.failed_writes.fetch_add(1, Ordering::Relaxed) + 1;
                    if deadline.is_some_and(|d| Instant::now() + wait > d) {
                        self.counters.dropped.fetch_add(count, Ordering::Relaxed);
                        tracing::error!(%error, lost = count, "ledger write failed at shutdown: records dropped");
                        break;
                    }
                    if failures.is_power_of_two() {
                        tracing::warn!(%error, retry_in = ?wait, "ledger write failed; keeping the batch and retrying");
                    }
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(self.options.retry_max);
                }
            }
        }
        let count = u64::try_from(self.batch.len()).unwrap_or(u64::MAX);
        self.counters.unwritten.fetch_sub(count, Ordering::Relaxed);
        self.batch.clear();
    }
}
