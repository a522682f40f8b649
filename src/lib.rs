//! eastwest: a render-time filter that turns an Istio install into a multi-network mesh.
//!
//! The pipeline, one module per step: [`read`] the stream, load the [`config`], run the
//! [`transform`]s (edits to existing objects) and [`generate`] (new objects), then
//! [`write`] the result in the shape it came in.

pub mod config;
pub mod error;
pub mod read;
pub mod yaml;
