//! The spend pipeline. The proxy records one [`SpendEvent`] per call on a
//! bounded in-memory queue and moves on; a background writer flushes the
//! queue in batches, one tenant transaction per account: spend-log rows,
//! `spend += cost` on key, user, team, organization, end user and account,
//! and the daily aggregates. Nothing is lost: a full queue or an unreachable
//! database spools events to disk, and replay is idempotent by request id.

mod event;
mod spool;
mod write;
mod writer;

pub use event::SpendEvent;
pub use spool::Spool;
pub use writer::{SpendQueue, SpendWriter};
