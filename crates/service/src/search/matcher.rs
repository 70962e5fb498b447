//! The search query tree and its matching against one audience.

use regex::Regex;
use tantivy_query_grammar::{Delimiter, Occur, UserInputAst, UserInputLeaf, UserInputLiteral};

use crate::audience::Audience;
use crate::error::ServiceError;
use crate::schedule::invalid;

/// The maximum edit distance of a fuzzy term, as in Lucene.
const MAX_FUZZY_DISTANCE: u32 = 2;

/// A parsed search query.
#[derive(Clone, Debug)]
pub struct SearchQuery {
    root: Node,
}

#[derive(Clone, Debug)]
enum Node {
    All,
    Clause { must: Vec<Node>, should: Vec<Node>, must_not: Vec<Node> },
    Leaf { field: Option<Field>, term: Term },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Name,
    Description,
    Id,
    Folder,
}

#[derive(Clone, Debug)]
enum Term {
    /// One word, or a phrase of consecutive words.
    Words(Vec<String>),
    /// Words within `slop` extra positions of each other, in any order.
    Near { words: Vec<String>, slop: usize },
    /// `*` and `?` wildcards, or a trailing `*`, as an anchored pattern.
    Pattern(Regex),
    /// A word within an edit distance.
    Fuzzy { word: String, distance: u32 },
    /// `field:*`: the field has a value.
    Exists,
}

impl SearchQuery {
    /// Parses a Lucene-style query: terms, `AND`, `OR`, `NOT`, `field:`, wildcards `*` and
    /// `?`, phrases, proximity `"a b"~n`, fuzzy `term~` or `term~n`, and regexes `/re/`. Terms
    /// without an operator between them are alternatives, as `OR`.
    ///
    /// # Errors
    ///
    /// Returns [`ServiceError::InvalidParameter`] for text that does not parse, an unknown
    /// field, a range or set, an invalid regex, or a fuzzy distance above 2.
    pub fn parse(text: &str) -> Result<SearchQuery, ServiceError> {
        let ast = tantivy_query_grammar::parse_query(text).map_err(|_| {
            invalid("search query", text, "Lucene syntax such as `segmentName:spend*`, `\"big spenders\"` or `a AND NOT b`")
        })?;
        Ok(SearchQuery { root: convert(ast, text)? })
    }

    /// True when the audience matches.
    pub fn matches(&self, audience: &Audience) -> bool {
        self.root.matches(audience)
    }
}

fn convert(ast: UserInputAst, text: &str) -> Result<Node, ServiceError> {
    match ast {
        UserInputAst::Boost(inner, _) => convert(*inner, text),
        UserInputAst::Leaf(leaf) => convert_leaf(*leaf, text),
        UserInputAst::Clause(clauses) => {
            let (mut must, mut should, mut must_not) = (Vec::new(), Vec::new(), Vec::new());
            for (occur, clause) in clauses {
                let node = convert(clause, text)?;
                match occur {
                    Some(Occur::Must) => must.push(node),
                    Some(Occur::MustNot) => must_not.push(node),
                    Some(Occur::Should) | None => should.push(node),
                }
            }
            Ok(Node::Clause { must, should, must_not })
        }
    }
}

fn convert_leaf(leaf: UserInputLeaf, text: &str) -> Result<Node, ServiceError> {
    match leaf {
        UserInputLeaf::All => Ok(Node::All),
        UserInputLeaf::Literal(literal) => {
            let field = literal.field_name.as_deref().map(parse_field).transpose()?;
            Ok(Node::Leaf { field, term: literal_term(&literal, text)? })
        }
        UserInputLeaf::Exists { field } => Ok(Node::Leaf { field: Some(parse_field(&field)?), term: Term::Exists }),
        UserInputLeaf::Regex { field, pattern } => {
            let field = field.as_deref().map(parse_field).transpose()?;
            let regex = Regex::new(&format!("(?i)^(?:{pattern})$"))
                .map_err(|e| invalid("search regex", &pattern, &format!("a valid regular expression ({e})")))?;
            Ok(Node::Leaf { field, term: Term::Pattern(regex) })
        }
        UserInputLeaf::Range { .. } | UserInputLeaf::Set { .. } => Err(invalid(
            "search query",
            text,
            "terms, phrases, wildcards, fuzzy terms and regexes; ranges and `IN [...]` sets are not supported",
        )),
    }
}

fn parse_field(name: &str) -> Result<Field, ServiceError> {
    match name {
        "segmentName" | "name" => Ok(Field::Name),
        "segmentDescription" | "description" => Ok(Field::Description),
        "segmentId" | "id" => Ok(Field::Id),
        "folderId" | "folderLocation" | "parentFolderId" | "folder" => Ok(Field::Folder),
        other => Err(invalid(
            "search field",
            other,
            "`segmentName`, `segmentDescription`, `segmentId`, `folderId`, `folderLocation` or `parentFolderId`",
        )),
    }
}

fn literal_term(literal: &UserInputLiteral, text: &str) -> Result<Term, ServiceError> {
    let phrase = literal.phrase.to_lowercase();
    if literal.delimiter != Delimiter::None {
        let words = words(&phrase);
        return Ok(if literal.slop > 0 { Term::Near { words, slop: literal.slop as usize } } else { Term::Words(words) });
    }
    // The grammar keeps the `~` of an unquoted term in the term's text. Lucene reads `word~`
    // as distance 2 and `word~n` as distance n.
    if let Some((word, digits)) = phrase.rsplit_once('~')
        && digits.chars().all(|c| c.is_ascii_digit())
    {
        let distance = if digits.is_empty() { MAX_FUZZY_DISTANCE } else { digits.parse().unwrap_or(u32::MAX) };
        if distance > MAX_FUZZY_DISTANCE {
            return Err(invalid("search query", text, "a fuzzy edit distance of 0, 1 or 2, as in `blue~1`"));
        }
        return Ok(Term::Fuzzy { word: word.to_string(), distance });
    }
    if literal.prefix || phrase.contains(['*', '?']) {
        let mut pattern = String::from("^");
        for character in phrase.chars() {
            match character {
                '*' => pattern.push_str(".*"),
                '?' => pattern.push('.'),
                other => pattern.push_str(&regex::escape(&other.to_string())),
            }
        }
        if literal.prefix {
            pattern.push_str(".*");
        }
        pattern.push('$');
        let regex = Regex::new(&pattern).map_err(|e| invalid("search query", text, &e.to_string()))?;
        return Ok(Term::Pattern(regex));
    }
    Ok(Term::Words(words(&phrase)))
}

/// Splits lowercase text into its runs of letters and digits.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()).map(str::to_lowercase).collect()
}

impl Node {
    fn matches(&self, audience: &Audience) -> bool {
        match self {
            Node::All => true,
            Node::Clause { must, should, must_not } => {
                if must_not.iter().any(|node| node.matches(audience)) {
                    return false;
                }
                if !must.is_empty() {
                    return must.iter().all(|node| node.matches(audience));
                }
                should.is_empty() || should.iter().any(|node| node.matches(audience))
            }
            Node::Leaf { field: Some(field), term } => term.matches(field_value(audience, *field)),
            Node::Leaf { field: None, term } => {
                [Field::Name, Field::Description, Field::Id, Field::Folder].iter().any(|field| term.matches(field_value(audience, *field)))
            }
        }
    }
}

fn field_value(audience: &Audience, field: Field) -> Option<&str> {
    match field {
        Field::Name => Some(audience.name.as_str()),
        Field::Description => audience.description.as_deref(),
        Field::Id => Some(audience.id.as_str()),
        Field::Folder => audience.folder_id.as_deref(),
    }
}

impl Term {
    fn matches(&self, value: Option<&str>) -> bool {
        let Some(value) = value.filter(|value| !value.is_empty()) else {
            return false;
        };
        let lowercase = value.to_lowercase();
        let value_words = words(&lowercase);
        match self {
            Term::Exists => true,
            Term::Words(phrase) => !phrase.is_empty() && value_words.windows(phrase.len()).any(|window| window == phrase.as_slice()),
            Term::Near { words: phrase, slop } => near(&value_words, phrase, *slop),
            Term::Pattern(regex) => regex.is_match(&lowercase) || value_words.iter().any(|word| regex.is_match(word)),
            Term::Fuzzy { word, distance } => value_words
                .iter()
                .chain(std::iter::once(&lowercase))
                .any(|candidate| strsim::damerau_levenshtein(candidate, word) <= *distance as usize),
        }
    }
}

/// True when some run of `phrase.len() + slop` consecutive words of `value` contains every word
/// of `phrase`.
fn near(value: &[String], phrase: &[String], slop: usize) -> bool {
    if phrase.is_empty() {
        return false;
    }
    let window = phrase.len() + slop;
    (0..value.len()).any(|start| {
        let end = (start + window).min(value.len());
        let span = &value[start..end];
        phrase.iter().all(|word| span.contains(word))
    })
}
