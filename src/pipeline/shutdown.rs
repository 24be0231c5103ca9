//! `Shutdown`: a handle each task owns to learn that the run should stop (first Ctrl-C:
//! finish and record the images in flight, release claims). Tests trigger it themselves.

use tokio::sync::watch;

/// Owned by whoever may stop the run.
#[derive(Debug)]
pub struct Trigger {
    sender: watch::Sender<bool>,
}

/// Owned by each task.
#[derive(Debug, Clone)]
pub struct Shutdown {
    receiver: watch::Receiver<bool>,
}

/// A connected trigger and handle.
pub fn channel() -> (Trigger, Shutdown) {
    let (sender, receiver) = watch::channel(false);
    (Trigger { sender }, Shutdown { receiver })
}

impl Trigger {
    pub fn trigger(&self) {
        let _ = self.sender.send(true);
    }
}

impl Shutdown {
    pub fn is_shutdown(&self) -> bool {
        *self.receiver.borrow()
    }

    /// Resolves once the run should stop.
    pub async fn recv(&mut self) {
        if self.receiver.wait_for(|stop| *stop).await.is_err() {
            // The trigger is gone, so no stop can come: wait forever rather than stop.
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_dropped_trigger_is_not_a_stop() {
        let (trigger, mut shutdown) = channel();
        drop(trigger);
        let waited = tokio::time::timeout(std::time::Duration::from_millis(50), shutdown.recv());
        assert!(waited.await.is_err(), "recv returned without a stop");
        assert!(!shutdown.is_shutdown());
    }

    #[tokio::test]
    async fn every_handle_sees_the_trigger() {
        let (trigger, shutdown) = channel();
        let mut other = shutdown.clone();
        assert!(!shutdown.is_shutdown());
        trigger.trigger();
        other.recv().await;
        assert!(shutdown.is_shutdown());
    }
}
