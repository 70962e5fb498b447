//! The columnar engine.
