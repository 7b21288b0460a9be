//! Placeholder while this renderer is written; renders nothing.
use super::{Artifact, RenderError, Request};
pub fn render(_request: &Request<'_>) -> Result<Vec<Artifact>, RenderError> {
    Ok(Vec::new())
}
