//! Single flight: when many requests of one isolate need the same slow thing (the JWKS, a catalog entry), one
//! of them fetches it and the others wait for that fetch instead of starting their own.
//!
//! Followers wait by sleeping in short steps through the [`Timer`](crate::ports::Timer) port rather than on a
//! waker the leader fires: a Workers request whose only pending work belongs to another request is taken for
//! hung and cancelled by the runtime, while a timer is the waiting request's own.

use crate::ports::Timer;
use std::cell::Cell;

/// How long a follower sleeps between looks, in ms.
const STEP_MS: u64 = 2;
/// How long a follower waits at most before it fetches for itself, in ms.
const PATIENCE_MS: u64 = 10_000;

/// A gate for one kind of fetch.
#[derive(Debug, Default)]
pub struct Flight {
    running: Cell<bool>,
    generation: Cell<u64>,
}

/// Whether the caller fetches or waits.
#[derive(Debug)]
pub enum Turn<'a> {
    /// No fetch is running: the caller fetches; waiters are released when the guard drops.
    Leader(LeaderGuard<'a>),
    /// A fetch is running: [`Flight::wait`] for it, then look again.
    Follower(u64),
}

impl Flight {
    /// Joins the flight.
    pub fn join(&self) -> Turn<'_> {
        if self.running.get() {
            Turn::Follower(self.generation.get())
        } else {
            self.running.set(true);
            Turn::Leader(LeaderGuard { flight: self })
        }
    }

    /// Waits until the fetch that was running when the caller joined (`generation`) has finished, or until
    /// patience runs out.
    pub async fn wait<T: Timer>(&self, generation: u64, timer: &T) {
        let mut waited = 0;
        while self.running.get() && self.generation.get() == generation && waited < PATIENCE_MS {
            timer.sleep(STEP_MS).await;
            waited += STEP_MS;
        }
    }
}

/// Held by the request that fetches; dropping it (also on error or cancellation) ends the fetch.
#[derive(Debug)]
pub struct LeaderGuard<'a> {
    flight: &'a Flight,
}

impl Drop for LeaderGuard<'_> {
    fn drop(&mut self) {
        self.flight.running.set(false);
        self.flight.generation.set(self.flight.generation.get().wrapping_add(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct CountingTimer(Cell<u32>);
    impl Timer for CountingTimer {
        async fn sleep(&self, _millis: u64) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn one_leader_and_followers_released_on_drop() {
        let flight = Flight::default();
        let Turn::Leader(guard) = flight.join() else { panic!("first is leader") };
        let Turn::Follower(generation) = flight.join() else { panic!("second follows") };
        drop(guard);
        let timer = CountingTimer(Cell::new(0));
        futures_executor::block_on(flight.wait(generation, &timer));
        assert_eq!(timer.0.get(), 0, "nothing to wait for once the leader is done");
        assert!(matches!(flight.join(), Turn::Leader(_)), "the next caller leads a new fetch");
    }

    #[test]
    fn a_follower_gives_up_after_its_patience() {
        let flight = Flight::default();
        let Turn::Leader(_guard) = flight.join() else { panic!("leader") };
        let Turn::Follower(generation) = flight.join() else { panic!("follower") };
        let timer = CountingTimer(Cell::new(0));
        futures_executor::block_on(flight.wait(generation, &timer));
        assert_eq!(u64::from(timer.0.get()), PATIENCE_MS / STEP_MS);
    }
}
