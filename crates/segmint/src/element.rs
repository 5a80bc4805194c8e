//! The floating-point types (f32, f64) the numeric kernels and checks run on.

use std::fmt::Debug;
use std::ops::{Add, Mul, Sub};

use serde::Serialize;
use serde::de::DeserializeOwned;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// `f32` or `f64`. Kernels compute distances in this type and accumulate
/// sums in `f64`, so `f32` data halves the memory traffic without losing the
/// precision of the centre updates.
pub trait Element:
    sealed::Sealed
    + Copy
    + Send
    + Sync
    + Default
    + PartialOrd
    + Debug
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Serialize
    + DeserializeOwned
    + 'static
{
    /// Zero.
    const ZERO: Self;
    /// Positive infinity.
    const INFINITY: Self;
    /// Converts from `f64` (rounding for `f32`).
    fn from_f64(v: f64) -> Self;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
    /// The slice as its concrete type, so SIMD kernels can load whole
    /// vectors of it (resolved at compile time after inlining).
    #[doc(hidden)]
    fn typed(values: &[Self]) -> Typed<'_>;
}

/// A slice of [`Element`]s as `f64` or `f32`.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Typed<'a> {
    /// float64 values.
    F64(&'a [f64]),
    /// float32 values.
    F32(&'a [f32]),
}

impl Element for f64 {
    const ZERO: Self = 0.0;
    const INFINITY: Self = f64::INFINITY;
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn typed(values: &[Self]) -> Typed<'_> {
        Typed::F64(values)
    }
}

impl Element for f32 {
    const ZERO: Self = 0.0;
    const INFINITY: Self = f32::INFINITY;
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn typed(values: &[Self]) -> Typed<'_> {
        Typed::F32(values)
    }
}
