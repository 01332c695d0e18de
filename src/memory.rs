//! What the binary asks of the allocator.
//!
//! The binary allocates with mimalloc (main.rs). Two of its defaults cost memory that
//! pmsite never uses:
//! - it asks the kernel for transparent huge pages (`madvise`), so a 2 MiB page is resident
//!   as soon as one of its bytes is: built with `no_thp` (Cargo.toml), a 10,000-postmortem
//!   build peaks at 252 MiB instead of 298, in the same time (7.7 s both); at 100,000 the
//!   peak and the time are the same either way;
//! - it keeps pages freed by a thread for a second before giving them back, and for a
//!   thread's next allocations until then. A build exits and gives everything back;
//!   `pmsite serve` lives on between edits, so it asks for freed pages to go back soon
//!   ([`return_freed_pages_soon`]) and for all of them after each build ([`give_back`]).

use libmimalloc_sys::mi_option_t;

/// mimalloc's `mi_option_purge_delay` (v3's `mimalloc.h`; the crate names no constant for
/// it): how many milliseconds freed pages wait before they go back to the system.
const PURGE_DELAY: mi_option_t = 15;

/// Freed pages go back to the system after 10 ms instead of a second: the preview's peak
/// fell by 60-70 MiB at 10,000 postmortems (bench/serve.py). Not for a build, which took
/// 2% longer at 10 ms (a fifth at 0 ms) for 30 MiB less peak.
pub fn return_freed_pages_soon() {
    // SAFETY: setting an option is a store mimalloc reads at its next purge.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 10) };
}

/// Asks the allocator to give freed memory back to the system, on this thread and on
/// every thread of rayon's pool. (Harmless under another allocator: mimalloc then has
/// nothing to give.)
pub fn give_back() {
    // SAFETY: mi_collect only walks the calling thread's own heap.
    let collect = || unsafe { libmimalloc_sys::mi_collect(true) };
    rayon::broadcast(|_| collect());
    collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_mimalloc_defaults_to_a_second() {
        // Another option at that index (a mimalloc that renumbered its options) would
        // have another default: 1,000 ms is purge_delay's alone.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) }, 1000);
    }
}
