//! The columnar engine: evaluates segment plans over Arrow record batches, a whole column at
//! a time, into one mask or roaring bitmap of qualifying profiles per segment.

mod bitmap;
mod error;

pub use bitmap::mask_to_bitmap;
pub use error::EvalError;
