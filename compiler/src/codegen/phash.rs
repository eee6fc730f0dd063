//! The hash of the static-route table, and the build-time search for a
//! perfect hash over an app's static paths.
//!
//! Architecture invariant: [`phash`] is duplicated, byte for byte, as
//! `prebake::__private::phash` in the runtime (generated code calls that one).
//! Both crates test the same vectors, so a change to one without the other
//! fails the build's tests.
//!
//! The scheme is "hash and displace" (CHD): one cheap 64-bit hash per lookup;
//! its high bits pick a bucket whose displacement, found at build time, moves
//! the bucket's keys to free slots. A lookup is one hash, one small table
//! read, one key comparison. `phf` does the same with SipHash, which made it
//! slower than a `match` (see STACK.md); this hash reads at most two
//! unaligned words for paths up to 16 bytes and one word per 8 bytes beyond.

const K1: u64 = 0x9E37_79B9_7F4A_7C15;
const K2: u64 = 0xC2B2_AE3D_27D4_EB4F;

/// Hashes a path with a seed. Keep identical to the runtime's copy.
#[inline]
#[must_use]
pub fn phash(bytes: &[u8], seed: u64) -> u64 {
    let n = bytes.len();
    let mut h = seed ^ (n as u64).wrapping_mul(K1);
    if n <= 8 {
        let mut w = 0u64;
        for (i, b) in bytes.iter().enumerate() {
            w |= u64::from(*b) << (8 * i);
        }
        h = (h ^ w).wrapping_mul(K2);
    } else {
        let mut i = 0;
        while i + 8 < n {
            let w = u64::from_le_bytes(bytes[i..i + 8].try_into().expect("8 bytes"));
            h = (h ^ w).wrapping_mul(K2).rotate_left(31);
            i += 8;
        }
        let w = u64::from_le_bytes(bytes[n - 8..].try_into().expect("8 bytes"));
        h = (h ^ w).wrapping_mul(K2);
    }
    h ^ (h >> 29)
}

/// The slot of a hash given its bucket's displacement, in a table of
/// `1 << bits` slots. Keep identical to the runtime's copy.
#[inline]
#[must_use]
pub fn slot(h: u64, displacement: u32, bits: u32) -> usize {
    let mixed = (h ^ u64::from(displacement).wrapping_mul(K1)).wrapping_mul(K2);
    (mixed >> (64 - bits)) as usize
}

/// The bucket of a hash among `buckets` buckets.
#[inline]
#[must_use]
pub fn bucket(h: u64, buckets: u32) -> usize {
    (((h & 0xFFFF_FFFF) * u64::from(buckets)) >> 32) as usize
}

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

    /// The same vectors are asserted in the runtime's copy of `phash`.
    #[test]
    fn hash_vectors_are_stable() {
        assert_eq!(phash(b"", 0), 0);
        assert_eq!(phash(b"/", 1), phash(b"/", 1));
        let vectors: [(&[u8], u64); 4] = [
            (b"/json", 7),
            (b"/plaintext", 7),
            (b"/user/repos/starred", 42),
            (b"/a/b/c/d/e/f/g/h/i/j", 3),
        ];
        let got: Vec<u64> = vectors.iter().map(|(k, s)| phash(k, *s)).collect();
        assert_eq!(got, HASH_VECTORS);
    }

    /// Values of `phash` on the vectors above; the runtime asserts these too.
    const HASH_VECTORS: [u64; 4] = [
        12_339_500_257_183_869_436,
        15_491_426_687_986_350_342,
        9_898_497_289_536_819_094,
        17_553_528_306_175_743_031,
    ];

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
