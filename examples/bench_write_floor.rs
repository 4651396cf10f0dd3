//! The write floor of a checkpoint, and what each part of simrun's data-file path costs on top,
//! on one thread (the I/O thread's situation): CPU seconds (getrusage(RUSAGE_THREAD), user+sys)
//! and wall seconds, medians over interleaved rounds, for one block of MIB MiB of f64:
//!
//! - `raw`: `write` of the bytes in one call + fsync + rename (the floor);
//! - `raw+dontneed`: the same, then posix_fadvise(DONTNEED) so the written pages leave the cache;
//! - `xxh3`: the content hash of the block in ~1 MiB row bands (no I/O);
//! - `finite`: the finiteness check (no I/O);
//! - `h5-contig`: HDF5, one contiguous dataset, + fsync + rename (simrun's layout);
//! - `h5-chunk+f32`: HDF5 chunked in ~1 MiB bands with fletcher32 (the layout before issue 16).
//!
//! Usage: cargo run --release --example bench_write_floor -- [MIB] [ROUNDS] [DIR]
//! Prints one line per case and a last line of JSON (`floor_json {...}`) for scripts.
//!
//! `bench_write_floor --beside MIB PERIOD DIR`: the floor as a neighbour of a computation. Writes
//! one block every PERIOD seconds until killed, the cheapest way (O_DIRECT from an aligned buffer:
//! no copy, no checks, no hash), so a run beside it shows what the bare writes at a checkpoint's
//! cadence cost the compute threads (the device's work on this machine's cores, memory traffic)
//! with none of simrun's I/O path (scripts/bench-checkpoint.sh).

use std::io::Write;
use std::time::Instant;

fn thread_cpu() -> f64 {
    // SAFETY: rusage is plain old data; all zeros is a valid value.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage fills the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut u) };
    let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    s(u.ru_utime) + s(u.ru_stime)
}

fn sync_and_rename(tmp: &std::path::Path, path: &std::path::Path, dontneed: bool) {
    let f = std::fs::File::open(tmp).expect("reopen");
    f.sync_all().expect("fsync");
    if dontneed {
        use std::os::fd::AsRawFd;
        // SAFETY: a valid fd; advice only.
        unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    }
    std::fs::rename(tmp, path).expect("rename");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--beside") {
        return beside(&args[2..]);
    }
    let mib: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(128);
    let rounds: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(5);
    let dir = std::path::PathBuf::from(args.get(3).cloned().unwrap_or_else(|| "out/write_floor".into()));
    std::fs::create_dir_all(&dir).expect("create dir");
    let n = mib << 17;
    let nx = 4096.min(n);
    let ny = n / nx;
    let data: Vec<f64> = (0..ny * nx).map(|i| 1.0 + 0.5 * ((i as f64) * 1e-3).sin()).collect();
    let bytes: &[u8] = bytemuck::cast_slice(&data);
    let rows = simrun::io::checkpoint::record::chunk_rows([1, ny, nx]);
    let tmp = dir.join("block.tmp");
    let path = dir.join("block.bin");
    type Case<'a> = (&'static str, Box<dyn Fn() + 'a>);
    let cases: Vec<Case> = vec![
        (
            "raw",
            Box::new(|| {
                let mut f = std::fs::File::create(&tmp).expect("create");
                f.write_all(bytes).expect("write");
                drop(f);
                sync_and_rename(&tmp, &path, false);
            }),
        ),
        (
            "raw+dontneed",
            Box::new(|| {
                let mut f = std::fs::File::create(&tmp).expect("create");
                f.write_all(bytes).expect("write");
                drop(f);
                sync_and_rename(&tmp, &path, true);
            }),
        ),
        (
            "xxh3",
            Box::new(|| {
                std::hint::black_box(simrun::io::checkpoint::record::hash_block(&data, [1, ny, nx], rows));
            }),
        ),
        (
            "finite",
            Box::new(|| {
                std::hint::black_box(simrun::io::checkpoint::record::all_finite(&data));
            }),
        ),
        ("h5-contig", Box::new(|| h5(&data, [ny, nx], None, &tmp, &path))),
        ("direct-bounce", Box::new(|| direct(bytes, 1 << 20, &tmp, &path))),
        ("direct-bounce4", Box::new(|| direct(bytes, 4 << 20, &tmp, &path))),
        ("h5-chunk+f32", Box::new(|| h5(&data, [ny, nx], Some(rows), &tmp, &path))),
    ];
    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    let mut wall: Vec<Vec<f64>> = vec![Vec::new(); cases.len()];
    for _ in 0..rounds {
        for (k, (_, f)) in cases.iter().enumerate() {
            let (c0, t0) = (thread_cpu(), Instant::now());
            f();
            cpu[k].push(thread_cpu() - c0);
            wall[k].push(t0.elapsed().as_secs_f64());
        }
    }
    let _ = std::fs::remove_file(&path);
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut json = Vec::new();
    println!("{mib} MiB, {rounds} rounds, medians: CPU s (user+sys of this thread), wall s");
    for (k, (name, _)) in cases.iter().enumerate() {
        let (c, w) = (med(&mut cpu[k]), med(&mut wall[k]));
        println!("{name:>14}: cpu {c:.4}  wall {w:.4}");
        json.push(format!("\"{name}\": {{\"cpu\": {c:.6}, \"wall\": {w:.6}}}"));
    }
    println!("floor_json {{{}}}", json.join(", "));
}

fn h5(data: &[f64], shape: [usize; 2], chunk_rows: Option<usize>, tmp: &std::path::Path, path: &std::path::Path) {
    let f = hdf5::File::create(tmp).expect("h5 create");
    let view = ndarray::ArrayView2::from_shape(shape, data).expect("shape");
    let mut b = f.new_dataset_builder();
    if let Some(r) = chunk_rows {
        b = b.chunk(vec![r, shape[1]]).fletcher32();
    }
    b.with_data(&view).create("temperature").expect("h5 write");
    f.flush().expect("flush");
    drop(f);
    sync_and_rename(tmp, path, false);
}

/// O_DIRECT writes of `bytes` through an aligned bounce buffer of `band` bytes (the copy into it
/// stands for the pass that checks and hashes the band), + fsync + rename.
fn direct(bytes: &[u8], band: usize, tmp: &std::path::Path, path: &std::path::Path) {
    use std::os::unix::fs::FileExt;
    let f = open_direct(tmp);
    let layout = std::alloc::Layout::from_size_align(band, 4096).expect("layout");
    // SAFETY: a non-zero size.
    let p = unsafe { std::alloc::alloc(layout) };
    // SAFETY: `band` bytes just allocated.
    let bounce = unsafe { std::slice::from_raw_parts_mut(p, band) };
    let mut at = 0;
    while at < bytes.len() {
        let n = band.min(bytes.len() - at);
        bounce[..n].copy_from_slice(&bytes[at..at + n]);
        f.write_all_at(&bounce[..n], at as u64).expect("write O_DIRECT");
        at += n;
    }
    // SAFETY: allocated above with this layout.
    unsafe { std::alloc::dealloc(p, layout) };
    drop(f);
    sync_and_rename(tmp, path, false);
}

/// Create (or truncate) `tmp` for O_DIRECT writes.
fn open_direct(tmp: &std::path::Path) -> std::fs::File {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(libc::O_DIRECT)
        .open(tmp)
        .expect("open O_DIRECT")
}

/// `--beside MIB PERIOD DIR`: one block every PERIOD seconds, until killed, written the cheapest
/// way there is: O_DIRECT straight from an aligned buffer (no copy, no page cache, no kernel
/// write-back threads) + fsync + rename.
fn beside(args: &[String]) {
    use std::os::unix::fs::FileExt;
    let arg = |i: usize| args.get(i).unwrap_or_else(|| panic!("usage: bench_write_floor --beside MIB PERIOD DIR"));
    let mib: usize = arg(0).parse().expect("MIB: a whole number");
    let period: f64 = arg(1).parse().expect("PERIOD: seconds");
    let dir = std::path::PathBuf::from(arg(2));
    std::fs::create_dir_all(&dir).expect("create dir");
    let layout = std::alloc::Layout::from_size_align(mib << 20, 4096).expect("layout");
    // SAFETY: a non-zero size.
    let p = unsafe { std::alloc::alloc(layout) };
    // SAFETY: `mib` MiB just allocated, aligned for f64.
    let data = unsafe { std::slice::from_raw_parts_mut(p.cast::<f64>(), mib << 17) };
    for (i, v) in data.iter_mut().enumerate() {
        *v = 1.0 + 0.5 * ((i as f64) * 1e-3).sin();
    }
    let bytes: &[u8] = bytemuck::cast_slice(data);
    let (tmp, path) = (dir.join("beside.tmp"), dir.join("beside.bin"));
    let start = Instant::now();
    for i in 1.. {
        let f = open_direct(&tmp);
        f.write_all_at(bytes, 0).expect("write O_DIRECT");
        drop(f);
        sync_and_rename(&tmp, &path, false);
        let next = start + std::time::Duration::from_secs_f64(period * i as f64);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
}
