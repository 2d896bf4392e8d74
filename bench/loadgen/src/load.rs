//! Load runs: a fixed number of connections in a closed loop, or a fixed request rate
//! (open loop), recording headers / first byte / last byte times and the target's RSS.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc};

use crate::client::{Connection, Target, Timing};

/// What one run does.
#[derive(Debug, Clone)]
pub struct Plan {
    pub concurrency: usize,
    /// Measured time; ignored when `requests` is set.
    pub duration: Duration,
    /// Not measured: run before `duration` on the same connections.
    pub warmup: Duration,
    /// Stop after this many requests in total (no warm-up), e.g. one stream per connection.
    pub requests: Option<u64>,
    /// Requests per second (open loop); `None` for a closed loop.
    pub rate: Option<f64>,
    /// A process whose resident memory is sampled during the run.
    pub pid: Option<u32>,
}

#[derive(Debug, Default)]
struct Worker {
    timings: Vec<Timing>,
    errors: u64,
    first_error: Option<String>,
}

#[derive(Debug)]
struct Shared {
    target: Target,
    measure_from: Instant,
    deadline: Instant,
    remaining: Option<AtomicU64>,
    open: AtomicI64,
    max_open: AtomicI64,
    done: AtomicBool,
    /// Fixed-rate runs: the instants requests were due, handed to free workers.
    schedule: Option<Mutex<mpsc::UnboundedReceiver<Instant>>>,
}

impl Shared {
    fn take_one(&self) -> bool {
        match &self.remaining {
            Some(remaining) => remaining
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                    left.checked_sub(1)
                })
                .is_ok(),
            None => Instant::now() < self.deadline,
        }
    }
}

pub async fn run(target: Target, plan: Plan) -> Value {
    let begin = Instant::now();
    let warmup = if plan.requests.is_some() {
        Duration::ZERO
    } else {
        plan.warmup
    };
    let measure_from = begin + warmup;
    let (schedule_tx, schedule_rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        target,
        measure_from,
        deadline: measure_from + plan.duration,
        remaining: plan.requests.map(AtomicU64::new),
        open: AtomicI64::new(0),
        max_open: AtomicI64::new(0),
        done: AtomicBool::new(false),
        schedule: plan.rate.map(|_| Mutex::new(schedule_rx)),
    });
    let rss = plan
        .pid
        .map(|pid| tokio::spawn(sample_rss(pid, Arc::clone(&shared))));
    let dispatcher = plan
        .rate
        .map(|rate| tokio::spawn(dispatch(rate, begin, shared.deadline, schedule_tx)));
    let workers: Vec<_> = (0..plan.concurrency)
        .map(|_| tokio::spawn(work(Arc::clone(&shared))))
        .collect();
    let mut all = Worker::default();
    for worker in workers {
        if let Ok(worker) = worker.await {
            all.timings.extend(worker.timings);
            all.errors += worker.errors;
            if all.first_error.is_none() {
                all.first_error = worker.first_error;
            }
        }
    }
    let elapsed = measure_from.elapsed();
    shared.done.store(true, Ordering::Relaxed);
    if let Some(dispatcher) = dispatcher {
        dispatcher.abort();
    }
    let peak_rss_kb = match rss {
        Some(task) => task.await.ok(),
        None => None,
    };
    report(
        &all,
        elapsed,
        &plan,
        shared.max_open.load(Ordering::Relaxed),
        peak_rss_kb,
    )
}

async fn work(shared: Arc<Shared>) -> Worker {
    let mut worker = Worker::default();
    let mut connection: Option<Connection> = None;
    loop {
        let started = match &shared.schedule {
            Some(schedule) => match schedule.lock().await.recv().await {
                Some(due) => due,
                None => break,
            },
            None if shared.take_one() => Instant::now(),
            None => break,
        };
        if connection.is_none() {
            match Connection::open(&shared.target).await {
                Ok(opened) => connection = Some(opened),
                Err(error) => {
                    worker.record_error(error);
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    continue;
                }
            }
        }
        let Some(open) = connection.as_mut() else {
            continue;
        };
        let counted = shared.open.fetch_add(1, Ordering::Relaxed) + 1;
        shared.max_open.fetch_max(counted, Ordering::Relaxed);
        let result = open.exchange(&shared.target, started).await;
        shared.open.fetch_sub(1, Ordering::Relaxed);
        match result {
            Ok(timing) if started >= shared.measure_from => worker.timings.push(timing),
            Ok(_warmup) => {}
            Err(error) => {
                worker.record_error(error);
                connection = None;
            }
        }
    }
    worker
}

impl Worker {
    fn record_error(&mut self, error: String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(error);
        }
    }
}

/// Hand out due instants on a 1 ms tick: requests due within a tick go out together and
/// their latency counts from the tick, so queueing in the client is counted (no coordinated
/// omission) while timer granularity is not.
async fn dispatch(
    rate: f64,
    begin: Instant,
    deadline: Instant,
    schedule: mpsc::UnboundedSender<Instant>,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sent: u64 = 0;
    loop {
        tick.tick().await;
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        let due = (now.duration_since(begin).as_secs_f64() * rate) as u64;
        while sent < due {
            if schedule.send(now).is_err() {
                return;
            }
            sent += 1;
        }
    }
}

async fn sample_rss(pid: u32, shared: Arc<Shared>) -> u64 {
    let mut peak = 0;
    while !shared.done.load(Ordering::Relaxed) {
        if let Some(kb) = vm_rss_kb(pid) {
            peak = peak.max(kb);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    peak
}

/// `VmRSS` of a process in KiB, from `/proc/<pid>/status`.
pub fn vm_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn report(
    all: &Worker,
    elapsed: Duration,
    plan: &Plan,
    max_open: i64,
    peak_rss_kb: Option<u64>,
) -> Value {
    let count = all.timings.len();
    let seconds = elapsed.as_secs_f64().max(f64::EPSILON);
    json!({
        "requests": count,
        "errors": all.errors,
        "first_error": all.first_error,
        "seconds": seconds,
        "rps": count as f64 / seconds,
        "concurrency": plan.concurrency,
        "rate": plan.rate,
        "max_open": max_open,
        "peak_rss_kb": peak_rss_kb,
        "headers_us": percentiles(all.timings.iter().map(|t| t.headers)),
        "ttfb_us": percentiles(all.timings.iter().map(|t| t.first_byte)),
        "latency_us": percentiles(all.timings.iter().map(|t| t.last_byte)),
    })
}

fn percentiles(durations: impl Iterator<Item = Duration>) -> Value {
    let mut micros: Vec<f64> = durations.map(|d| d.as_secs_f64() * 1e6).collect();
    if micros.is_empty() {
        return Value::Null;
    }
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| {
        let index = ((micros.len() as f64 - 1.0) * q).round() as usize;
        micros.get(index).copied().unwrap_or(f64::NAN)
    };
    json!({ "p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": at(1.0) })
}
