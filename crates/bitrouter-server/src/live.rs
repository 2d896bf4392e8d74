//! [`LiveGateway`]: the gateway in force, swappable while requests are in flight.
//!
//! Each request takes the current gateway (a read lock and an `Arc` clone) and keeps it for
//! its whole life, so a reload never drops or changes a request already under way; the next
//! request sees the new configuration. The process's identity (instance id, start time,
//! listen address) carries over, so loop detection and uptime are unaffected.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::gateway::{CallService, Gateway, GatewayInfo};

/// One gateway with its call segment built.
#[derive(Debug)]
pub struct Active {
    /// The gateway.
    pub gateway: Gateway,
    /// Its call segment.
    pub call: CallService,
}

impl Active {
    /// What the endpoints report.
    pub fn info(&self) -> &Arc<GatewayInfo> {
        self.gateway.info()
    }
}

/// The gateway in force and the count of reloads.
#[derive(Debug)]
pub struct LiveGateway {
    current: RwLock<Arc<Active>>,
    reloads: AtomicU64,
}

impl LiveGateway {
    /// Starts with `gateway`.
    pub fn new(gateway: Gateway) -> Self {
        let call = gateway.call_service();
        Self {
            current: RwLock::new(Arc::new(Active { gateway, call })),
            reloads: AtomicU64::new(0),
        }
    }

    /// The gateway for one request.
    pub fn current(&self) -> Arc<Active> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Puts `gateway` in force for the requests that arrive from now on.
    pub fn replace(&self, gateway: Gateway) {
        let old = self.current();
        let gateway = gateway.inherit_identity(&old.gateway);
        let call = gateway.call_service();
        let next = Arc::new(Active { gateway, call });
        match self.current.write() {
            Ok(mut guard) => *guard = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
        self.reloads.fetch_add(1, Ordering::Relaxed);
    }

    /// How many times the gateway was replaced.
    pub fn reloads(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }
}
