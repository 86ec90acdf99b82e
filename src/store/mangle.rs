//! Test support: customer files mangled by a fixed pseudo-random sequence of byte
//! edits, for the reader's and the appender's property tests.

/// A deterministic source of mangled files (xorshift64; the same seed, the same files).
pub(crate) struct Mangler {
    state: u64,
    alphabet: &'static [u8],
}

impl Mangler {
    /// A mangler starting from `seed`, inserting or overwriting bytes from `alphabet`.
    pub(crate) fn new(seed: u64, alphabet: &'static [u8]) -> Mangler {
        Mangler {
            state: seed,
            alphabet,
        }
    }

    /// The next pseudo-random number.
    pub(crate) fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    /// One of `seeds` with 1 to `max_edits` bytes overwritten, inserted or removed.
    pub(crate) fn mangle(&mut self, seeds: &[&str], max_edits: u64) -> Vec<u8> {
        let mut bytes = seeds[(self.next() % seeds.len() as u64) as usize]
            .as_bytes()
            .to_vec();
        for _ in 0..1 + self.next() % max_edits {
            let pos = (self.next() % bytes.len() as u64) as usize;
            let byte = self.alphabet[(self.next() % self.alphabet.len() as u64) as usize];
            match self.next() % 3 {
                0 => bytes[pos] = byte,
                1 => bytes.insert(pos, byte),
                _ => {
                    bytes.remove(pos);
                }
            }
        }
        bytes
    }
}
