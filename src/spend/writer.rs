//! The queue the proxy records into and the writer thread that drains it.
//!
//! Recording only pushes onto a locked vector: the writer is not woken per
//! event (a cross-thread wake-up on every call costs the proxy more than
//! the push), but on its timer, or once a full batch is waiting.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

use super::{SpendEvent, Spool, write};
use crate::db::{Db, DbError, PoolSizes};

/// Events held in memory before recording spills to the spool.
const QUEUE_CAPACITY: usize = 50_000;
/// Events written per flush at most; a batch this size wakes the writer.
const BATCH_MAX: usize = 5_000;

/// Where the proxy records spend. Cheap to clone; never blocks on I/O.
#[derive(Clone)]
pub struct SpendQueue {
    shared: Arc<Shared>,
}

/// What the proxy and the writer share.
struct Shared {
    state: Mutex<Pending>,
    /// Signalled when a full batch is waiting.
    batch_ready: Notify,
    spool: Arc<Spool>,
}

/// Events recorded and not yet taken by the writer.
#[derive(Default)]
struct Pending {
    queued: Vec<SpendEvent>,
    /// Events that found the queue full, spooled to disk in bulk by the
    /// writer on its next tick (writing a file per event would stall the
    /// requests).
    overflow: Vec<SpendEvent>,
    /// Set at shutdown: later events go straight to the spool.
    closed: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Spools what overflowed, off the async workers.
    async fn spool_overflow(&self) {
        let events = std::mem::take(&mut self.lock().overflow);
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
        let mut pending = self.shared.lock();
        if pending.closed {
            drop(pending);
            self.shared.spool.append(&[event]);
        } else if pending.queued.len() >= QUEUE_CAPACITY {
            pending.overflow.push(event);
        } else {
            pending.queued.push(event);
            if pending.queued.len() == BATCH_MAX {
                drop(pending);
                self.shared.batch_ready.notify_one();
            }
        }
    }
}

/// The running writer; `shutdown` drains it.
pub struct SpendWriter {
    stop: tokio::sync::oneshot::Sender<()>,
    finished: tokio::sync::oneshot::Receiver<()>,
}

impl SpendWriter {
    /// Starts the writer on a thread of its own: replays the spool first,
    /// then flushes the queue every `interval` (and whenever a full batch is
    /// waiting). Building and encoding a batch of thousands of rows takes
    /// milliseconds of CPU; on its own thread, with its own connection, it
    /// never holds up a request worker.
    pub fn start(
        db: &Db,
        spool: Arc<Spool>,
        interval: Duration,
    ) -> anyhow::Result<(Self, SpendQueue)> {
        let db = db.separate(PoolSizes { app: 1, admin: 1 })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let (done, finished) = tokio::sync::oneshot::channel();
        let shared = Arc::new(Shared {
            state: Mutex::new(Pending::default()),
            batch_ready: Notify::new(),
            spool,
        });
        let queue = SpendQueue {
            shared: shared.clone(),
        };
        std::thread::Builder::new()
            .name("spend-writer".to_owned())
            .spawn(move || {
                runtime.block_on(run(db, shared, stopped, interval));
                let _ = done.send(());
            })?;
        Ok((Self { stop, finished }, queue))
    }

    /// Closes the queue (later events go straight to the spool) and waits
    /// until everything queued is written or spooled.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        if self.finished.await.is_err() {
            tracing::error!("spend writer ended abnormally");
        }
    }
}

async fn run(
    db: Db,
    shared: Arc<Shared>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
    interval: Duration,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stopping = tokio::select! {
            _ = &mut stopped => true,
            () = shared.batch_ready.notified() => false,
            _ = ticker.tick() => {
                shared.spool_overflow().await;
                replay(&db, &shared.spool).await;
                false
            }
        };
        let events = {
            let mut pending = shared.lock();
            pending.closed |= stopping;
            std::mem::take(&mut pending.queued)
        };
        let mut events = events.into_iter().peekable();
        while events.peek().is_some() {
            flush(
                &db,
                &shared.spool,
                events.by_ref().take(BATCH_MAX).collect(),
            )
            .await;
        }
        if stopping {
            break;
        }
    }
    shared.spool_overflow().await;
    replay(&db, &shared.spool).await;
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
