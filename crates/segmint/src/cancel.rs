//! Cooperative cancellation: a flag the caller sets and long fits check
//! between iterations, so a user's interrupt stops the work cleanly.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

/// A shared flag: clones watch the same flag. The default token is never
/// cancelled. Tokens never change a result, so any two compare equal.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A fresh, not cancelled token.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every holder of this token to stop at its next check.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// `Err(Error::Cancelled)` once cancelled.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }
}

impl PartialEq for CancelToken {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_flag_and_check_reports_it() {
        let token = CancelToken::new();
        let watcher = token.clone();
        assert!(watcher.check().is_ok());
        token.cancel();
        assert!(watcher.is_cancelled());
        assert!(matches!(watcher.check(), Err(Error::Cancelled)));
        assert!(!CancelToken::default().is_cancelled());
    }
}
