//! The one diagnostic type of the engine: a span, a stable code, a message and a help line,
//! rendered with the source line and a caret.

use std::fmt;

use crate::ast::Span;

/// A user-facing error in a definition, located by a byte span.
///
/// Messages are lowercase without a trailing period, and `help` tells the user what to do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// A stable code such as `E0001`; tests and tools match on it.
    pub code: &'static str,
    /// The problem, naming the offending value.
    pub message: String,
    /// The location of the problem in the definition text.
    pub span: Span,
    /// The suggested fix.
    pub help: Option<String>,
    /// Further independent problems found in the same source, in source order. Each has no
    /// related diagnostics of its own.
    pub related: Vec<Diagnostic>,
}

impl Diagnostic {
    /// Creates a diagnostic without a help line.
    pub fn new(code: &'static str, message: impl Into<String>, span: Span) -> Self {
        Diagnostic { code, message: message.into(), span, help: None, related: Vec::new() }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Renders the diagnostic against its source text: the code and message, the line and
    /// column, the source line and a caret under the span, then the help line.
    ///
    /// A span past the end of `source` is clamped to it, so rendering never panics.
    pub fn render(&self, source: &str) -> String {
        let start = floor_char_boundary(source, self.span.start.min(source.len()));
        let end = floor_char_boundary(source, self.span.end.clamp(start, source.len()));
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..].find('\n').map_or(source.len(), |i| start + i);
        let line_number = source[..start].matches('\n').count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        let line_text = &source[line_start..line_end];
        let caret_offset = source[line_start..start].chars().count();
        let caret_width = source[start..end.min(line_end)].chars().count().max(1);
        let gutter = " ".repeat(line_number.to_string().len());

        let mut out = format!("error[{}]: {}\n", self.code, self.message);
        out += &format!("{gutter}--> line {line_number}, column {column}\n");
        out += &format!("{gutter} |\n");
        out += &format!("{line_number} | {line_text}\n");
        out += &format!("{gutter} | {}{}\n", " ".repeat(caret_offset), "^".repeat(caret_width));
        if let Some(help) = &self.help {
            out += &format!("{gutter} = help: {help}\n");
        }
        for related in &self.related {
            out += &related.render(source);
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error[{}]: {} at {}", self.code, self.message, self.span)
    }
}

impl std::error::Error for Diagnostic {}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// Returns the candidate closest to `name` by edit distance, when it is close enough to be a
/// likely misspelling.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = levenshtein(&name.to_lowercase(), &candidate.to_lowercase());
        let limit = (name.chars().count().max(candidate.chars().count()) / 3).max(1);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_points_at_span() {
        let source = "a = 1 and\nhomeAddress.countryCod = \"US\"";
        let diagnostic = Diagnostic::new("E0201", "unknown field `countryCod`", Span::new(22, 32))
            .with_help("did you mean `countryCode`?");
        let expected = "error[E0201]: unknown field `countryCod`\n \
                        --> line 2, column 13\n  \
                        |\n\
                        2 | homeAddress.countryCod = \"US\"\n  \
                        |             ^^^^^^^^^^\n  \
                        = help: did you mean `countryCode`?\n";
        assert_eq!(diagnostic.render(source), expected);
    }

    #[test]
    fn render_clamps_span_past_end() {
        let diagnostic = Diagnostic::new("E0001", "unexpected end of input", Span::new(10, 12));
        let rendered = diagnostic.render("a =");
        assert!(rendered.contains("line 1, column 4"), "{rendered}");
    }

    #[test]
    fn did_you_mean_finds_close_name() {
        let candidates = ["countryCode", "city", "postalCode"];
        assert_eq!(did_you_mean("countryCod", candidates), Some("countryCode"));
        assert_eq!(did_you_mean("zzzzzz", candidates), None);
    }
}
