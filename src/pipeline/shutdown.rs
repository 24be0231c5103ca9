//! `Shutdown`: a handle each task owns to learn that the run should stop (the first Ctrl-C,
//! SIGTERM or SIGHUP: finish and record the images in flight, release claims), and by which
//! signal. Tests trigger it themselves.

use crate::exit_code;
use tokio::sync::watch;

/// What asked the run to stop; each has its exit code (128 + the signal's number, as shells
/// report a process a signal ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Ctrl-C (SIGINT).
    Interrupt,
    /// SIGTERM: `kill`, systemd, Docker, Kubernetes.
    Terminate,
    /// SIGHUP: the terminal went away.
    Hangup,
}

impl Signal {
    pub fn exit_code(self) -> i32 {
        match self {
            Signal::Interrupt => exit_code::INTERRUPTED,
            Signal::Terminate => exit_code::TERMINATED,
            Signal::Hangup => exit_code::HUNG_UP,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "Ctrl-C",
            Signal::Terminate => "SIGTERM",
            Signal::Hangup => "SIGHUP",
        }
    }
}

/// Owned by whoever may stop the run.
#[derive(Debug)]
pub struct Trigger {
    sender: watch::Sender<Option<Signal>>,
}

/// Owned by each task.
#[derive(Debug, Clone)]
pub struct Shutdown {
    receiver: watch::Receiver<Option<Signal>>,
}

/// A connected trigger and handle.
pub fn channel() -> (Trigger, Shutdown) {
    let (sender, receiver) = watch::channel(None);
    (Trigger { sender }, Shutdown { receiver })
}

impl Trigger {
    /// Stops the run as Ctrl-C does.
    pub fn trigger(&self) {
        self.trigger_by(Signal::Interrupt);
    }

    /// Stops the run for `signal`; the first signal is the one kept.
    pub fn trigger_by(&self, signal: Signal) {
        self.sender.send_if_modified(|stop| {
            let first = stop.is_none();
            stop.get_or_insert(signal);
            first
        });
    }
}

impl Shutdown {
    pub fn is_shutdown(&self) -> bool {
        self.receiver.borrow().is_some()
    }

    /// The signal that stopped the run, if one did.
    pub fn signal(&self) -> Option<Signal> {
        *self.receiver.borrow()
    }

    /// Resolves once the run should stop.
    pub async fn recv(&mut self) {
        if self.receiver.wait_for(Option::is_some).await.is_err() {
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
        assert_eq!(shutdown.signal(), Some(Signal::Interrupt));
    }

    #[test]
    fn the_first_signal_is_kept_with_its_exit_code() {
        let (trigger, shutdown) = channel();
        trigger.trigger_by(Signal::Terminate);
        trigger.trigger_by(Signal::Hangup);
        assert_eq!(shutdown.signal(), Some(Signal::Terminate));
        assert_eq!(Signal::Terminate.exit_code(), 143);
        assert_eq!(Signal::Hangup.exit_code(), 129);
        assert_eq!(Signal::Interrupt.exit_code(), 130);
    }
}
