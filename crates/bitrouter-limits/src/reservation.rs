//! A call's hold on its subjects' limits, from `reserve` until `settle` or drop.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::LimitError;
use crate::spec::{Actual, BudgetPeriod, Estimate, SubjectId, usd_to_micros};

/// What a limiter needs to settle or release one reservation.
#[derive(Debug, Clone)]
pub(crate) struct Ticket {
    /// Unique among all reservations of all instances sharing a store.
    pub id: String,
    /// The subjects that were counted, in the order they were checked.
    pub subjects: Vec<TicketSubject>,
    /// The one-minute window the estimate's request and tokens were counted in.
    pub window: i64,
    pub est_tokens: u64,
    pub est_micros: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct TicketSubject {
    pub id: SubjectId,
    /// Whether the subject had a tokens-per-minute limit, so that its window counts tokens.
    pub tpm_limited: bool,
    /// The subject's budget period, if it had a budget.
    pub period: Option<BudgetPeriod>,
}

/// The limiter side of a reservation: how to settle it, and how to let it go.
#[async_trait]
pub(crate) trait ReservationStore: Send + Sync + fmt::Debug {
    /// Replaces the estimate by what the call used and ends the reservation.
    async fn settle(&self, ticket: Ticket, actual: Actual) -> Result<(), LimitError>;
    /// Ends the reservation without a cost (the call never finished). Called from `Drop`, so it
    /// must not block: a store that needs I/O spawns it.
    fn release(self: Arc<Self>, ticket: Ticket);
}

/// Admission of one call: it holds a concurrency slot and its estimated cost against every
/// subject it was reserved for until it is settled.
///
/// Call [`Reservation::settle`] with what the call used once it ends. A reservation dropped
/// without being settled (the client went away, the task panicked) releases its slot and its
/// reserved cost; its request and estimated tokens stay counted in the minute's window, since the
/// upstream may well have processed them.
#[must_use = "a reservation must be settled with what the call used, or it only releases on drop"]
pub struct Reservation {
    held: Option<(Ticket, Arc<dyn ReservationStore>)>,
}

impl Reservation {
    pub(crate) fn new(ticket: Ticket, store: Arc<dyn ReservationStore>) -> Self {
        Self {
            held: Some((ticket, store)),
        }
    }

    /// A reservation that holds nothing: no subject had limits, or the store was down and the
    /// limiter fails open. Settling it does nothing.
    pub fn unlimited() -> Self {
        Self { held: None }
    }

    /// True when this reservation counts against nothing.
    pub fn is_unlimited(&self) -> bool {
        self.held.is_none()
    }

    /// What was reserved, if anything.
    pub fn estimate(&self) -> Option<Estimate> {
        self.held.as_ref().map(|(ticket, _)| Estimate {
            tokens: ticket.est_tokens,
            cost_usd: crate::spec::micros_to_usd(ticket.est_micros),
        })
    }

    /// Ends the call: frees its concurrency slot, replaces the estimated tokens and cost by the
    /// actual ones, and adds the actual cost to the period's running spend, so that it counts
    /// before the ledger row lands. An error means the store could not be updated; log it: the
    /// slot and the reserved cost free themselves when the reservation's lease runs out.
    pub async fn settle(mut self, actual: Actual) -> Result<(), LimitError> {
        match self.held.take() {
            Some((ticket, store)) => store.settle(ticket, actual).await,
            None => Ok(()),
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some((ticket, store)) = self.held.take() {
            store.release(ticket);
        }
    }
}

impl fmt::Debug for Reservation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.held {
            Some((ticket, _)) => f
                .debug_struct("Reservation")
                .field("id", &ticket.id)
                .field("subjects", &ticket.subjects.len())
                .field("est_tokens", &ticket.est_tokens)
                .field("est_micros", &ticket.est_micros)
                .finish(),
            None => f.write_str("Reservation(unlimited)"),
        }
    }
}

/// The actual cost in micro-dollars (rounded up like estimates).
pub(crate) fn actual_micros(actual: &Actual) -> i64 {
    usd_to_micros(actual.cost_usd)
}
