//! Single flight: when many requests of one isolate need the same slow thing (the JWKS, a catalog entry),
//! one of them fetches it and the others wait for that fetch instead of starting their own.
//!
//! Runtime-free: it is a plain future woken by the leader's guard when it is dropped.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// A gate for one kind of fetch.
#[derive(Debug, Default)]
pub struct Flight {
    state: RefCell<State>,
}

#[derive(Debug, Default)]
struct State {
    running: bool,
    generation: u64,
    waiters: Vec<Waker>,
}

/// Whether the caller fetches or waits.
#[derive(Debug)]
pub enum Turn<'a> {
    /// No fetch is running: the caller fetches, and waiters are released when the guard drops.
    Leader(LeaderGuard<'a>),
    /// A fetch is running: await this, then look again.
    Follower(Wait<'a>),
}

impl Flight {
    /// Joins the flight.
    pub fn join(&self) -> Turn<'_> {
        let mut state = self.state.borrow_mut();
        if state.running {
            Turn::Follower(Wait { flight: self, generation: state.generation })
        } else {
            state.running = true;
            Turn::Leader(LeaderGuard { flight: self })
        }
    }
}

/// Held by the request that fetches; dropping it (also on error or cancellation) releases the waiters.
#[derive(Debug)]
pub struct LeaderGuard<'a> {
    flight: &'a Flight,
}

impl Drop for LeaderGuard<'_> {
    fn drop(&mut self) {
        let waiters = {
            let mut state = self.flight.state.borrow_mut();
            state.running = false;
            state.generation = state.generation.wrapping_add(1);
            std::mem::take(&mut state.waiters)
        };
        for waker in waiters {
            waker.wake();
        }
    }
}

/// Resolves when the fetch that was running at join time has finished.
#[derive(Debug)]
pub struct Wait<'a> {
    flight: &'a Flight,
    generation: u64,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.flight.state.borrow_mut();
        if state.generation != self.generation || !state.running {
            Poll::Ready(())
        } else {
            state.waiters.push(cx.waker().clone());
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_leader_and_followers_released_on_drop() {
        let flight = Flight::default();
        let Turn::Leader(guard) = flight.join() else { panic!("first is leader") };
        let Turn::Follower(mut wait) = flight.join() else { panic!("second follows") };
        let woken = std::sync::Arc::new(WakeCount::default());
        let waker = Waker::from(woken.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut wait).poll(&mut cx).is_pending());
        drop(guard);
        assert_eq!(woken.count.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(Pin::new(&mut wait).poll(&mut cx).is_ready());
        // The next caller leads a new fetch.
        assert!(matches!(flight.join(), Turn::Leader(_)));
    }

    #[derive(Default)]
    struct WakeCount {
        count: std::sync::atomic::AtomicUsize,
    }
    impl std::task::Wake for WakeCount {
        fn wake(self: std::sync::Arc<Self>) {
            self.count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}
