//! What a tool returns: text and/or structured JSON, and images.

use crate::bindings::k8s_mcp::tools::types::{ContentBlock, Image, ToolOutput};
use serde::Serialize;

/// Results up to this size (compact JSON) are pretty-printed as text.
pub const PRETTY_LIMIT: usize = 16 * 1024;

/// A tool's successful result.
#[derive(Debug, Clone, Default)]
pub struct Output {
    content: Vec<ContentBlock>,
    structured: Option<String>,
}

impl Output {
    /// Plain text for the model.
    pub fn text(text: impl Into<String>) -> Self {
        Self { content: vec![ContentBlock::Text(text.into())], structured: None }
    }

    /// A JSON result: sent as MCP `structuredContent` (when it is an object)
    /// and as pretty-printed text for clients that only read text.
    /// Large results (over [`PRETTY_LIMIT`] bytes) keep compact text:
    /// indentation would be most of what the model reads.
    pub fn json<T: Serialize>(value: &T) -> Result<Self, crate::ToolError> {
        let value = serde_json::to_value(value)?;
        let compact = value.to_string();
        let text = if compact.len() > PRETTY_LIMIT { compact.clone() } else { serde_json::to_string_pretty(&value)? };
        let structured = value.is_object().then_some(compact);
        Ok(Self { content: vec![ContentBlock::Json(text)], structured })
    }

    /// Like [`Output::json`], with compact text: for long lists, where
    /// indentation would be most of the bytes the model reads.
    pub fn json_compact<T: Serialize>(value: &T) -> Result<Self, crate::ToolError> {
        let value = serde_json::to_value(value)?;
        let text = value.to_string();
        let structured = value.is_object().then(|| text.clone());
        Ok(Self { content: vec![ContentBlock::Json(text)], structured })
    }

    /// Append another text block.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.content.push(ContentBlock::Text(text.into()));
        self
    }

    /// Append an image block (`mime_type` `image/png`, ...); clients that
    /// show images show it, the others read the text blocks.
    pub fn with_image(mut self, data: Vec<u8>, mime_type: impl Into<String>) -> Self {
        self.content.push(ContentBlock::Image(Image { mime_type: mime_type.into(), data }));
        self
    }
}

impl From<Output> for ToolOutput {
    fn from(o: Output) -> Self {
        ToolOutput { content: o.content, structured: o.structured }
    }
}
