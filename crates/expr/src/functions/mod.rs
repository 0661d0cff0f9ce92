//! Implementations of the functions, grouped by what they work on. The evaluator
//! (`crate::eval`) converts arguments and dispatches here; these modules are plain functions
//! over Rust values so they can be tested without parsing.

pub mod dates;
pub mod diacritics;
pub mod netfmt;
pub mod random;
pub mod replace;
pub mod roles;
pub mod text;
