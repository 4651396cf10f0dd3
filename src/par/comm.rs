//! The communicator: everything that crosses rank boundaries. Physics calls it through this trait
//! and never knows whether it runs in one process or on many MPI ranks.

use super::halo::{fill_axis_by_axis, wrap_local, GhostFill};
use super::ExactSum;
use crate::decomp::Decomp;
use crate::field::Field;

pub trait Comm {
    fn rank(&self) -> usize;
    fn size(&self) -> usize;
    fn is_root(&self) -> bool {
        self.rank() == 0
    }
    /// "1 process" or "MPI (N ranks)": for logs and reports.
    fn describe(&self) -> String;

    /// Fill the halos of width `w` (z, y, x) on every axis, corners included: axes are exchanged
    /// in turn (x, then y over the x-padded extent, then z), blocking.
    fn exchange_halos(&self, d: &Decomp, f: &mut Field, w: [usize; 3]);

    /// Fill the face halos of width `w` (no corners) while `work` runs on the field: messages are
    /// posted, `work` computes what does not depend on the halos, then the halos are filled.
    fn exchange_faces_overlapped(&self, d: &Decomp, f: &mut Field, w: [usize; 3], work: &mut dyn FnMut(&Field));

    /// Fill the halos of width `w` (z, y, x), corners included, and the ghosts of physical faces,
    /// while `work` runs on the field. Axis by axis (x, y, z), each over the padded extent of the
    /// axes before it: `ghosts(f, axis, with_halo)` fills the physical faces of `axis` (the
    /// model's boundary conditions), a periodic wrap or messages fill the others. `work` runs
    /// while the first messages are in flight, after every fill that needs none: it may read
    /// anything except the halos across faces shared with another rank (and their corners).
    fn fill_halos_overlapped(
        &self,
        d: &Decomp,
        f: &mut Field,
        w: [usize; 3],
        ghosts: &mut GhostFill,
        work: &mut dyn FnMut(&Field),
    );

    /// Element-wise sum over ranks (exact: integers).
    fn sum_i64(&self, v: &mut [i64]);
    /// Element-wise minimum over ranks.
    fn min_f64(&self, v: &mut [f64]);
    /// Element-wise maximum over ranks.
    fn max_f64(&self, v: &mut [f64]);
    /// Assemble the global C-order array on rank 0 from each rank's interior block.
    fn gather_to_root(&self, d: &Decomp, local: &[f64]) -> Option<Vec<f64>>;
    /// Broadcast bytes from rank 0 to every rank.
    fn broadcast_bytes(&self, buf: &mut Vec<u8>);
    /// Every rank's `local` (lengths may differ), concatenated in rank order, on rank 0 only.
    fn gather_u64(&self, local: &[u64]) -> Option<Vec<u64>>;
    /// The ranks that share this rank's node (shared memory), in rank order (collective).
    fn node_ranks(&self) -> Vec<usize>;
    /// Send `data` to rank `to` (returns when `data` may be reused).
    fn send_f64(&self, to: usize, data: &[f64]);
    /// Receive `out.len()` values sent by rank `from` with [`Comm::send_f64`].
    fn recv_f64(&self, from: usize, out: &mut [f64]);
    /// Every rank's `local` (lengths may differ), concatenated in rank order, on every rank.
    fn all_gather_f64(&self, local: &[f64]) -> Vec<f64>;
    fn barrier(&self);

    /// A sparse exchange: post every receive `recvs[j] = (from, buffer)` and every send
    /// `sends[i] = (to, data)` at once, return when all are done. At most one message each way
    /// between two ranks per call, none to this rank itself; the ranks must agree on the sizes.
    fn exchange_f64(&self, sends: &[(usize, &[f64])], recvs: &mut [(usize, &mut [f64])]);

    /// Split into disjoint communicators (collective): the ranks passing the same `Some(color)`
    /// form one, ranked by `key` (ties by rank); a rank passing `None` gets `None`.
    fn split(&self, color: Option<u32>, key: usize) -> Option<Box<dyn Comm>>;

    /// The exact global sum of every rank's accumulator; same bits for any split.
    fn sum_exact(&self, acc: &mut ExactSum) -> f64 {
        let mut v = acc.limbs_normalized().to_vec();
        let code = acc.special_code();
        v.extend([(code == 1) as i64, (code == 2) as i64, (code == 3) as i64]);
        self.sum_i64(&mut v);
        let n = v.len() - 3;
        let mut total = ExactSum::new();
        total.limbs_normalized().copy_from_slice(&v[..n]);
        let (pinf, ninf, nan) = (v[n] > 0, v[n + 1] > 0, v[n + 2] > 0);
        total.set_special_code(if nan || (pinf && ninf) {
            3
        } else if pinf {
            1
        } else if ninf {
            2
        } else {
            0
        });
        total.value()
    }
}

/// One process owning the whole grid: halo exchange is the periodic wrap, reductions are no-ops.
#[derive(Debug, Default, Clone, Copy)]
pub struct SingleComm;

impl Comm for SingleComm {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn describe(&self) -> String {
        "1 process".into()
    }
    fn exchange_halos(&self, d: &Decomp, f: &mut Field, w: [usize; 3]) {
        let mut with_halo = [false; 3];
        for axis in [2, 1, 0] {
            if w[axis] > 0 && d.periodic[axis] {
                wrap_local(f, axis, w[axis], with_halo);
            }
            with_halo[axis] = true;
        }
    }
    fn exchange_faces_overlapped(&self, d: &Decomp, f: &mut Field, w: [usize; 3], work: &mut dyn FnMut(&Field)) {
        for axis in [2, 1, 0] {
            if w[axis] > 0 && d.periodic[axis] {
                wrap_local(f, axis, w[axis], [false; 3]);
            }
        }
        work(f);
    }
    fn fill_halos_overlapped(
        &self,
        d: &Decomp,
        f: &mut Field,
        w: [usize; 3],
        ghosts: &mut GhostFill,
        work: &mut dyn FnMut(&Field),
    ) {
        fill_axis_by_axis(d, f, w, ghosts, work, &mut |_, _, _| unreachable!("one process has no neighbour ranks"));
    }
    fn sum_i64(&self, _v: &mut [i64]) {}
    fn min_f64(&self, _v: &mut [f64]) {}
    fn max_f64(&self, _v: &mut [f64]) {}
    fn gather_to_root(&self, _d: &Decomp, local: &[f64]) -> Option<Vec<f64>> {
        Some(local.to_vec())
    }
    fn broadcast_bytes(&self, _buf: &mut Vec<u8>) {}
    fn gather_u64(&self, local: &[u64]) -> Option<Vec<u64>> {
        Some(local.to_vec())
    }
    fn node_ranks(&self) -> Vec<usize> {
        vec![0]
    }
    fn send_f64(&self, _to: usize, _data: &[f64]) {
        unreachable!("one process sends to no other rank")
    }
    fn recv_f64(&self, _from: usize, _out: &mut [f64]) {
        unreachable!("one process receives from no other rank")
    }
    fn all_gather_f64(&self, local: &[f64]) -> Vec<f64> {
        local.to_vec()
    }
    fn barrier(&self) {}
    fn exchange_f64(&self, sends: &[(usize, &[f64])], recvs: &mut [(usize, &mut [f64])]) {
        assert!(sends.is_empty() && recvs.is_empty(), "one process exchanges with no other rank");
    }
    fn split(&self, color: Option<u32>, _key: usize) -> Option<Box<dyn Comm>> {
        color.map(|_| Box::new(SingleComm) as Box<dyn Comm>)
    }
}
