//! The seeded random source of the randomised tests, and the one reader of
//! `PREBAKE_SEED`.

/// xorshift64*: enough randomness for generated cases. Every test that
/// uses one prints its seed; `PREBAKE_SEED=<seed>` replays the run.
pub struct Rng {
    seed: u64,
    state: u64,
}

impl Rng {
    /// A generator seeded from `PREBAKE_SEED`, else from the clock and the
    /// process id; prints `<what>: seed <seed> (PREBAKE_SEED=<seed> replays it)`.
    pub fn from_env(what: &str) -> Rng {
        let seed = std::env::var("PREBAKE_SEED")
            .ok()
            .map(|v| {
                v.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("PREBAKE_SEED={v:?} is not a u64"))
            })
            .unwrap_or_else(|| {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos());
                // The low 64 bits of the clock, mixed with the pid so that
                // test binaries started in the same tick differ.
                let clock = u64::try_from(nanos & u128::from(u64::MAX)).unwrap_or(0);
                clock ^ u64::from(std::process::id()).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            });
        eprintln!("{what}: seed {seed} (PREBAKE_SEED={seed} replays it)");
        Rng::new(seed)
    }

    /// A generator with a given seed.
    pub fn new(seed: u64) -> Rng {
        Rng {
            seed,
            state: seed | 1,
        }
    }

    /// The seed it started from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next_u64() % n as u64).expect("fits")
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn a_seed_replays_the_same_sequence() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        for _ in 0..100 {
            assert_eq!(a.below(1000), b.below(1000));
        }
        assert_eq!(a.seed(), 42);
    }
}
