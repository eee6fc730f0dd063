//! The hash of the static-route table: the generated router calls it at run
//! time, and the compiler's build-time search (`compiler/src/codegen/phash.rs`)
//! calls it to find the seed and displacements. One copy, so the two cannot
//! disagree.
//!
//! The scheme is "hash and displace" (CHD): one cheap 64-bit hash per lookup;
//! its low 32 bits pick a bucket whose displacement, found at build time,
//! moves the bucket's keys to free slots. A lookup is one hash, one small
//! table read, one key comparison. `phf` does the same with SipHash, which
//! made it slower than a `match`; this hash reads at most two unaligned
//! words for paths up to 16 bytes and one word per 8 bytes beyond.

const K1: u64 = 0x9E37_79B9_7F4A_7C15;
const K2: u64 = 0xC2B2_AE3D_27D4_EB4F;

/// Hashes a request path with the table's seed.
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

/// The bucket of a hash among `buckets` buckets.
#[inline]
#[must_use]
pub fn phash_bucket(h: u64, buckets: u32) -> usize {
    (((h & 0xFFFF_FFFF) * u64::from(buckets)) >> 32) as usize
}

/// The slot of a hash given its bucket's displacement, in `1 << bits` slots.
#[inline]
#[must_use]
pub fn phash_slot(h: u64, displacement: u32, bits: u32) -> usize {
    let mixed = (h ^ u64::from(displacement).wrapping_mul(K1)).wrapping_mul(K2);
    (mixed >> (64 - bits)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pinned values: generated routers already compiled into binaries (and
    /// the compiler's snapshots) assume these, so a change must be deliberate.
    #[test]
    fn hash_vectors_are_stable() {
        assert_eq!(phash(b"", 0), 0);
        let vectors: [(&[u8], u64); 4] = [
            (b"/json", 7),
            (b"/plaintext", 7),
            (b"/user/repos/starred", 42),
            (b"/a/b/c/d/e/f/g/h/i/j", 3),
        ];
        let got: Vec<u64> = vectors.iter().map(|(k, s)| phash(k, *s)).collect();
        assert_eq!(
            got,
            [
                12_339_500_257_183_869_436,
                15_491_426_687_986_350_342,
                9_898_497_289_536_819_094,
                17_553_528_306_175_743_031
            ]
        );
    }

    #[test]
    fn slots_and_buckets_stay_in_range() {
        for key in [&b"/"[..], b"/items", b"/a/much/longer/static/path/here"] {
            let h = phash(key, 99);
            assert!(phash_bucket(h, 5) < 5);
            for bits in [1, 4, 10] {
                assert!(phash_slot(h, 3, bits) < 1 << bits);
            }
        }
    }
}
