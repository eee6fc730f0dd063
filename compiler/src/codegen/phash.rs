//! The build-time search for a perfect hash over an app's static paths.
//!
//! The hash itself is `prebake_router::phash` (with `phash_bucket` and
//! `phash_slot`), the one the generated router calls at run time through
//! the runtime's `__private` re-exports: one function, so the table found
//! here is the table used there.
//!
//! The scheme is "hash and displace" (CHD): one cheap 64-bit hash per lookup;
//! it picks a bucket whose displacement, found here, moves the bucket's keys
//! to free slots. A lookup is one hash, one small table read, one key
//! comparison.

use prebake_router::{phash, phash_bucket as bucket, phash_slot as slot};

/// A perfect hash table over a set of keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PerfectHash {
    /// The seed of [`phash`].
    pub seed: u64,
    /// log2 of the slot count.
    pub bits: u32,
    /// One displacement per bucket.
    pub displacements: Vec<u32>,
    /// For each slot, the index of the key stored there.
    pub slots: Vec<Option<usize>>,
}

impl PerfectHash {
    /// The slot `key` would occupy.
    #[must_use]
    pub fn slot_of(&self, key: &[u8]) -> usize {
        let h = phash(key, self.seed);
        let b = bucket(
            h,
            u32::try_from(self.displacements.len()).unwrap_or(u32::MAX),
        );
        slot(h, self.displacements[b], self.bits)
    }

    /// Searches a perfect hash for distinct `keys`. Deterministic: the same
    /// keys always give the same table.
    #[must_use]
    pub fn build(keys: &[&[u8]]) -> PerfectHash {
        let n = keys.len().max(1);
        // A load factor of at most 0.8 keeps the displacement search short.
        let mut bits = (n * 5 / 4).next_power_of_two().trailing_zeros().max(1);
        let mut seed_state = 0x5EED_0000_0000_0001u64;
        loop {
            for _ in 0..64 {
                let seed = splitmix(&mut seed_state);
                if let Some(table) = try_build(keys, seed, bits) {
                    return table;
                }
            }
            bits += 1;
        }
    }
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn try_build(keys: &[&[u8]], seed: u64, bits: u32) -> Option<PerfectHash> {
    let size = 1usize << bits;
    let buckets = u32::try_from(keys.len().div_ceil(3).max(1)).ok()?;
    let hashes: Vec<u64> = keys.iter().map(|k| phash(k, seed)).collect();
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); buckets as usize];
    for (i, h) in hashes.iter().enumerate() {
        members[bucket(*h, buckets)].push(i);
    }
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_by_key(|b| std::cmp::Reverse(members[*b].len()));
    let mut slots: Vec<Option<usize>> = vec![None; size];
    let mut displacements = vec![0u32; buckets as usize];
    for b in order {
        if members[b].is_empty() {
            continue;
        }
        let mut placed = false;
        'search: for d in 0..(size as u32 * 16) {
            let mut taken: Vec<usize> = Vec::with_capacity(members[b].len());
            for &k in &members[b] {
                let s = slot(hashes[k], d, bits);
                if slots[s].is_some() || taken.contains(&s) {
                    continue 'search;
                }
                taken.push(s);
            }
            for (&k, s) in members[b].iter().zip(taken) {
                slots[s] = Some(k);
            }
            displacements[b] = d;
            placed = true;
            break;
        }
        if !placed {
            return None;
        }
    }
    Some(PerfectHash {
        seed,
        bits,
        displacements,
        slots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_for_many_keys() {
        let keys: Vec<String> = (0..500)
            .map(|i| format!("/api/v1/resource{i}/items"))
            .collect();
        let refs: Vec<&[u8]> = keys.iter().map(|k| k.as_bytes()).collect();
        let table = PerfectHash::build(&refs);
        let mut seen = std::collections::HashSet::new();
        for (i, k) in refs.iter().enumerate() {
            let s = table.slot_of(k);
            assert_eq!(table.slots[s], Some(i));
            assert!(seen.insert(s));
        }
    }
}
