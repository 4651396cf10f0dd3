//! The vector operations of the red-black row kernels ([`super::mg_relax`], [`super::viscous_row`],
//! [`super::pseudo_row`]), in two modules of one interface: [`v512`] (AVX-512F, 8 lanes) and
//! [`v256`] (AVX2, 4 lanes). A kernel's block loop is written once, in [`per_width!`], which
//! compiles it per width under that width's target feature, `use`-ing that width's module; the
//! operations are `#[inline]` with the same feature, so they compile to the bare instructions.
//!
//! Every operation is the IEEE operation of the scalar loops (no FMA): `add`, `sub`, `mul`, `div`
//! round as `+ - * /` on f64; `max0` and `max` keep vmaxpd's rule (the second operand where
//! either is NaN), which is `f64::max`'s result when the second operand is the non-NaN one;
//! `neg` flips the sign bit as scalar negation does. So a kernel that applies the scalar loop's
//! operations in its order gets the scalar loop's bits in every lane.
//!
//! A row is handled in blocks of L adjacent cells, both colours at once; the colour being
//! relaxed is the even or the odd lanes (`keep`, `abs_even`), the other lanes' results are
//! discarded. The row is read one block ahead (`Ahead`) and the west / east neighbours of a
//! block come from the blocks in registers (`west_east`), so no load overlaps the previous
//! block's store, and the block is stored whole.

/// A kernel's block loop written once and compiled per width: `[$n512, $n256]` name the AVX-512F
/// version (over [`v512`]) and the AVX2 one (over [`v256`]); the body sees its width's `L`, `V`,
/// operations and `Ahead`. The docs given go on both, after a line naming the width.
macro_rules! per_width {
    (
        $(#[$doc:meta])* [$n512:ident, $n256:ident]
        $vis:vis unsafe fn $(<const $g:ident: $gt:ty>)? ($($args:tt)*) -> $ret:ty $body:block
    ) => {
        $crate::models::navier_stokes::lanes::per_width!(
            @one #[doc = "The AVX-512F version (8 lanes)."] #[doc = ""] $(#[$doc])*
            $n512, "avx512f", v512, $vis, [$(const $g: $gt)?], ($($args)*), $ret, $body
        );
        $crate::models::navier_stokes::lanes::per_width!(
            @one #[doc = "The AVX2 version (4 lanes)."] #[doc = ""] $(#[$doc])*
            $n256, "avx2", v256, $vis, [$(const $g: $gt)?], ($($args)*), $ret, $body
        );
    };
    (
        @one $(#[$doc:meta])*
        $name:ident, $feature:literal, $v:ident, $vis:vis, [$($gen:tt)*], ($($args:tt)*), $ret:ty, $body:block
    ) => {
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        #[target_feature(enable = $feature)]
        $vis unsafe fn $name<$($gen)*>($($args)*) -> $ret {
            use $crate::models::navier_stokes::lanes::$v::*;
            $body
        }
    };
}
pub(super) use per_width;

/// The interface of both widths, generated from the intrinsics' names: a module `$m` for vectors
/// `$v` of `$l` lanes under `$feature`, with the width's own operations in `{ .. }`.
macro_rules! vector_ops {
    ($(#[$doc:meta])* $m:ident, $feature:literal, $v:ty, $l:literal, $load:ident, $store:ident, $set1:ident,
     $add:ident, $sub:ident, $mul:ident, $div:ident, $max:ident, $zero:ident, { $($rest:item)* }) => {
        $(#[$doc])*
        pub(super) mod $m {
            #[allow(unused_imports)]
            use std::arch::x86_64::*;
            /// Lanes per vector.
            pub const L: usize = $l;
            pub type V = $v;
            /// L values from `p`.
            ///
            /// # Safety
            /// p .. p + L lie in one allocation; a CPU with the feature.
            #[inline]
            #[target_feature(enable = $feature)]
            pub unsafe fn load(p: *const f64) -> V {
                // SAFETY: the caller's promise.
                unsafe { $load(p) }
            }
            /// L values to `p`.
            ///
            /// # Safety
            /// As [`load`], and no one else reads or writes p .. p + L meanwhile.
            #[inline]
            #[target_feature(enable = $feature)]
            pub unsafe fn store(p: *mut f64, v: V) {
                // SAFETY: the caller's promise.
                unsafe { $store(p, v) }
            }
            #[inline]
            #[target_feature(enable = $feature)]
            pub fn splat(a: f64) -> V {
                $set1(a)
            }
            #[inline]
            #[target_feature(enable = $feature)]
            pub fn zero() -> V {
                $zero()
            }
            #[inline]
            #[target_feature(enable = $feature)]
            pub fn add(a: V, b: V) -> V {
                $add(a, b)
            }
            #[inline]
            #[target_feature(enable = $feature)]
            pub fn sub(a: V, b: V) -> V {
                $sub(a, b)
            }
            #[inline]
            #[target_feature(enable = $feature)]
            pub fn mul(a: V, b: V) -> V {
                $mul(a, b)
            }
            #[inline]
            #[target_feature(enable = $feature)]
            pub fn div(a: V, b: V) -> V {
                $div(a, b)
            }
            /// vmaxpd: per lane a if a > b, else b (so b where either is NaN).
            #[inline]
            #[target_feature(enable = $feature)]
            pub fn max(a: V, b: V) -> V {
                $max(a, b)
            }
            /// max(a, 0) as `f64::max`: 0 where a is NaN.
            #[inline]
            #[target_feature(enable = $feature)]
            pub fn max0(a: V) -> V {
                $max(a, $zero())
            }
            /// The largest lane (NaN lanes ignored, as `f64::max` folds).
            #[inline]
            #[target_feature(enable = $feature)]
            pub fn max_lane(a: V) -> f64 {
                let mut lanes = [0.0f64; L];
                // SAFETY: `lanes` holds L values.
                unsafe { $store(lanes.as_mut_ptr(), a) };
                lanes.into_iter().fold(f64::NEG_INFINITY, f64::max)
            }
            /// A row walked in blocks of L, read one block ahead: the block in hand and the one
            /// value before it.
            pub struct Ahead {
                prev: V,
                cur: V,
            }
            impl Ahead {
                /// At the block starting at `p` (its west neighbour p - 1 is read too).
                ///
                /// # Safety
                /// p - 1 .. p + L lie in one allocation; a CPU with the feature.
                #[inline]
                #[target_feature(enable = $feature)]
                pub unsafe fn start(p: *const f64) -> Ahead {
                    // SAFETY: the caller's promise.
                    unsafe { Ahead { prev: $set1(*p.sub(1)), cur: $load(p) } }
                }
                /// The block in hand (starting at `p`) with its west and east neighbours,
                /// (west, block, east); then moves on to the block at p + L, read whole if
                /// `whole`, else only its first value (the last block's east neighbour).
                ///
                /// # Safety
                /// p + L .. p + 2 L (only p + L if not `whole`) lie in the allocation; nobody
                /// writes them meanwhile (stores to the block in hand are fine: it is in a
                /// register).
                #[inline]
                #[target_feature(enable = $feature)]
                pub unsafe fn step(&mut self, p: *const f64, whole: bool) -> (V, V, V) {
                    // SAFETY: the caller's promise.
                    let next = unsafe { if whole { $load(p.add(L)) } else { $set1(*p.add(L)) } };
                    let (west, east) = west_east(self.prev, self.cur, next);
                    let cur = self.cur;
                    (self.prev, self.cur) = (cur, next);
                    (west, cur, east)
                }
            }
            $($rest)*
        }
    };
}

vector_ops!(
    /// AVX-512F, 8 lanes.
    v512, "avx512f", __m512d, 8, _mm512_loadu_pd, _mm512_storeu_pd, _mm512_set1_pd, _mm512_add_pd, _mm512_sub_pd,
    _mm512_mul_pd, _mm512_div_pd, _mm512_max_pd, _mm512_setzero_pd, {
        /// -a (the sign flipped, as the scalar negation).
        #[inline]
        #[target_feature(enable = "avx512f")]
        pub fn neg(a: V) -> V {
            _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(a), _mm512_set1_epi64(i64::MIN)))
        }
        /// `new` in the lanes of the colour (even or odd), `old` in the others.
        #[inline]
        #[target_feature(enable = "avx512f")]
        pub fn keep(even: bool, old: V, new: V) -> V {
            _mm512_mask_blend_pd(if even { 0b0101_0101 } else { 0b1010_1010 }, old, new)
        }
        /// |a| in the even lanes, 0 in the odd ones.
        #[inline]
        #[target_feature(enable = "avx512f")]
        pub fn abs_even(a: V) -> V {
            let abs = _mm512_castsi512_pd(_mm512_andnot_si512(_mm512_castpd_si512(_mm512_set1_pd(-0.0)), _mm512_castpd_si512(a)));
            _mm512_maskz_mov_pd(0b0101_0101, abs)
        }
        /// The west and east neighbours of the block `cur` of a row, from the blocks before and
        /// after it: [prev 7, cur 0 .. 6] and [cur 1 .. 7, next 0].
        #[inline]
        #[target_feature(enable = "avx512f")]
        pub fn west_east(prev: V, cur: V, next: V) -> (V, V) {
            let (p, c, n) = (_mm512_castpd_si512(prev), _mm512_castpd_si512(cur), _mm512_castpd_si512(next));
            (_mm512_castsi512_pd(_mm512_alignr_epi64::<7>(c, p)), _mm512_castsi512_pd(_mm512_alignr_epi64::<1>(n, c)))
        }
    }
);

vector_ops!(
    /// AVX2, 4 lanes.
    v256, "avx2", __m256d, 4, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_set1_pd, _mm256_add_pd, _mm256_sub_pd,
    _mm256_mul_pd, _mm256_div_pd, _mm256_max_pd, _mm256_setzero_pd, {
        /// -a (the sign flipped, as the scalar negation).
        #[inline]
        #[target_feature(enable = "avx2")]
        pub fn neg(a: V) -> V {
            _mm256_xor_pd(a, _mm256_set1_pd(-0.0))
        }
        /// `new` in the lanes of the colour (even or odd), `old` in the others.
        #[inline]
        #[target_feature(enable = "avx2")]
        pub fn keep(even: bool, old: V, new: V) -> V {
            if even {
                _mm256_blend_pd::<0b0101>(old, new)
            } else {
                _mm256_blend_pd::<0b1010>(old, new)
            }
        }
        /// |a| in the even lanes, 0 in the odd ones.
        #[inline]
        #[target_feature(enable = "avx2")]
        pub fn abs_even(a: V) -> V {
            let even = _mm256_castsi256_pd(_mm256_set_epi64x(0, -1, 0, -1));
            _mm256_and_pd(even, _mm256_andnot_pd(_mm256_set1_pd(-0.0), a))
        }
        /// As `v512::west_east` for blocks of 4: [prev 3, cur 0 .. 2] and [cur 1 .. 3, next 0].
        #[inline]
        #[target_feature(enable = "avx2")]
        pub fn west_east(prev: V, cur: V, next: V) -> (V, V) {
            (
                _mm256_shuffle_pd::<0b0101>(_mm256_permute2f128_pd::<0x21>(prev, cur), cur),
                _mm256_shuffle_pd::<0b0101>(cur, _mm256_permute2f128_pd::<0x21>(cur, next)),
            )
        }
    }
);
