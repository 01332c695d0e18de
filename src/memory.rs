//! What a long-running preview does about the allocator.
//!
//! The binary allocates with mimalloc (main.rs), which keeps the pages a thread freed for
//! that thread's next allocations: after a build, several hundred megabytes that no one
//! uses. A build exits and gives them all back; `pmsite serve` lives on between edits.

/// Asks the allocator to give freed memory back to the system, on this thread and on
/// every thread of rayon's pool. (Harmless under another allocator: mimalloc then has
/// nothing to give.)
pub fn give_back() {
    // SAFETY: mi_collect only walks the calling thread's own heap.
    let collect = || unsafe { libmimalloc_sys::mi_collect(true) };
    rayon::broadcast(|_| collect());
    collect();
}
