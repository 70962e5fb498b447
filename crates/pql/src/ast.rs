//! The PQL abstract syntax tree: every node carries the byte span of its source text.
//!
//! The tree stays close to the text. Names are not resolved here: a bare identifier may be a
//! variable or a field of the profile, and the binder decides which.

use std::fmt;

/// A half-open byte range `[start, end)` into the definition text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset one past the last character.
    pub end: usize,
}

impl Span {
    /// Creates a span from two byte offsets.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// Returns the smallest span that covers both spans.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// A name as written (field, method, variable, label), with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    /// The identifier text.
    pub text: String,
    /// The location of the identifier in the source.
    pub span: Span,
}

impl Name {
    /// Creates a name with an empty span, for trees built in code.
    pub fn new(text: impl Into<String>) -> Self {
        Name { text: text.into(), span: Span::default() }
    }
}

/// A parsed definition: an optional lambda head `(Profile) =>` and a body.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The parameter names of the lambda head; empty when the body uses implicit fields or `$1`.
    pub params: Vec<Name>,
    /// The boolean body of the definition.
    pub body: Expr,
}

/// An expression node with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// The kind of node.
    pub kind: ExprKind,
    /// The source text the node was parsed from.
    pub span: Span,
}

impl Expr {
    /// Creates a node with an empty span, for trees built in code.
    pub fn new(kind: ExprKind) -> Self {
        Expr { kind, span: Span::default() }
    }

    /// Creates a node with a span.
    pub fn spanned(kind: ExprKind, span: Span) -> Self {
        Expr { kind, span }
    }
}

/// The kinds of expression nodes.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A scalar literal.
    Literal(Literal),
    /// An array literal `[a, b, c]`.
    Array(Vec<Expr>),
    /// An object literal `{"key": value, ...}`.
    Object(Vec<(String, Expr)>),
    /// A relative time word: `now`, `today`, `yesterday`, `tomorrow`, `this|last|next <unit>`.
    Time(TimeWord),
    /// A positional parameter `$n` (1-based).
    Param(u32),
    /// A bare identifier: a variable in scope, or else a field of the innermost element scope.
    Ident(Name),
    /// `this`, the current element.
    This,
    /// `^.a.b`, `^^.a`: climbs `levels` enclosing filter scopes, then reads the path.
    Up {
        /// Number of carets, at least one.
        levels: u32,
        /// The field path read from the reached scope; may be empty.
        path: Vec<Name>,
    },
    /// Field access `base.name`.
    Field {
        /// The object the field is read from.
        base: Box<Expr>,
        /// The field name.
        name: Name,
    },
    /// Method call `receiver.name(args)`.
    Method {
        /// The value the method applies to.
        receiver: Box<Expr>,
        /// The method name, case-sensitive.
        name: Name,
        /// The arguments, possibly lambdas.
        args: Vec<Expr>,
    },
    /// Function call `name(args)`: `if`, `date`, `inSegment`, `mapEntry`, `currentMonth`, ...
    Call {
        /// The function name, case-sensitive.
        name: Name,
        /// The arguments.
        args: Vec<Expr>,
    },
    /// Filter `base[cond]`: the elements of `base` for which `cond` holds.
    Filter {
        /// The filtered array.
        base: Box<Expr>,
        /// The element-relative condition.
        cond: Box<Expr>,
    },
    /// A prefix operator.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// Its operand.
        operand: Box<Expr>,
    },
    /// An infix operator.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// The left operand.
        lhs: Box<Expr>,
        /// The right operand.
        rhs: Box<Expr>,
    },
    /// `subject occurs <tail>`.
    Occurs {
        /// The timestamp tested.
        subject: Box<Expr>,
        /// The time condition.
        tail: OccursTail,
    },
    /// `select|exists|forall V from A where C, ...`.
    Quantifier {
        /// Which quantifier.
        kind: QuantifierKind,
        /// The bindings, left to right.
        bindings: Vec<Binding>,
    },
    /// `sum|average|min|max E over V from A where C, ...`, or without `E over` for arrays of numbers.
    Aggregate {
        /// Which aggregate.
        kind: AggregateKind,
        /// The aggregated value; `None` aggregates the single bound variable itself.
        value: Option<Box<Expr>>,
        /// The bindings, left to right.
        bindings: Vec<Binding>,
    },
    /// `let name = value in body`.
    Let {
        /// The bound variable.
        name: Name,
        /// Its value.
        value: Box<Expr>,
        /// The expression in which the variable is visible.
        body: Box<Expr>,
    },
    /// A lambda `(a, b) => body`, as a method argument.
    Lambda {
        /// Parameter names.
        params: Vec<Name>,
        /// The body.
        body: Box<Expr>,
    },
    /// `chain(events, timestampField, [L: WHAT(...) WHEN(...) COUNT(n) WHERE(...), ...])`.
    Chain {
        /// The event array, usually `xEvent`.
        events: Box<Expr>,
        /// The field that orders the events, usually `timestamp`.
        order_field: Name,
        /// The steps in order.
        steps: Vec<ChainStep>,
    },
}

/// A scalar literal.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A string, with escapes already resolved.
    String(String),
    /// A 64-bit signed integer.
    Int(i64),
    /// A finite 64-bit float.
    Double(f64),
    /// `true` or `false`.
    Bool(bool),
}

/// Relative time words, resolved against the evaluation time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeWord {
    /// The evaluation instant.
    Now,
    /// The UTC day of the evaluation instant.
    Today,
    /// The UTC day before today.
    Yesterday,
    /// The UTC day after today.
    Tomorrow,
    /// `this <unit>`: the calendar unit containing the evaluation instant.
    This(TimeUnit),
    /// `last <unit>`: the calendar unit before the current one.
    Last(TimeUnit),
    /// `next <unit>`: the calendar unit after the current one.
    Next(TimeUnit),
}

/// Units of time, from millisecond to millennium.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimeUnit {
    /// 1 ms.
    Millisecond,
    /// 1 s.
    Second,
    /// 60 s.
    Minute,
    /// 60 min.
    Hour,
    /// A UTC calendar day.
    Day,
    /// Seven days starting on Monday.
    Week,
    /// A calendar month.
    Month,
    /// A calendar year.
    Year,
    /// Ten calendar years, starting at a year divisible by 10.
    Decade,
    /// A hundred calendar years, starting at a year divisible by 100.
    Century,
    /// A thousand calendar years, starting at a year divisible by 1000.
    Millennium,
}

impl TimeUnit {
    /// Every unit, smallest first.
    pub const ALL: [TimeUnit; 11] = [
        TimeUnit::Millisecond,
        TimeUnit::Second,
        TimeUnit::Minute,
        TimeUnit::Hour,
        TimeUnit::Day,
        TimeUnit::Week,
        TimeUnit::Month,
        TimeUnit::Year,
        TimeUnit::Decade,
        TimeUnit::Century,
        TimeUnit::Millennium,
    ];

    /// Returns the singular keyword.
    pub fn singular(self) -> &'static str {
        match self {
            TimeUnit::Millisecond => "millisecond",
            TimeUnit::Second => "second",
            TimeUnit::Minute => "minute",
            TimeUnit::Hour => "hour",
            TimeUnit::Day => "day",
            TimeUnit::Week => "week",
            TimeUnit::Month => "month",
            TimeUnit::Year => "year",
            TimeUnit::Decade => "decade",
            TimeUnit::Century => "century",
            TimeUnit::Millennium => "millennium",
        }
    }

    /// Returns the plural keyword.
    pub fn plural(self) -> &'static str {
        match self {
            TimeUnit::Century => "centuries",
            TimeUnit::Millennium => "millennia",
            TimeUnit::Millisecond => "milliseconds",
            TimeUnit::Second => "seconds",
            TimeUnit::Minute => "minutes",
            TimeUnit::Hour => "hours",
            TimeUnit::Day => "days",
            TimeUnit::Week => "weeks",
            TimeUnit::Month => "months",
            TimeUnit::Year => "years",
            TimeUnit::Decade => "decades",
        }
    }
}

/// Prefix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `not x`, `!x`.
    Not,
    /// `-x`.
    Neg,
}

/// Infix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `or`.
    Or,
    /// `and`.
    And,
    /// `=`.
    Eq,
    /// `!=`.
    NotEq,
    /// `<`.
    Lt,
    /// `<=`.
    LtEq,
    /// `>`.
    Gt,
    /// `>=`.
    GtEq,
    /// `in`.
    In,
    /// `notIn`.
    NotIn,
    /// `like`.
    Like,
    /// `matches` (infix form).
    Matches,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Rem,
}

impl BinaryOp {
    /// Every infix operator, loosest first.
    pub const ALL: [BinaryOp; 17] = [
        BinaryOp::Or,
        BinaryOp::And,
        BinaryOp::Eq,
        BinaryOp::NotEq,
        BinaryOp::Lt,
        BinaryOp::LtEq,
        BinaryOp::Gt,
        BinaryOp::GtEq,
        BinaryOp::In,
        BinaryOp::NotIn,
        BinaryOp::Like,
        BinaryOp::Matches,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Rem,
    ];

    /// Returns the operator as written in canonical text.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "notIn",
            BinaryOp::Like => "like",
            BinaryOp::Matches => "matches",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }

    /// Returns the binding strength: a higher number binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::LtEq
            | BinaryOp::Gt
            | BinaryOp::GtEq
            | BinaryOp::In
            | BinaryOp::NotIn
            | BinaryOp::Like
            | BinaryOp::Matches => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 6,
        }
    }
}

/// Comparison operators, as used in `occurs <cmp> N unit ...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// `=`.
    Eq,
    /// `!=`.
    NotEq,
    /// `<`.
    Lt,
    /// `<=`.
    LtEq,
    /// `>`.
    Gt,
    /// `>=`.
    GtEq,
}

impl Comparison {
    /// Returns the operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Eq => "=",
            Comparison::NotEq => "!=",
            Comparison::Lt => "<",
            Comparison::LtEq => "<=",
            Comparison::Gt => ">",
            Comparison::GtEq => ">=",
        }
    }
}

/// Direction words of `occurs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Earlier than the reference.
    Before,
    /// Later than the reference.
    After,
    /// On either side of the reference (a symmetric window).
    From,
}

impl Direction {
    /// Returns the keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Direction::Before => "before",
            Direction::After => "after",
            Direction::From => "from",
        }
    }
}

/// The part of an `occurs` test after the keyword; also the argument of a chain step's `WHEN`.
#[derive(Clone, Debug, PartialEq)]
pub enum OccursTail {
    /// `occurs <cmp> <amount> <unit> <direction> <reference>`.
    Offset {
        /// The comparison of the distance with `amount` units.
        cmp: Comparison,
        /// The number of units, non-negative.
        amount: u64,
        /// The unit.
        unit: TimeUnit,
        /// The side of the reference.
        direction: Direction,
        /// The reference time.
        reference: Box<Expr>,
    },
    /// `occurs before|after <reference>`.
    Direction {
        /// Before or after; never `From`.
        direction: Direction,
        /// The reference time.
        reference: Box<Expr>,
    },
    /// `occurs [on] <reference>`.
    On {
        /// The reference time period.
        reference: Box<Expr>,
    },
    /// `occurs between <start> and <end>`.
    Between {
        /// The first period; the window starts at its start.
        start: Box<Expr>,
        /// The last period; the window ends at its end.
        end: Box<Expr>,
    },
}

/// The quantifier comprehensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QuantifierKind {
    /// `select`: the tuples that satisfy the bindings.
    Select,
    /// `exists`: true when some tuple satisfies the bindings.
    Exists,
    /// `forall`: true when every tuple satisfies the conditions.
    Forall,
}

/// The aggregate comprehensions and aggregate methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggregateKind {
    /// Sum; 0 over no values.
    Sum,
    /// Mean; null over no values.
    Average,
    /// Minimum; null over no values.
    Min,
    /// Maximum; null over no values.
    Max,
}

impl AggregateKind {
    /// Returns the keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            AggregateKind::Sum => "sum",
            AggregateKind::Average => "average",
            AggregateKind::Min => "min",
            AggregateKind::Max => "max",
        }
    }
}

/// One binding of a comprehension: `V from A [where C]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    /// The bound variable.
    pub var: Name,
    /// The array it ranges over.
    pub range: Expr,
    /// The condition on it, written after `where` or `:`.
    pub cond: Option<Expr>,
}

/// One step of a `chain`.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainStep {
    /// The step label (`A`, `C0`, ...).
    pub label: Name,
    /// `WHAT(cond)`: the event condition.
    pub what: Expr,
    /// `WHEN(tail)`: the time condition on the event's ordering field.
    pub when: Option<OccursTail>,
    /// `COUNT(n)`: how many distinct matching events the step needs; at least 1.
    pub count: Option<u64>,
    /// `WHERE(cond)`: an extra condition that may read the profile.
    pub where_: Option<Expr>,
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl Query {
    /// Resets every span in the tree to the empty default, so that trees parsed from
    /// different text can be compared by structure.
    pub fn clear_spans(&mut self) {
        for param in &mut self.params {
            param.span = Span::default();
        }
        self.body.clear_spans();
    }

    /// Returns the tree with every span reset; see [`Query::clear_spans`].
    pub fn without_spans(mut self) -> Self {
        self.clear_spans();
        self
    }
}

impl Expr {
    /// Resets every span in the tree to the empty default, so that trees parsed from
    /// different text can be compared by structure.
    pub fn clear_spans(&mut self) {
        self.span = Span::default();
        match &mut self.kind {
            ExprKind::Literal(_) | ExprKind::Time(_) | ExprKind::Param(_) | ExprKind::This => {}
            ExprKind::Ident(name) => name.span = Span::default(),
            ExprKind::Array(elements) => elements.iter_mut().for_each(Expr::clear_spans),
            ExprKind::Object(entries) => entries.iter_mut().for_each(|(_, value)| value.clear_spans()),
            ExprKind::Up { path, .. } => path.iter_mut().for_each(|name| name.span = Span::default()),
            ExprKind::Field { base, name } => {
                base.clear_spans();
                name.span = Span::default();
            }
            ExprKind::Method { receiver, name, args } => {
                receiver.clear_spans();
                name.span = Span::default();
                args.iter_mut().for_each(Expr::clear_spans);
            }
            ExprKind::Call { name, args } => {
                name.span = Span::default();
                args.iter_mut().for_each(Expr::clear_spans);
            }
            ExprKind::Filter { base, cond } => {
                base.clear_spans();
                cond.clear_spans();
            }
            ExprKind::Unary { operand, .. } => operand.clear_spans(),
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.clear_spans();
                rhs.clear_spans();
            }
            ExprKind::Occurs { subject, tail } => {
                subject.clear_spans();
                tail.clear_spans();
            }
            ExprKind::Quantifier { bindings, .. } => bindings.iter_mut().for_each(Binding::clear_spans),
            ExprKind::Aggregate { value, bindings, .. } => {
                if let Some(value) = value {
                    value.clear_spans();
                }
                bindings.iter_mut().for_each(Binding::clear_spans);
            }
            ExprKind::Let { name, value, body } => {
                name.span = Span::default();
                value.clear_spans();
                body.clear_spans();
            }
            ExprKind::Lambda { params, body } => {
                params.iter_mut().for_each(|name| name.span = Span::default());
                body.clear_spans();
            }
            ExprKind::Chain { events, order_field, steps } => {
                events.clear_spans();
                order_field.span = Span::default();
                steps.iter_mut().for_each(ChainStep::clear_spans);
            }
        }
    }

    /// Returns the tree with every span reset; see [`Expr::clear_spans`].
    pub fn without_spans(mut self) -> Self {
        self.clear_spans();
        self
    }
}

impl OccursTail {
    /// Resets the spans of the reference expressions.
    pub fn clear_spans(&mut self) {
        match self {
            OccursTail::Offset { reference, .. }
            | OccursTail::Direction { reference, .. }
            | OccursTail::On { reference } => reference.clear_spans(),
            OccursTail::Between { start, end } => {
                start.clear_spans();
                end.clear_spans();
            }
        }
    }
}

impl Binding {
    /// Resets the spans of the variable, the range and the condition.
    pub fn clear_spans(&mut self) {
        self.var.span = Span::default();
        self.range.clear_spans();
        if let Some(cond) = &mut self.cond {
            cond.clear_spans();
        }
    }
}

impl ChainStep {
    /// Resets the spans of the label and of every clause.
    pub fn clear_spans(&mut self) {
        self.label.span = Span::default();
        self.what.clear_spans();
        if let Some(when) = &mut self.when {
            when.clear_spans();
        }
        if let Some(where_) = &mut self.where_ {
            where_.clear_spans();
        }
    }
}
