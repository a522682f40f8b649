//! The YAML layer: parse with source positions, read values the way Kubernetes does, and
//! edit documents in place.
//!
//! No YAML crate round-trips Kubernetes manifests faithfully (comments, `0644` octals,
//! quoted `"on"`), so we never re-serialise a document we did not mean to change: we parse
//! it with positions ([`node`]), decide what to change ([`edit::Change`]), and splice only
//! those spans of the original text ([`edit::Editor`]).

pub mod edit;
pub mod emit;
pub mod fast;
pub mod node;
pub mod scalar;
pub mod verify;

pub use edit::{apply_patches, Change, EditError, Editor, OnConflict, Patch, Slot};
pub use node::{parse_documents, Anchors, Content, Node, ParsedDoc, SyntaxError};
