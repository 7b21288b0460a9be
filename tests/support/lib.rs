//! Shared helpers of the cross-crate end-to-end tests in `tests/`.
