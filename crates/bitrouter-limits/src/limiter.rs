//! The `Limiter` trait: admit a call against its key's and user's limits, all or nothing.

use std::fmt;

use async_trait::async_trait;

use crate::error::LimitError;
use crate::reservation::Reservation;
use crate::spec::{Actual, Estimate, Subject};

/// Checks and counts calls against rate limits, concurrency limits and budgets.
///
/// `reserve` is atomic over all `subjects` (typically the key and its user): either every
/// subject passes every limit and all of them are counted, or nothing is counted and the first
/// limit that failed is reported. A subject passes its budget when
/// `max(ledger spend, running spend) + reserved by calls in flight + this estimate <= budget`,
/// where the running spend is what this limiter saw settled in the period (it covers spend the
/// ledger has not written yet, without counting what the ledger has twice).
#[async_trait]
pub trait Limiter: Send + Sync + fmt::Debug {
    /// Admits a call estimated to use `estimate`, or says which subject and limit refused it.
    async fn reserve(
        &self,
        subjects: &[Subject<'_>],
        estimate: Estimate,
    ) -> Result<Reservation, LimitError>;

    /// Settles a call; the same as [`Reservation::settle`].
    async fn settle(&self, reservation: Reservation, actual: Actual) -> Result<(), LimitError> {
        reservation.settle(actual).await
    }
}
