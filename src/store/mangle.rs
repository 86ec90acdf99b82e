//! Test support: customer files mangled by a fixed pseudo-random sequence of byte
//! edits, for the reader's and the appender's property tests.

/// The bytes the appender's and the region check's property tests mangle with.
pub(crate) const APPENDER_ALPHABET: &[u8] = b"-:#'\"[]{},|>+ \n\r\t~aZ0.*&!?";

/// The bytes the reader's property test mangles with.
pub(crate) const READER_ALPHABET: &[u8] = b"*&[]{}:,-?|>#'\"!%@ \n\t\\aZ09.~\r";

/// The appender's property test's seed files (`yaml/edit/tests.rs`); the fast path's
/// agreement test mangles them too.
pub(crate) const APPENDER_SEEDS: [&str; 7] = [
    "name: Ada # c\ninteractions:\n  - date: 2025-03-01\n    kind: call\n    summary: \"a\n b\"\n  # note\nnotes: |\n  x\n\n# footer\n",
    "name: A\rinteractions: [ {date: 2025-03-01, kind: call} , ]\rtags: [a, b]\r",
    "---\nname: A\ninteractions: ~ # none\nprefs:\n  a: >+\n    t\n\n...\n",
    "  name: 'A'\n  \"interactions\":\n  - date: 2025-03-01\n    kind: call\n    channel:\n  x: *y\n",
    "name: A\ninteractions:\n    -   date: 2025-03-01\n        kind: call\n        items: [p, q]\nz: 1",
    "%YAML 1.1\n--- # c\n? name\n: A\nlog: &l [a]\ninteractions:\n- {date: 2025-03-01, kind: call}\n- date: 2025-03-02\n  kind: note\n  summary: >-\n    folded\n    text\n\n  # x\nold: *l\n",
    "name: A\r\ninteractions: [\r\n  {date: 2025-03-01, kind: call},  # one\r\n  # two\r\n]\r\nnotes: plain\r\n  continued\r\n",
];

/// The region check's property test's seed files (`yaml/edit/tests.rs`).
pub(crate) const REGION_SEEDS: [&str; 8] = [
    "name: Ada # c\ninteractions:\n  - date: 2025-03-01\n    kind: call\n    summary: \"a\n b\"\n  # note\nnotes: |\n  x\n\n# footer\n",
    "name: A\rinteractions: [ {date: 2025-03-01, kind: call} , ]\rtags: [a, b]\r",
    "---\nname: A\ninteractions: ~ # none\nprefs:\n  a: >+\n    t\n\n...\n",
    "name: A\ninteractions:\n    -   date: 2025-03-01\n        kind: call\n        items: [p, q]\nz: 1",
    "name: A\ninteractions:\n- date: 2025-03-01\n  kind: call\n- date: 2025-03-02\n  kind: note\n  summary: >-\n    folded\n    text\n\n  # x\nold: 1\n",
    "name: A\ninteractions:\n  - date: 2025-03-01\n    kind: call\n    summary: |\n      - text\n\n  - date: 2025-03-02\n    kind: call\n",
    "  name: 'A'\n  email: x\n  \"interactions\":\n  - date: 2025-03-01\n    kind: call\n    channel:\n",
    "name: A\npreferences:\n  tea: green\n  # ask\n\n# footer\n",
];

/// The reader's property test's seed files (`store/read/tests.rs`).
pub(crate) const READER_SEEDS: [&str; 2] = [
    "name: Ada\nemail: a@b\ntags: [vip, \"x\"]\npreferences:\n  coffee: oat\nfollow_up:\n  every: 30d\ninteractions:\n  - date: 2025-03-01\n    kind: purchase\n    amount: 129.00\n    items: [A, B]\n  - {date: 2025-03-02, kind: call, summary: 'hi *x* [y'}\nnotes: |\n  a *b* [c\n",
    "name: A\na: &a [1, 2]\nb: *a\nc: !!int 5\n? [x]\n: y\n",
];

/// The three-way merge's property test's seed files (`store/merge/tests.rs`): the
/// appender's, but for a plain value where the appender's has an alias.
pub(crate) const MERGE_SEEDS: [&str; 7] = [
    "name: Ada # c\ninteractions:\n  - date: 2025-03-01\n    kind: call\n    summary: \"a\n b\"\n  # note\nnotes: |\n  x\n\n# footer\n",
    "name: A\rinteractions: [ {date: 2025-03-01, kind: call} , ]\rtags: [a, b]\r",
    "---\nname: A\ninteractions: ~ # none\nprefs:\n  a: >+\n    t\n\n...\n",
    "  name: 'A'\n  \"interactions\":\n  - date: 2025-03-01\n    kind: call\n    channel:\n  x: 1\n",
    "name: A\ninteractions:\n    -   date: 2025-03-01\n        kind: call\n        items: [p, q]\nz: 1",
    "%YAML 1.1\n--- # c\n? name\n: A\nlog: &l [a]\ninteractions:\n- {date: 2025-03-01, kind: call}\n- date: 2025-03-02\n  kind: note\n  summary: >-\n    folded\n    text\n\n  # x\nold: *l\n",
    "name: A\r\ninteractions: [\r\n  {date: 2025-03-01, kind: call},  # one\r\n  # two\r\n]\r\nnotes: plain\r\n  continued\r\n",
];

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
