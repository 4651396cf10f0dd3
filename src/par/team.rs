//! A thread team for short parallel loops: the calling thread plus `threads - 1` helper threads
//! that spin between the loops instead of sleeping. The Navier-Stokes step (its MAC loops and
//! multigrid solves) and the weather step (its six stages) run on one.
//!
//! Why not the rayon pool: a V-cycle runs dozens of short loops (a 128^2 level sweeps in tens of
//! microseconds, the coarse levels in less). Handing each to rayon from outside the pool costs a
//! futex wake of a sleeping worker and a futex sleep of the caller per loop; measured on the 128^2
//! cavity, 2 threads spent 1000 futex and 400 sched_yield calls per time step and ran 1.8x SLOWER
//! than one thread. A team loop instead publishes a job (one atomic increment) to helpers that are
//! already spinning, runs the caller's share itself and spins until the helpers are done, as an
//! OpenMP `parallel for` with an active wait policy does (OMP_WAIT_POLICY / GOMP_SPINCOUNT). The
//! caller stays the thread that started the solve, so MPI calls (halo exchanges between loops)
//! stay on the main thread (MPI_THREAD_FUNNELED). Loops smaller than [`PAR_MIN_CELLS`] run on the
//! caller alone: below that the hand-over costs more than it saves.
//!
//! Waiting helpers spin for [`SPIN`], then yield the CPU for [`YIELD`], then park on a condition
//! variable; [`Team::rest`] (the end of a solve or of a time step that runs on the team) parks
//! them at once. Bands are
//! claimed one at a time by the caller and the helpers, and the caller waits only for bands a
//! helper has started: a helper the OS has not scheduled costs the loop nothing. Rows are split
//! into contiguous bands; every cell is computed by the same expression whatever band it is in,
//! so the results do not depend on the thread count.

use crossbeam_utils::CachePadded;
use std::cell::UnsafeCell;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Loops over fewer cells than this run on the calling thread alone.
pub const PAR_MIN_CELLS: usize = 4096;
/// Bands per thread of a parallel loop. One: measured on the 128^2 cavity (Crank-Nicolson, 300
/// steps) 2 threads took 1.06-1.11 s with one band per thread against 1.12-1.13 s with two, 1.19-1.26
/// with four (every band edge adds serial work to a smoothing sweep, and every band a claim);
/// the V-cycle alone 13.3-13.8 against 14.6-15.1 ns per cell at 128^2, 10.3-12.7 against
/// 10.6-11.5 at 512^2; the weather step is indifferent.
const CHUNKS_PER_THREAD: usize = 1;
/// How long a waiting thread spins before it starts yielding the CPU.
const SPIN: Duration = Duration::from_micros(50);
/// How long a waiting helper then yields before it parks. On a loaded machine the yields let the
/// kernel's EEVDF scheduler push the helper far back (each sched_yield costs it a slice): measured
/// on the 128^2 cavity with load 5 on 2 CPUs, the helper ran 1.6 % of the time. Bands are
/// claimed one at a time, so such a helper only leaves its bands to the caller.
const YIELD: Duration = Duration::from_micros(500);

/// A job: band `c` of the current loop.
type Job = dyn Fn(usize) + Sync;

/// The claim word: (generation mod 2^32) << 32 | end << 16 | start, where start..end are the
/// bands not yet claimed (at first 0..n).
fn claim_word(g: u64, n: usize) -> u64 {
    ((g & 0xffff_ffff) << 32) | ((n as u64) << 16)
}

/// The words the caller and the helpers share, each on cache lines of its own (`CachePadded`):
/// the helpers spin on `generation` while the caller claims and counts bands, and on a shared line
/// every such write would take the line away from the spinning reader.
struct Inner {
    /// Incremented for every job.
    generation: CachePadded<AtomicU64>,
    /// The current job (a borrowed closure, valid until every band is done). Written by the caller
    /// before it publishes the job's claim word and generation; read by a helper only after it
    /// claimed a band of that job (which happens after the publication), and the caller does not
    /// write it again before every band is done: no data race, no lock.
    job: CachePadded<UnsafeCell<Option<JobPtr>>>,
    /// [`claim_word`]: bands are claimed by compare-and-swap of one word that holds the job's
    /// generation and band count, so a helper late for a job (its generation is old) claims
    /// nothing and never touches the job.
    claim: CachePadded<AtomicU64>,
    /// Bands of the current job that are finished.
    done: CachePadded<AtomicUsize>,
    /// Parked helpers, and their condition variable (with `lock`).
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
    /// Park without spinning (between solves).
    rest: AtomicBool,
    stop: AtomicBool,
    /// A helper's job panicked.
    panicked: AtomicBool,
}

// SAFETY: `job` is only written by the thread running `Team::run` while no helper may read it, and
// read by helpers only for a job they claimed a band of (see `Inner::job`); every other field is
// an atomic or a lock.
unsafe impl Sync for Inner {}

#[derive(Clone, Copy)]
struct JobPtr(*const Job);
// SAFETY: the pointer is only dereferenced while `Team::run` keeps the closure alive (it waits for
// every helper), and the closure is Sync.
unsafe impl Send for JobPtr {}

pub struct Team {
    inner: Arc<Inner>,
    threads: usize,
    helpers: Vec<JoinHandle<()>>,
}

impl Team {
    /// A team of `threads` threads (the caller and `threads - 1` helpers).
    pub fn new(threads: usize) -> Team {
        let threads = threads.max(1);
        let inner = Arc::new(Inner {
            generation: CachePadded::new(AtomicU64::new(0)),
            job: CachePadded::new(UnsafeCell::new(None)),
            claim: CachePadded::new(AtomicU64::new(0)),
            done: CachePadded::new(AtomicUsize::new(0)),
            sleepers: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            rest: AtomicBool::new(true),
            stop: AtomicBool::new(false),
            panicked: AtomicBool::new(false),
        });
        let helpers = (1..threads)
            .map(|id| {
                let inner = inner.clone();
                std::thread::Builder::new()
                    .name(format!("simrun-team-{id}"))
                    .spawn(move || helper(&inner))
                    .expect("cannot start a team helper thread")
            })
            .collect();
        Team { inner, threads, helpers }
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Let the helpers spin between loops (the start of a solve).
    pub fn wake(&self) {
        self.inner.rest.store(false, SeqCst);
    }

    /// Park the helpers (the end of a solve).
    pub fn rest(&self) {
        self.inner.rest.store(true, SeqCst);
    }

    /// Run `f(c)` for every band c in 0..n, claimed by the caller and the helpers that arrive in
    /// time. Returns when every band is done. The caller waits only for bands a helper has
    /// claimed and not finished, never for a helper that has not started (one the OS has not
    /// scheduled yet, on a loaded machine): the caller then claims the bands itself.
    fn run(&self, n: usize, f: &(dyn Fn(usize) + Sync)) {
        let inner = &*self.inner;
        assert!(n < 1 << 16, "too many bands");
        // SAFETY: only the lifetime is erased; this function does not return before every band
        // is done, and a helper touches the job only for a band it claimed (see `claim`).
        let ptr: *const Job = unsafe { std::mem::transmute::<&(dyn Fn(usize) + Sync), &'static Job>(f) };
        // SAFETY: no helper reads the job now: every band of the last job is done, and the new
        // job's bands are not published yet (see `Inner::job`).
        unsafe { *inner.job.get() = Some(JobPtr(ptr)) };
        let g = inner.generation.load(SeqCst) + 1;
        inner.done.store(0, SeqCst);
        inner.claim.store(claim_word(g, n), SeqCst);
        inner.generation.store(g, SeqCst);
        if inner.sleepers.load(SeqCst) > 0 {
            let _g = inner.lock.lock().expect("team lock");
            inner.wake.notify_all();
        }
        let mut mine = Ok(());
        while let Some(c) = claim(inner, g, false) {
            if mine.is_ok() {
                mine = catch_unwind(AssertUnwindSafe(|| f(c)));
            }
            inner.done.fetch_add(1, SeqCst);
        }
        let t = Instant::now();
        let mut k = 0u32;
        while inner.done.load(SeqCst) != n {
            k = k.wrapping_add(1);
            if k < 256 || t.elapsed() < SPIN {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        if let Err(e) = mine {
            std::panic::resume_unwind(e);
        }
        if inner.panicked.load(SeqCst) {
            panic!("a team helper thread panicked");
        }
    }

    /// Band `c` of `chunks` over `n` rows.
    pub fn band(n: usize, chunks: usize, c: usize) -> Range<usize> {
        (n * c / chunks)..(n * (c + 1) / chunks)
    }

    /// Into how many bands a loop over `cells` cells in `rows` rows is cut (1: it runs on the
    /// caller alone): [`CHUNKS_PER_THREAD`] per thread, claimed dynamically, so that a helper the
    /// OS has not scheduled when a loop starts leaves its band to the caller.
    pub fn chunks(&self, rows: usize, cells: usize) -> usize {
        if self.threads == 1 || cells < PAR_MIN_CELLS {
            1
        } else {
            (CHUNKS_PER_THREAD * self.threads).min(rows).max(1)
        }
    }

    /// Call `f(c)` for every c in 0..n, in parallel (the caller alone on a team of one): for
    /// loops whose caller chose its own bands.
    pub fn each(&self, n: usize, f: impl Fn(usize) + Sync) {
        if self.threads == 1 || n < 2 {
            (0..n).for_each(f);
            return;
        }
        self.run(n, &f);
    }

    /// Call `f(c, rows)` for the bands `c` of [`Team::chunks`]`(rows, cells)`, in parallel.
    pub fn bands(&self, rows: usize, cells: usize, f: impl Fn(usize, Range<usize>) + Sync) {
        let n = self.chunks(rows, cells);
        if n == 1 {
            f(0, 0..rows);
            return;
        }
        self.run(n, &|c| f(c, Team::band(rows, n, c)));
    }

    /// Call `f(j, row)` for every interior row j (length nx) of the 2-D field `field`, in
    /// parallel bands (each band writes only its own rows).
    pub fn rows(&self, field: &mut crate::field::Field, f: impl Fn(usize, &mut [f64]) + Sync) {
        let [_, ny, nx] = field.n;
        let (first, stride, len) = (field.idx(0, 0, 0), field.strides()[1], field.data.len());
        let base = Shared(field.data.as_mut_ptr());
        self.bands(ny, ny * nx, |_, rows| {
            for j in rows {
                let r0 = first + j * stride;
                assert!(r0 + nx <= len);
                // SAFETY: in bounds (checked); the bands' rows are disjoint, so no two threads
                // touch the same row, and `field` is borrowed mutably for the whole call.
                f(j, unsafe { std::slice::from_raw_parts_mut(base.get().add(r0), nx) });
            }
        });
    }

    /// Set every value of the 2-D field `field` (halos included) to 0, each thread the padded rows
    /// of its own band (the rows its next loops work on: zeroed by one thread, the other threads'
    /// rows would start those loops in that thread's cache).
    pub fn zero(&self, field: &mut crate::field::Field) {
        assert!(field.n[0] == 1 && field.h[0] == 0, "a 2-D field");
        let [_, ny, nx] = field.n;
        let (h, padded, stride) = (field.h[1], field.padded()[1], field.strides()[1]);
        let (len, base) = (field.data.len(), Shared(field.data.as_mut_ptr()));
        self.bands(ny, ny * nx, |_, r| {
            let a = if r.start == 0 { 0 } else { r.start + h };
            let b = if r.end == ny { padded } else { r.end + h };
            assert!(b * stride <= len);
            // SAFETY: in bounds (checked); the bands' padded rows are disjoint and `field` is
            // borrowed mutably for the whole loop.
            unsafe { std::slice::from_raw_parts_mut(base.get().add(a * stride), (b - a) * stride) }.fill(0.0);
        });
    }

    /// Fold the bands of `0..rows` into one value each (`f(rows)`), merged by `merge` (which must
    /// not depend on the order: max, exact sums).
    pub fn fold<A: Send>(
        &self,
        rows: usize,
        cells: usize,
        f: impl Fn(Range<usize>) -> A + Sync,
        merge: impl Fn(A, A) -> A,
    ) -> A {
        let n = self.chunks(rows, cells);
        if n == 1 {
            return f(0..rows);
        }
        let slots: Vec<Mutex<Option<A>>> = (0..n).map(|_| Mutex::new(None)).collect();
        self.bands(rows, cells, |c, r| {
            let v = f(r);
            *slots[c].lock().expect("team fold slot") = Some(v);
        });
        let mut it = slots.into_iter().map(|s| s.into_inner().expect("team fold slot").expect("every band folded"));
        let first = it.next().expect("at least one band");
        it.fold(first, merge)
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        self.inner.stop.store(true, SeqCst);
        {
            let _g = self.inner.lock.lock();
            self.inner.wake.notify_all();
        }
        for h in self.helpers.drain(..) {
            let _ = h.join();
        }
    }
}

/// Claim a band of job `g`, if any is left: the caller takes the lowest band left, helpers the
/// highest. So while both run, the caller computes the low rows and the helper the high rows in
/// every loop, the same rows from one loop to the next, and each row's data stays in one core's
/// cache (with bands taken in one order by all, a 100 x 50 weather step moved its rows between the
/// cores' caches every stage: 2 threads 8 % slower than 2 ranks).
fn claim(inner: &Inner, g: u64, from_end: bool) -> Option<usize> {
    let mut cur = inner.claim.load(SeqCst);
    loop {
        let (start, end) = ((cur & 0xffff) as usize, ((cur >> 16) & 0xffff) as usize);
        if cur >> 32 != g & 0xffff_ffff || start >= end {
            return None;
        }
        let (next, c) = if from_end { (cur - (1 << 16), end - 1) } else { (cur + 1, start) };
        match inner.claim.compare_exchange_weak(cur, next, SeqCst, SeqCst) {
            Ok(_) => return Some(c),
            Err(now) => cur = now,
        }
    }
}

fn helper(inner: &Inner) {
    let mut seen = 0u64;
    loop {
        // Wait for the next job: spin, yield, park.
        let t = Instant::now();
        let (mut k, mut waited) = (0u32, Duration::ZERO);
        loop {
            if inner.stop.load(Acquire) {
                return;
            }
            let g = inner.generation.load(Acquire);
            if g != seen {
                seen = g;
                break;
            }
            k = k.wrapping_add(1);
            if k % 64 == 0 {
                waited = t.elapsed();
            }
            if inner.rest.load(Relaxed) || waited >= SPIN + YIELD {
                let mut g = inner.lock.lock().expect("team lock");
                inner.sleepers.fetch_add(1, SeqCst);
                while inner.generation.load(SeqCst) == seen && !inner.stop.load(SeqCst) {
                    g = inner.wake.wait(g).expect("team lock");
                }
                inner.sleepers.fetch_sub(1, SeqCst);
            } else if waited >= SPIN {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
        while let Some(c) = claim(inner, seen, true) {
            // The job stays alive until this band is counted done.
            // SAFETY: this band of job `seen` is claimed, so the job was published before the
            // claim and stays in place until the band is counted done (see `Inner::job`).
            let job = unsafe { *inner.job.get() }.expect("a published job");
            // SAFETY: `Team::run` keeps the closure alive until every band is done.
            let r = catch_unwind(AssertUnwindSafe(|| unsafe { (*job.0)(c) }));
            if r.is_err() {
                inner.panicked.store(true, SeqCst);
            }
            inner.done.fetch_add(1, SeqCst);
        }
    }
}

/// A raw pointer to a field's data that the bands of one loop share: each band writes only its
/// own rows (or, in a colour sweep, only cells of one colour in its own rows).
#[derive(Clone, Copy)]
pub struct Shared(pub *mut f64);
// SAFETY: the users keep the bands' writes disjoint from every other band's reads and writes and
// the data outlives the loop (see each use).
unsafe impl Send for Shared {}
// SAFETY: as for Send.
unsafe impl Sync for Shared {}

impl Shared {
    /// The pointer (a method, so that closures capture the whole `Shared`).
    #[inline]
    pub fn get(self) -> *mut f64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_cover_the_rows_once_and_folds_merge_every_band() {
        for threads in 1..=3 {
            let team = Team::new(threads);
            team.wake();
            for rows in [1, 2, 5, 64, 1000] {
                let hits: Vec<AtomicUsize> = (0..rows).map(|_| AtomicUsize::new(0)).collect();
                team.bands(rows, 1 << 20, |_, r| r.for_each(|y| _ = hits[y].fetch_add(1, SeqCst)));
                assert!(hits.iter().all(|h| h.load(SeqCst) == 1), "{threads} threads, {rows} rows");
                let sum = team.fold(rows, 1 << 20, |r| r.sum::<usize>(), |a, b| a + b);
                assert_eq!(sum, rows * (rows - 1) / 2);
            }
            team.rest();
        }
    }
}
