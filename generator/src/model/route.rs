//! Route templates: `/transaction/{id}`, checked once, split into segments for whoever routes.

use std::fmt;

/// A route path as the spec writes it, with its segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTemplate {
    text: String,
    segments: Vec<TemplateSegment>,
}

/// One `/`-separated part of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateSegment {
    Static(String),
    /// `{name}`.
    Parameter(String),
}

impl RouteTemplate {
    /// Splits a template the schema has already checked (`/a/{b}/c`).
    pub(crate) fn new(text: &str) -> Self {
        let segments = text
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(
                |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => TemplateSegment::Parameter(name.to_string()),
                    None => TemplateSegment::Static(segment.to_string()),
                },
            )
            .collect();
        RouteTemplate {
            text: text.to_string(),
            segments,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn segments(&self) -> &[TemplateSegment] {
        &self.segments
    }

    /// The names of its parameters, in order.
    pub fn parameters(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|segment| match segment {
            TemplateSegment::Parameter(name) => Some(name.as_str()),
            TemplateSegment::Static(_) => None,
        })
    }

    /// The path with parameter names erased: two templates with the same shape are one route.
    pub fn shape(&self) -> String {
        self.segments
            .iter()
            .map(|segment| match segment {
                TemplateSegment::Static(text) => format!("/{text}"),
                TemplateSegment::Parameter(_) => "/{}".to_string(),
            })
            .collect()
    }
}

impl fmt::Display for RouteTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_splits_into_static_and_parameter_segments() {
        let template = RouteTemplate::new("/transaction/{id}");
        assert_eq!(
            template.segments(),
            [
                TemplateSegment::Static("transaction".into()),
                TemplateSegment::Parameter("id".into())
            ]
        );
        assert_eq!(template.parameters().collect::<Vec<_>>(), ["id"]);
        assert_eq!(
            template.shape(),
            RouteTemplate::new("/transaction/{tid}").shape()
        );
        assert_eq!(RouteTemplate::new("/").shape(), "");
    }
}
