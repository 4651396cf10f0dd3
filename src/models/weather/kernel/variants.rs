//! The weather kernels' variants ([`Isa::available`]: portable, AVX2) against the portable ones,
//! bit for bit, over adversarial data (every exponent, NaNs, infinities, signed zeros) and over
//! plausible atmospheric states, for every row length up to 2 chunks and every option.

use super::*;
use crate::simd::testing::{adversarial, same_bits, smooth};
use crate::simd::Isa;

/// Row lengths: short, around the chunk length, and long.
fn lengths() -> impl Iterator<Item = usize> {
    (1..12).chain([CH - 1, CH, CH + 1, 2 * CH + 3, 300])
}

/// The four planes of a z stencil.
fn four(v: &[Vec<f64>]) -> [&[f64]; 4] {
    [0, 1, 2, 3].map(|j| v[j].as_slice())
}

/// A forcing plane (4 rows of `w`): adversarial or a plausible state (rho', rho u, rho w,
/// (rho theta)').
fn plane(seed: u64, w: usize, wild: bool) -> Vec<f64> {
    if wild {
        return adversarial(seed, NV * w);
    }
    let scale = [0.01, 10.0, 5.0, 3.0];
    (0..NV).flat_map(|v| smooth(seed + v as u64, w, scale[v], 2.0)).collect()
}

#[test]
fn twelfths_variants_agree() {
    for n in lengths() {
        let src = adversarial(n as u64, n);
        let mut want = (vec![0.0; n], vec![0.0; n]);
        twelfths(Isa::Portable, &src, &mut want.0, &mut want.1);
        for isa in Isa::available() {
            let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
            twelfths(isa, &src, &mut a, &mut b);
            assert!(same_bits(&a, &want.0) && same_bits(&b, &want.1), "{isa:?} n {n}");
        }
    }
}

#[test]
fn x_flux_variants_agree() {
    for nx in lengths() {
        let w = nx + 4;
        for (seed, wild) in [(1, true), (2, true), (3, false)] {
            let f = plane(seed * 1000 + nx as u64, w, wild);
            let run = |isa: Isa| {
                let (mut ta, mut tb, mut flux) = (vec![0.0; NV * w], vec![0.0; NV * w], vec![0.0; NV * (nx + 1)]);
                x_fluxes(isa, &f, &mut ta, &mut tb, w, nx, 1.2, 360.0, -0.7, &mut flux);
                (ta, tb, flux)
            };
            let want = run(Isa::Portable);
            for isa in Isa::available() {
                let got = run(isa);
                let same = same_bits(&got.0, &want.0) && same_bits(&got.1, &want.1) && same_bits(&got.2, &want.2);
                assert!(same, "{isa:?} nx {nx} seed {seed}");
            }
        }
    }
}

#[test]
fn z_flux_variants_agree() {
    for nx in lengths() {
        let w = nx + 4;
        for (seed, wild) in [(1, true), (2, false)] {
            let planes: Vec<Vec<f64>> = (0..4).map(|j| plane(seed * 100 + j + nx as u64, w, wild)).collect();
            let (ta, tb): (Vec<Vec<f64>>, Vec<Vec<f64>>) = planes
                .iter()
                .map(|p| {
                    let (mut a, mut b) = (vec![0.0; p.len()], vec![0.0; p.len()]);
                    twelfths(Isa::Portable, p, &mut a, &mut b);
                    (a, b)
                })
                .unzip();
            for wall in [false, true] {
                let run = |isa: Isa| {
                    let mut flux = vec![0.0; NV * nx];
                    let (p, a, b) = (four(&planes), four(&ta), four(&tb));
                    z_fluxes(isa, p, a, b, w, nx, 1.1, 330.0, 9.0e4, -0.4, wall, &mut flux);
                    flux
                };
                let want = run(Isa::Portable);
                for isa in Isa::available() {
                    assert!(same_bits(&run(isa), &want), "{isa:?} nx {nx} seed {seed} wall {wall}");
                }
            }
        }
    }
}

#[test]
fn apply_variants_agree() {
    for nx in lengths() {
        let w = nx + 4;
        let lo = adversarial(7 + nx as u64, NV * (nx + 1));
        let hi = adversarial(8 + nx as u64, NV * (nx + 1));
        let init = adversarial(9 + nx as u64, NV * w);
        let start = adversarial(10 + nx as u64, NV * w);
        let rho_g = adversarial(11 + nx as u64, nx);
        let rate = adversarial(12 + nx as u64, nx);
        let st = Stage::new(0.37, 200.0, 0.05);
        for with_init in [false, true] {
            for with_g in [false, true] {
                for times in [0, 1, 3] {
                    let run = |isa: Isa| {
                        let mut out = start.clone();
                        let force = (times > 0).then_some(WForce { rate: &rate, times });
                        let (i, g) = (with_init.then_some(&init[..]), with_g.then_some(&rho_g[..]));
                        apply(isa, &mut out, i, w, nx, &lo, nx + 1, &hi[1..], nx + 1, &st, g, force);
                        out
                    };
                    let want = run(Isa::Portable);
                    for isa in Isa::available() {
                        let ok = same_bits(&run(isa), &want);
                        assert!(ok, "{isa:?} nx {nx} init {with_init} rho_g {with_g} forcing x{times}");
                    }
                }
            }
        }
    }
}

#[test]
fn fast_kernel_variants_agree() {
    for nx in lengths() {
        let w = nx + 4;
        for (seed, wild) in [(1, true), (2, false)] {
            let planes: Vec<Vec<f64>> = (0..4).map(|j| plane(seed * 100 + j + nx as u64, w, wild)).collect();
            let xrun = |isa: Isa| {
                let mut flux = vec![0.0; NV * (nx + 1)];
                fast::x_fluxes(isa, &planes[0], w, nx, 1.2, 360.0, -0.7, &mut flux);
                flux
            };
            let want = xrun(Isa::Portable);
            for wall in [false, true] {
                let zrun = |isa: Isa| {
                    let mut flux = vec![0.0; NV * nx];
                    fast::z_fluxes(isa, four(&planes), w, nx, 1.1, 330.0, 9.0e4, -0.4, wall, &mut flux);
                    flux
                };
                let zwant = zrun(Isa::Portable);
                for isa in Isa::available() {
                    assert!(same_bits(&xrun(isa), &want), "x {isa:?} nx {nx} seed {seed}");
                    assert!(same_bits(&zrun(isa), &zwant), "z {isa:?} nx {nx} seed {seed} wall {wall}");
                }
            }
            let (lo, init) = (plane(seed + 5, nx + 1, wild), plane(seed + 6, w, wild));
            let rate = adversarial(12 + nx as u64, nx);
            let st = Stage::new(0.37, 200.0, 0.05);
            for times in [0, 3] {
                let run = |isa: Isa| {
                    let mut out = planes[1].clone();
                    let force = (times > 0).then_some(WForce { rate: &rate, times });
                    fast::apply(isa, &mut out, Some(&init), w, nx, &lo, nx + 1, &lo[1..], nx + 1, &st, Some(&init[..nx]), force);
                    out
                };
                let want = run(Isa::Portable);
                for isa in Isa::available() {
                    assert!(same_bits(&run(isa), &want), "apply {isa:?} nx {nx} seed {seed}");
                }
            }
        }
    }
}

/// The default mode's kernels compute the same fluxes and updates as the compat kernels, to
/// round-off, on plausible states.
#[test]
fn fast_kernels_match_the_compat_kernels() {
    let close = |a: &[f64], b: &[f64], what: &str| {
        let scale = b.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() <= 1e-12 * scale, "{what}[{i}]: {x} vs {y} (scale {scale})");
        }
    };
    let nx = 150;
    let w = nx + 4;
    let planes: Vec<Vec<f64>> = (0..4).map(|j| plane(40 + j, w, false)).collect();
    let twelfths_of = |p: &[f64]| {
        let (mut a, mut b) = (vec![0.0; p.len()], vec![0.0; p.len()]);
        twelfths(Isa::Portable, p, &mut a, &mut b);
        (a, b)
    };
    let (mut exact, mut quick) = (vec![0.0; NV * (nx + 1)], vec![0.0; NV * (nx + 1)]);
    let (mut ta, mut tb) = (vec![0.0; NV * w], vec![0.0; NV * w]);
    x_fluxes(Isa::current(), &planes[0], &mut ta, &mut tb, w, nx, 1.2, 360.0, -0.7, &mut exact);
    fast::x_fluxes(Isa::current(), &planes[0], w, nx, 1.2, 360.0, -0.7, &mut quick);
    close(&quick, &exact, "x flux");
    let t: Vec<(Vec<f64>, Vec<f64>)> = planes.iter().map(|p| twelfths_of(p)).collect();
    for wall in [false, true] {
        let (mut exact, mut quick) = (vec![0.0; NV * nx], vec![0.0; NV * nx]);
        let (ta, tb) = ([0, 1, 2, 3].map(|j| t[j].0.as_slice()), [0, 1, 2, 3].map(|j| t[j].1.as_slice()));
        z_fluxes(Isa::current(), four(&planes), ta, tb, w, nx, 1.1, 330.0, 9.0e4, -0.4, wall, &mut exact);
        fast::z_fluxes(Isa::current(), four(&planes), w, nx, 1.1, 330.0, 9.0e4, -0.4, wall, &mut quick);
        close(&quick, &exact, "z flux");
    }
    let st = Stage::new(0.37, 200.0, 0.05);
    let lo = plane(9, nx + 1, false);
    let (mut a, mut b) = (planes[2].clone(), planes[2].clone());
    apply(Isa::current(), &mut a, Some(&planes[3]), w, nx, &lo, nx + 1, &lo[1..], nx + 1, &st, Some(&planes[1][..nx]), None);
    fast::apply(Isa::current(), &mut b, Some(&planes[3]), w, nx, &lo, nx + 1, &lo[1..], nx + 1, &st, Some(&planes[1][..nx]), None);
    close(&b, &a, "apply");
}
