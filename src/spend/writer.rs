//! The queue the proxy records into and the background task that drains it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{SpendEvent, Spool, write};
use crate::db::{Db, DbError};

/// Events held in memory before recording spills to the spool.
const QUEUE_CAPACITY: usize = 50_000;
/// Events written per flush at most.
const BATCH_MAX: usize = 1_000;

/// Where the proxy records spend. Cheap to clone; never blocks.
#[derive(Clone)]
pub struct SpendQueue {
    sender: mpsc::Sender<SpendEvent>,
    spool: Arc<Spool>,
}

impl SpendQueue {
    /// Queues an event; when the queue is full (or closed) it goes straight
    /// to the spool instead, so it is never dropped.
    pub fn record(&self, event: SpendEvent) {
        match self.sender.try_send(event) {
            Ok(()) => {}
            Err(
                mpsc::error::TrySendError::Full(event) | mpsc::error::TrySendError::Closed(event),
            ) => {
                self.spool.append(&[event]);
            }
        }
    }
}

/// The running writer; `shutdown` drains it.
pub struct SpendWriter {
    stop: tokio::sync::oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl SpendWriter {
    /// Starts the writer: replays the spool first, then flushes the queue
    /// every `interval` (and whenever a full batch is waiting).
    pub fn start(db: Db, spool: Arc<Spool>, interval: Duration) -> (Self, SpendQueue) {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let queue = SpendQueue {
            sender,
            spool: spool.clone(),
        };
        let task = tokio::spawn(run(db, spool, receiver, stopped, interval));
        (Self { stop, task }, queue)
    }

    /// Closes the queue (later events go straight to the spool) and waits
    /// until everything queued is written or spooled.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        if let Err(err) = self.task.await {
            tracing::error!(error = %err, "spend writer ended abnormally");
        }
    }
}

async fn run(
    db: Db,
    spool: Arc<Spool>,
    mut receiver: mpsc::Receiver<SpendEvent>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
    interval: Duration,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut batch = Vec::new();
    let mut open = true;
    while open {
        tokio::select! {
            _ = &mut stopped, if !receiver.is_closed() => {
                // Senders now fail over to the spool; what is buffered is still received.
                receiver.close();
                continue;
            }
            received = receiver.recv() => match received {
                Some(event) => {
                    batch.push(event);
                    while batch.len() < BATCH_MAX {
                        match receiver.try_recv() {
                            Ok(event) => batch.push(event),
                            Err(_) => break,
                        }
                    }
                    if batch.len() < BATCH_MAX {
                        continue;
                    }
                }
                None => open = false,
            },
            _ = ticker.tick() => {
                replay(&db, &spool).await;
            }
        }
        if !batch.is_empty() {
            flush(&db, &spool, std::mem::take(&mut batch)).await;
        }
    }
    replay(&db, &spool).await;
}

/// Writes a batch; whatever cannot be written is spooled.
async fn flush(db: &Db, spool: &Spool, events: Vec<SpendEvent>) {
    for (account, events) in write::by_account(events) {
        if let Err(err) = write_one(db, account, &events).await {
            tracing::warn!(error = %err, account = %account, events = events.len(), "spend spooled: database unavailable");
            spool.append(&events);
        }
    }
}

async fn write_one(
    db: &Db,
    account: crate::db::AccountId,
    events: &[SpendEvent],
) -> Result<usize, DbError> {
    let tx = db.tenant(account).await?;
    let written = write::write_account(&tx, events).await?;
    tx.commit().await?;
    Ok(written)
}

/// Writes spooled files back, oldest first, stopping at the first database
/// outage. A file the database refuses outright is set aside.
pub async fn replay(db: &Db, spool: &Spool) {
    for path in spool.files() {
        let events = match spool.read(&path) {
            Ok(events) => events,
            Err(err) => {
                tracing::error!(error = %err, file = %path.display(), "spool file unreadable");
                spool.reject(&path);
                continue;
            }
        };
        let mut outage = false;
        let mut refused = false;
        for (account, events) in write::by_account(events) {
            match write_one(db, account, &events).await {
                Ok(_) => {}
                Err(err) if err.code().is_some() => {
                    tracing::error!(error = %err, file = %path.display(), "spooled spend refused by the database");
                    refused = true;
                }
                Err(_) => {
                    outage = true;
                    break;
                }
            }
        }
        if outage {
            return;
        }
        if refused {
            spool.reject(&path);
        } else {
            spool.remove(&path);
            tracing::info!(file = %path.display(), "spooled spend replayed");
        }
    }
}
