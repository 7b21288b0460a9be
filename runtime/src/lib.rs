//! The expense transaction API, configured by the platform spec.
