//! The MPI communicator (rsmpi over the system MPI): halo exchange by non-blocking point-to-point
//! messages, reductions and gathers by MPI collectives. Reductions of floating-point sums go
//! through [`super::ExactSum`] limbs (integers), so they are exact and split-independent.

use super::halo::{fill_axis_by_axis, pack_slab, unpack_slab, wrap_local, GhostFill, SlabSpec};
use super::Comm;
use crate::decomp::Decomp;
use crate::field::Field;
use mpi::collective::SystemOperation;
use mpi::point_to_point::{Destination, Source};
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::*;
use std::cell::RefCell;

/// Tag of the point-to-point transfers of [`Comm::send_f64`] (halo messages use their own tags).
const P2P_TAG: i32 = 300;
/// Tag of the messages of [`Comm::exchange_f64`].
const EXCHANGE_TAG: i32 = 301;

/// MPI over a communicator: the world (from [`MpiComm::init`]) or a part of it
/// ([`Comm::split`]; its sub-communicators must be dropped before the world's `MpiComm`).
pub struct MpiComm {
    world: SimpleCommunicator,
    /// Send and receive buffers of the halo messages, one pair per message slot of
    /// [`MpiComm::exchange_axes`], kept between calls so that steady stepping allocates none.
    halo_bufs: RefCell<HaloBuffers>,
    // Finalises MPI when dropped (the world's only); declared last so the communicator goes first.
    _universe: Option<mpi::environment::Universe>,
}

/// How this process was started, as far as MPI is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// No launcher, or a launcher that started just this one task without MPI wiring
    /// (`srun -n 1` without `--mpi=pmix`): run as one process.
    Single,
    /// An MPI launcher the library can join (mpirun, `srun --mpi=pmix`).
    Mpi,
    /// Several tasks the MPI library cannot connect (e.g. `srun -n 4` without `--mpi=pmix`):
    /// refuse with this one-line hint rather than run N independent copies.
    Unusable(String),
}

/// Decide from the environment how this process was started. OpenMPI's mpirun sets
/// `OMPI_COMM_WORLD_SIZE`; PMIx launchers (mpirun, `srun --mpi=pmix`) set `PMIX_RANK`. Debian's
/// OpenMPI has no PMI-1/PMI-2 support, so Slurm tasks started without PMIx (plain `srun`, or
/// `--mpi=pmi2`) cannot form one MPI job: one such task runs alone, several are refused.
pub fn launch() -> Launch {
    let var = |v: &str| std::env::var(v).ok();
    if var("OMPI_COMM_WORLD_SIZE").is_some() || var("PMIX_RANK").is_some() {
        return Launch::Mpi;
    }
    let tasks = var("SLURM_STEP_NUM_TASKS").or_else(|| var("PMI_SIZE")).and_then(|n| n.parse::<usize>().ok());
    match tasks {
        Some(n) if n > 1 => Launch::Unusable(format!(
            "started as one of {n} tasks without PMIx, so the tasks cannot form one MPI job; launch with `srun --mpi=pmix -n {n} ...` (Debian's OpenMPI supports PMIx only) or `mpirun -n {n} ...`"
        )),
        _ => Launch::Single,
    }
}

/// Was this process started by an MPI launcher it can join (mpirun, `srun --mpi=pmix`)?
pub fn launched_by_mpi() -> bool {
    launch() == Launch::Mpi
}

/// The send and the receive buffer of each message slot.
#[derive(Default)]
struct HaloBuffers {
    send: Vec<Vec<f64>>,
    recv: Vec<Vec<f64>>,
}

impl MpiComm {
    /// Initialise MPI with at least funneled threading (only the main thread calls MPI).
    pub fn init() -> Result<MpiComm, String> {
        let (universe, threading) = mpi::initialize_with_threading(mpi::Threading::Funneled)
            .ok_or_else(|| "MPI was already initialised".to_string())?;
        if threading < mpi::Threading::Funneled {
            return Err(format!("the MPI library offers only {threading:?} threading; simrun needs Funneled"));
        }
        let world = universe.world();
        Ok(MpiComm { world, halo_bufs: RefCell::default(), _universe: Some(universe) })
    }

    /// The slabs `specs`: post receives and sends, run `work` while they fly, then unpack. The
    /// buffers come from `halo_bufs` and go back to it.
    fn exchange_axes(&self, d: &Decomp, f: &mut Field, specs: &[SlabSpec], work: &mut dyn FnMut(&Field)) {
        let mut bufs = self.halo_bufs.take();
        if bufs.send.len() < specs.len() {
            bufs.send.resize_with(specs.len(), Vec::new);
            bufs.recv.resize_with(specs.len(), Vec::new);
        }
        // Messages: (neighbour rank, send tag, receive tag, spec); message i uses buffers i.
        let mut msgs: Vec<(i32, i32, i32, SlabSpec)> = Vec::with_capacity(specs.len());
        for &spec in specs {
            let dir = if spec.hi { 1 } else { -1 };
            let Some(nb) = d.neighbour(spec.axis, dir) else { continue };
            // We send our interior next to this face; it lands in the neighbour's opposite halo.
            let i = msgs.len();
            pack_slab(f, spec, &mut bufs.send[i]);
            let n = bufs.send[i].len();
            bufs.recv[i].clear();
            bufs.recv[i].resize(n, 0.0);
            let send_tag = (spec.axis * 2 + usize::from(!spec.hi)) as i32;
            let recv_tag = (spec.axis * 2 + usize::from(spec.hi)) as i32;
            msgs.push((nb as i32, send_tag, recv_tag, spec));
        }
        let (sends, recvs) = (&bufs.send[..msgs.len()], &mut bufs.recv[..msgs.len()]);
        mpi::request::scope(|scope| {
            let mut reqs = Vec::with_capacity(msgs.len());
            for (&(nb, _, tag, _), recv) in msgs.iter().zip(recvs.iter_mut()) {
                reqs.push(self.world.process_at_rank(nb).immediate_receive_into_with_tag(scope, &mut recv[..], tag));
            }
            let mut sreqs = Vec::with_capacity(msgs.len());
            for (&(nb, tag, _, _), send) in msgs.iter().zip(sends) {
                sreqs.push(self.world.process_at_rank(nb).immediate_send_with_tag(scope, &send[..], tag));
            }
            work(f);
            for r in reqs {
                r.wait();
            }
            for r in sreqs {
                r.wait();
            }
        });
        for (&(_, _, _, spec), recv) in msgs.iter().zip(bufs.recv.iter()) {
            unpack_slab(f, spec, recv);
        }
        self.halo_bufs.replace(bufs);
    }
}

impl Comm for MpiComm {
    fn rank(&self) -> usize {
        self.world.rank() as usize
    }
    fn size(&self) -> usize {
        self.world.size() as usize
    }
    fn describe(&self) -> String {
        format!("MPI ({} ranks)", self.size())
    }

    fn exchange_halos(&self, d: &Decomp, f: &mut Field, w: [usize; 3]) {
        let mut with_halo = [false; 3];
        for axis in [2, 1, 0] {
            if w[axis] > 0 {
                if d.procs[axis] == 1 {
                    if d.periodic[axis] {
                        wrap_local(f, axis, w[axis], with_halo);
                    }
                } else {
                    let specs = [false, true].map(|hi| SlabSpec { axis, hi, width: w[axis], with_halo });
                    self.exchange_axes(d, f, &specs, &mut |_| {});
                }
            }
            with_halo[axis] = true;
        }
    }

    fn exchange_faces_overlapped(&self, d: &Decomp, f: &mut Field, w: [usize; 3], work: &mut dyn FnMut(&Field)) {
        let mut specs = Vec::new();
        for axis in [2, 1, 0] {
            if w[axis] == 0 {
                continue;
            }
            if d.procs[axis] == 1 {
                if d.periodic[axis] {
                    wrap_local(f, axis, w[axis], [false; 3]);
                }
            } else {
                for hi in [false, true] {
                    specs.push(SlabSpec { axis, hi, width: w[axis], with_halo: [false; 3] });
                }
            }
        }
        self.exchange_axes(d, f, &specs, work);
    }

    fn fill_halos_overlapped(
        &self,
        d: &Decomp,
        f: &mut Field,
        w: [usize; 3],
        ghosts: &mut GhostFill,
        work: &mut dyn FnMut(&Field),
    ) {
        fill_axis_by_axis(d, f, w, ghosts, work, &mut |f, specs, work| self.exchange_axes(d, f, specs, work));
    }

    fn sum_i64(&self, v: &mut [i64]) {
        let send = v.to_vec();
        self.world.all_reduce_into(&send[..], v, SystemOperation::sum());
    }
    fn min_f64(&self, v: &mut [f64]) {
        let send = v.to_vec();
        self.world.all_reduce_into(&send[..], v, SystemOperation::min());
    }
    fn max_f64(&self, v: &mut [f64]) {
        let send = v.to_vec();
        self.world.all_reduce_into(&send[..], v, SystemOperation::max());
    }

    fn gather_to_root(&self, d: &Decomp, local: &[f64]) -> Option<Vec<f64>> {
        const TAG: i32 = 100;
        if self.rank() != 0 {
            self.world.process_at_rank(0).send_with_tag(local, TAG);
            return None;
        }
        let g = d.global;
        let mut out = vec![0.0; g.iter().product()];
        for r in 0..self.size() {
            let (o, s) = d.block_of(r);
            let buf: Vec<f64> = if r == 0 {
                local.to_vec()
            } else {
                let mut b = vec![0.0; s.iter().product()];
                self.world.process_at_rank(r as i32).receive_into_with_tag(&mut b[..], TAG);
                b
            };
            let mut k = 0;
            for z in 0..s[0] {
                for y in 0..s[1] {
                    let i = ((o[0] + z) * g[1] + o[1] + y) * g[2] + o[2];
                    out[i..i + s[2]].copy_from_slice(&buf[k..k + s[2]]);
                    k += s[2];
                }
            }
        }
        Some(out)
    }

    fn broadcast_bytes(&self, buf: &mut Vec<u8>) {
        let root = self.world.process_at_rank(0);
        let mut len = [buf.len() as u64];
        root.broadcast_into(&mut len[..]);
        buf.resize(len[0] as usize, 0);
        if !buf.is_empty() {
            root.broadcast_into(&mut buf[..]);
        }
    }

    fn gather_u64(&self, local: &[u64]) -> Option<Vec<u64>> {
        let root = self.world.process_at_rank(0);
        let count = local.len() as mpi::Count;
        if self.rank() != 0 {
            root.gather_into(&count);
            root.gather_varcount_into(local);
            return None;
        }
        let mut counts = vec![0 as mpi::Count; self.size()];
        root.gather_into_root(&count, &mut counts[..]);
        let displs: Vec<mpi::Count> = counts
            .iter()
            .scan(0, |acc, &c| {
                let d = *acc;
                *acc += c;
                Some(d)
            })
            .collect();
        let mut out = vec![0u64; counts.iter().map(|&c| c as usize).sum()];
        {
            let mut part = mpi::datatype::PartitionMut::new(&mut out[..], counts, &displs[..]);
            root.gather_varcount_into_root(local, &mut part);
        }
        Some(out)
    }

    fn node_ranks(&self) -> Vec<usize> {
        let node = self.world.split_shared(self.world.rank());
        let me = self.world.rank();
        let mut all = vec![0 as mpi::Rank; node.size() as usize];
        node.all_gather_into(&me, &mut all[..]);
        all.into_iter().map(|r| r as usize).collect()
    }

    fn send_f64(&self, to: usize, data: &[f64]) {
        // In pieces of at most 2^27 values: MPI counts are 32-bit.
        for piece in data.chunks(1 << 27) {
            self.world.process_at_rank(to as mpi::Rank).send_with_tag(piece, P2P_TAG);
        }
    }

    fn recv_f64(&self, from: usize, out: &mut [f64]) {
        for piece in out.chunks_mut(1 << 27) {
            self.world.process_at_rank(from as mpi::Rank).receive_into_with_tag(piece, P2P_TAG);
        }
    }

    fn all_gather_f64(&self, local: &[f64]) -> Vec<f64> {
        let n = self.size();
        let mut counts = vec![0 as mpi::Count; n];
        self.world.all_gather_into(&(local.len() as mpi::Count), &mut counts[..]);
        let displs: Vec<mpi::Count> = counts
            .iter()
            .scan(0, |acc, &c| {
                let d = *acc;
                *acc += c;
                Some(d)
            })
            .collect();
        let total: usize = counts.iter().map(|&c| c as usize).sum();
        let mut out = vec![0.0; total];
        {
            let mut part = mpi::datatype::PartitionMut::new(&mut out[..], counts, &displs[..]);
            self.world.all_gather_varcount_into(local, &mut part);
        }
        out
    }

    fn barrier(&self) {
        self.world.barrier();
    }

    fn exchange_f64(&self, sends: &[(usize, &[f64])], recvs: &mut [(usize, &mut [f64])]) {
        let me = self.rank();
        let fits = |n: usize| n <= mpi::Count::MAX as usize;
        assert!(sends.iter().all(|(r, d)| *r != me && fits(d.len())), "exchange_f64: a send to self or too long");
        assert!(recvs.iter().all(|(r, d)| *r != me && fits(d.len())), "exchange_f64: a receive from self or too long");
        mpi::request::scope(|scope| {
            let mut reqs = Vec::with_capacity(sends.len() + recvs.len());
            for (from, buf) in recvs.iter_mut() {
                let p = self.world.process_at_rank(*from as mpi::Rank);
                reqs.push(p.immediate_receive_into_with_tag(scope, &mut buf[..], EXCHANGE_TAG));
            }
            for (to, data) in sends {
                let p = self.world.process_at_rank(*to as mpi::Rank);
                reqs.push(p.immediate_send_with_tag(scope, &data[..], EXCHANGE_TAG));
            }
            for r in reqs {
                r.wait();
            }
        });
    }

    fn split(&self, color: Option<u32>, key: usize) -> Option<Box<dyn Comm>> {
        let c = color.map_or(mpi::topology::Color::undefined(), |c| mpi::topology::Color::with_value(c as i32));
        let sub = self.world.split_by_color_with_key(c, key as mpi::topology::Key)?;
        Some(Box::new(MpiComm { world: sub, halo_bufs: RefCell::default(), _universe: None }))
    }
}
