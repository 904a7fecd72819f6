//! The queue the proxy records into and the background task that drains it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{SpendEvent, Spool, write};
use crate::db::{Db, DbError};

/// Events held in memory before recording spills to the spool.
const QUEUE_CAPACITY: usize = 50_000;
/// Events written per flush at most.
const BATCH_MAX: usize = 5_000;

/// Where the proxy records spend. Cheap to clone; never blocks on I/O.
#[derive(Clone)]
pub struct SpendQueue {
    sender: mpsc::Sender<SpendEvent>,
    overflow: Arc<Overflow>,
}

/// Events that found the queue full, spooled to disk in bulk by the writer
/// on its next tick (writing a file per event would stall the requests).
struct Overflow {
    events: Mutex<Vec<SpendEvent>>,
    spool: Arc<Spool>,
}

impl Overflow {
    fn take(&self) -> Vec<SpendEvent> {
        std::mem::take(
            &mut *self
                .events
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    /// Spools what overflowed, off the async workers.
    async fn spool(&self) {
        let events = self.take();
        if !events.is_empty() {
            spool_off_thread(&self.spool, events).await;
        }
    }
}

/// Appends to the spool on the blocking pool (it fsyncs).
async fn spool_off_thread(spool: &Arc<Spool>, events: Vec<SpendEvent>) {
    let spool = spool.clone();
    if let Err(err) = tokio::task::spawn_blocking(move || spool.append(&events)).await {
        tracing::error!(error = %err, "spooling spend events failed");
    }
}

impl SpendQueue {
    /// Queues an event. When the queue is full it waits in memory for the
    /// writer to spool it; once the writer has stopped it is spooled here.
    pub fn record(&self, event: SpendEvent) {
        match self.sender.try_send(event) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(event)) => {
                self.overflow
                    .events
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push(event);
            }
            Err(mpsc::error::TrySendError::Closed(event)) => self.overflow.spool.append(&[event]),
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
        let overflow = Arc::new(Overflow {
            events: Mutex::new(Vec::new()),
            spool: spool.clone(),
        });
        let queue = SpendQueue {
            sender,
            overflow: overflow.clone(),
        };
        let task = tokio::spawn(run(db, spool, overflow, receiver, stopped, interval));
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
    overflow: Arc<Overflow>,
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
                overflow.spool().await;
                replay(&db, &spool).await;
            }
        }
        if !batch.is_empty() {
            flush(&db, &spool, std::mem::take(&mut batch)).await;
        }
    }
    overflow.spool().await;
    replay(&db, &spool).await;
}

/// Writes a batch; whatever cannot be written is spooled.
async fn flush(db: &Db, spool: &Arc<Spool>, events: Vec<SpendEvent>) {
    for (account, events) in write::by_account(events) {
        if let Err(err) = write_one(db, account, &events).await {
            tracing::warn!(error = %err, account = %account, events = events.len(), "spend spooled: database unavailable");
            spool_off_thread(spool, events).await;
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
