//! A syntax check for Python regular expressions (`Meta(pattern=...)`).
//!
//! msgspec compiles the pattern with Python's `re` when `Meta(...)` is
//! evaluated, so an invalid pattern stops the module from importing. This
//! mirrors the syntax errors of CPython 3.11's `sre_parse` that matter in
//! practice (unbalanced groups and sets, nothing to repeat, multiple repeat,
//! bad ranges and escapes, unknown extensions, bad group references), with
//! the same messages. It accepts what it does not model (look-behind width,
//! `\N{...}` names, verbose mode), so it never rejects a valid pattern.

/// A syntax error: the character offset in the pattern and Python's message.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PatternError {
    /// 0-based character offset.
    pub(crate) at: usize,
    /// The message `re.error` gives.
    pub(crate) message: String,
}

const ESCAPES: &str = "abfnrtv\\";
const CATEGORIES: &str = "dDsSwW";
const ANCHORS: &str = "AbBZ";
const FLAGS: &str = "aiLmsux";

/// What the last item of the current sequence is, for quantifier checks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    /// Nothing yet (start of a group or branch).
    Nothing,
    /// An anchor: `^`, `$`, `\b`...
    Anchor,
    /// A repeat (after `*`, `{2}`...).
    Repeat,
    /// Anything else.
    Item,
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    /// Groups opened so far (numbered from 1).
    groups: usize,
    /// Groups still open.
    open: Vec<usize>,
    names: Vec<(String, usize)>,
}

/// Checks `pattern`'s syntax as Python's `re.compile` would.
pub(crate) fn check(pattern: &str) -> Result<(), PatternError> {
    let mut p = Parser {
        chars: pattern.chars().collect(),
        pos: 0,
        groups: 0,
        open: Vec::new(),
        names: Vec::new(),
    };
    // Verbose mode changes what whitespace and `#` mean: accept it.
    if pattern.starts_with("(?") && p.leading_flags().contains('x') {
        return Ok(());
    }
    p.sequence(0)
}

impl Parser {
    fn err<T>(&self, at: usize, message: impl Into<String>) -> Result<T, PatternError> {
        Err(PatternError {
            at,
            message: message.into(),
        })
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn leading_flags(&self) -> String {
        self.chars
            .iter()
            .skip(2)
            .take_while(|c| FLAGS.contains(**c))
            .collect()
    }

    /// Parses alternatives until the end or a `)` at `depth` > 0.
    fn sequence(&mut self, depth: usize) -> Result<(), PatternError> {
        let mut last = Last::Nothing;
        let mut only_global_flags = depth == 0;
        while let Some(c) = self.peek() {
            let start = self.pos;
            self.pos += 1;
            match c {
                '|' => {
                    last = Last::Nothing;
                    only_global_flags = false;
                    continue;
                }
                ')' => {
                    if depth == 0 {
                        return self.err(start, "unbalanced parenthesis");
                    }
                    self.pos -= 1;
                    return Ok(());
                }
                '(' => {
                    last = self.group(start, only_global_flags)?;
                    if last == Last::Anchor {
                        // Global flags: still at the start.
                        last = Last::Nothing;
                        continue;
                    }
                }
                '[' => {
                    self.class(start)?;
                    last = Last::Item;
                }
                '\\' => last = self.escape(start)?,
                '^' | '$' => last = Last::Anchor,
                '*' | '+' | '?' => last = self.repeat(start, last)?,
                '{' => {
                    if self.repeat_braces(start)? {
                        last = self.repeat(start, last)?;
                    } else {
                        last = Last::Item;
                    }
                }
                _ => last = Last::Item,
            }
            only_global_flags = false;
        }
        if depth > 0 {
            return self.err(self.chars.len(), "missing ), unterminated subpattern");
        }
        Ok(())
    }

    /// After a quantifier: checks what it repeats, and eats `?`/`+`.
    fn repeat(&mut self, start: usize, last: Last) -> Result<Last, PatternError> {
        match last {
            Last::Nothing | Last::Anchor => self.err(start, "nothing to repeat"),
            Last::Repeat => self.err(start, "multiple repeat"),
            Last::Item => {
                let _ = self.eat('?') || self.eat('+');
                Ok(Last::Repeat)
            }
        }
    }

    /// `{m,n}` after the `{`: whether it is a repeat (else a literal `{`).
    fn repeat_braces(&mut self, start: usize) -> Result<bool, PatternError> {
        let here = self.pos;
        if self.peek() == Some('}') {
            return Ok(false);
        }
        let digits = |p: &mut Parser| {
            let mut s = String::new();
            while let Some(d) = p.peek().filter(char::is_ascii_digit) {
                s.push(d);
                p.pos += 1;
            }
            s
        };
        let lo = digits(self);
        let hi = if self.eat(',') {
            digits(self)
        } else {
            lo.clone()
        };
        if !self.eat('}') {
            self.pos = here;
            return Ok(false);
        }
        if let (Ok(lo), Ok(hi)) = (lo.parse::<u64>(), hi.parse::<u64>())
            && hi < lo
        {
            return self.err(start + 1, "min repeat greater than max repeat");
        }
        Ok(true)
    }

    fn group(&mut self, start: usize, at_start: bool) -> Result<Last, PatternError> {
        if !self.eat('?') {
            self.groups += 1;
            let n = self.groups;
            self.open.push(n);
            self.sequence(1)?;
            self.pos += 1;
            self.open.pop();
            return Ok(Last::Item);
        }
        let Some(c) = self.peek() else {
            return self.err(self.pos, "unexpected end of pattern");
        };
        self.pos += 1;
        match c {
            ':' | '=' | '!' | '>' => self.inner(),
            '<' => match self.peek() {
                Some('=' | '!') => {
                    self.pos += 1;
                    self.inner()
                }
                Some(other) => self.err(self.pos, format!("unknown extension ?<{other}")),
                None => self.err(self.pos, "unexpected end of pattern"),
            },
            '#' => {
                while let Some(ch) = self.peek() {
                    self.pos += 1;
                    if ch == ')' {
                        return Ok(Last::Nothing);
                    }
                }
                self.err(self.chars.len(), "missing ), unterminated comment")
            }
            'P' => match self.peek() {
                Some('<') => {
                    self.pos += 1;
                    let name_at = self.pos;
                    let name = self.name('>')?;
                    if !is_identifier(&name) {
                        return self.err(name_at, format!("bad character in group name '{name}'"));
                    }
                    if self.names.iter().any(|(n, _)| *n == name) {
                        return self.err(
                            name_at,
                            format!(
                                "redefinition of group name '{name}' as group {}; was group {}",
                                self.groups + 1,
                                self.names
                                    .iter()
                                    .find(|(n, _)| *n == name)
                                    .map_or(0, |(_, g)| *g)
                            ),
                        );
                    }
                    self.groups += 1;
                    let n = self.groups;
                    self.names.push((name, n));
                    self.open.push(n);
                    self.sequence(1)?;
                    self.pos += 1;
                    self.open.pop();
                    Ok(Last::Item)
                }
                Some('=') => {
                    self.pos += 1;
                    let name_at = self.pos;
                    let name = self.name(')')?;
                    match self.names.iter().find(|(n, _)| *n == name) {
                        None => self.err(name_at, format!("unknown group name '{name}'")),
                        Some((_, g)) if self.open.contains(g) => {
                            self.err(name_at, "cannot refer to an open group")
                        }
                        Some(_) => Ok(Last::Item),
                    }
                }
                Some(other) => self.err(self.pos, format!("unknown extension ?P{other}")),
                None => self.err(self.pos, "unexpected end of pattern"),
            },
            '(' => {
                // A conditional: `(?(1)yes|no)`; the reference is not checked.
                while let Some(ch) = self.peek() {
                    self.pos += 1;
                    if ch == ')' {
                        return self.inner();
                    }
                }
                self.err(self.chars.len(), "missing ), unterminated name")
            }
            c if FLAGS.contains(c) || c == '-' => {
                self.pos -= 1;
                while self.peek().is_some_and(|f| FLAGS.contains(f)) {
                    self.pos += 1;
                }
                if self.eat(')') {
                    if !at_start {
                        return self.err(start, "global flags not at the start of the expression");
                    }
                    return Ok(Last::Anchor);
                }
                if self.eat('-') {
                    while self.peek().is_some_and(|f| "imsx".contains(f)) {
                        self.pos += 1;
                    }
                }
                match self.peek() {
                    Some(':') => {
                        self.pos += 1;
                        self.inner()
                    }
                    Some(f) if f.is_ascii_alphabetic() => self.err(self.pos, "unknown flag"),
                    Some(_) => self.err(self.pos, "missing -, : or )"),
                    None => self.err(self.pos, "missing -, : or )"),
                }
            }
            other => self.err(start + 1, format!("unknown extension ?{other}")),
        }
    }

    /// The body of a non-capturing group, up to and including its `)`.
    fn inner(&mut self) -> Result<Last, PatternError> {
        self.sequence(1)?;
        self.pos += 1;
        Ok(Last::Item)
    }

    fn name(&mut self, end: char) -> Result<String, PatternError> {
        let mut name = String::new();
        loop {
            match self.peek() {
                None => {
                    let what = if end == '>' { ">" } else { ")" };
                    return self.err(self.pos, format!("missing {what}, unterminated name"));
                }
                Some(c) if c == end => {
                    self.pos += 1;
                    if name.is_empty() {
                        return self.err(self.pos - 1, "missing group name");
                    }
                    return Ok(name);
                }
                Some(c) => {
                    name.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// An escape outside a set, after the `\`.
    fn escape(&mut self, start: usize) -> Result<Last, PatternError> {
        let Some(c) = self.peek() else {
            return self.err(start, "bad escape (end of pattern)");
        };
        self.pos += 1;
        if ANCHORS.contains(c) {
            return Ok(Last::Anchor);
        }
        if CATEGORIES.contains(c) || ESCAPES.contains(c) {
            return Ok(Last::Item);
        }
        match c {
            'x' => self.hex(start, 2, c),
            'u' => self.hex(start, 4, c),
            'U' => self.hex(start, 8, c),
            'N' => Ok(Last::Item),
            '0' => {
                for _ in 0..2 {
                    if self.peek().is_some_and(|d| ('0'..='7').contains(&d)) {
                        self.pos += 1;
                    }
                }
                Ok(Last::Item)
            }
            '1'..='9' => {
                let mut digits = c.to_string();
                if let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    digits.push(d);
                    self.pos += 1;
                    let octal = |x: char| ('0'..='7').contains(&x);
                    if octal(c) && octal(d) && self.peek().is_some_and(octal) {
                        digits.push(self.peek().unwrap_or('0'));
                        self.pos += 1;
                        let value = u32::from_str_radix(&digits, 8).unwrap_or(0);
                        if value > 0o377 {
                            return self.err(
                                start,
                                format!("octal escape value \\{digits} outside of range 0-0o377"),
                            );
                        }
                        return Ok(Last::Item);
                    }
                }
                let group: usize = digits.parse().unwrap_or(usize::MAX);
                if group > self.groups {
                    return self.err(start + 1, format!("invalid group reference {group}"));
                }
                if self.open.contains(&group) {
                    return self.err(start + 1, "cannot refer to an open group");
                }
                Ok(Last::Item)
            }
            c if c.is_ascii_alphabetic() => self.err(start, format!("bad escape \\{c}")),
            _ => Ok(Last::Item),
        }
    }

    fn hex(&mut self, start: usize, n: usize, c: char) -> Result<Last, PatternError> {
        let mut digits = String::new();
        while digits.len() < n && self.peek().is_some_and(|d| d.is_ascii_hexdigit()) {
            digits.push(self.peek().unwrap_or('0'));
            self.pos += 1;
        }
        if digits.len() < n {
            return self.err(start, format!("incomplete escape \\{c}{digits}"));
        }
        Ok(Last::Item)
    }

    /// A set, after the `[`.
    fn class(&mut self, start: usize) -> Result<(), PatternError> {
        self.eat('^');
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return self.err(start, "unterminated character set");
            };
            let at = self.pos;
            self.pos += 1;
            if c == ']' && !first {
                return Ok(());
            }
            first = false;
            let item = if c == '\\' {
                self.class_escape(at)?
            } else {
                Some(c)
            };
            if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|n| *n != ']') {
                // A range `a-z`.
                self.pos += 1;
                let Some(hi_c) = self.peek() else {
                    return self.err(start, "unterminated character set");
                };
                let hi_at = self.pos;
                self.pos += 1;
                let hi = if hi_c == '\\' {
                    self.class_escape(hi_at)?
                } else {
                    Some(hi_c)
                };
                let text: String = self.chars[at..self.pos].iter().collect();
                match (item, hi) {
                    (Some(lo), Some(hi)) if lo <= hi => {}
                    _ => return self.err(at, format!("bad character range {text}")),
                }
            }
        }
    }

    /// An escape inside a set, after the `\`: the character it stands for,
    /// or `None` for a category (`\d`), which cannot bound a range.
    fn class_escape(&mut self, start: usize) -> Result<Option<char>, PatternError> {
        let Some(c) = self.peek() else {
            return self.err(start, "unterminated character set");
        };
        self.pos += 1;
        if CATEGORIES.contains(c) {
            return Ok(None);
        }
        let simple = match c {
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{b}'),
            '\\' => Some('\\'),
            _ => None,
        };
        if simple.is_some() {
            return Ok(simple);
        }
        match c {
            'x' | 'u' | 'U' => {
                let n = match c {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let from = self.pos;
                self.hex(start, n, c)?;
                let digits: String = self.chars[from..self.pos].iter().collect();
                Ok(u32::from_str_radix(&digits, 16)
                    .ok()
                    .and_then(char::from_u32))
            }
            'N' => Ok(None),
            '0'..='7' => {
                let mut digits = c.to_string();
                for _ in 0..2 {
                    if let Some(d) = self.peek().filter(|d| ('0'..='7').contains(d)) {
                        digits.push(d);
                        self.pos += 1;
                    }
                }
                Ok(u32::from_str_radix(&digits, 8)
                    .ok()
                    .and_then(char::from_u32))
            }
            c if c.is_ascii_alphanumeric() => self.err(start, format!("bad escape \\{c}")),
            c => Ok(Some(c)),
        }
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::check;

    /// Each pattern with the message CPython 3.11's `re.compile` gives (empty
    /// when it compiles); produced by running `re.compile` on each.
    const CASES: &[(&str, &str)] = &[
        ("^[a-z0-9-]+$", ""),
        ("(", "missing ), unterminated subpattern"),
        (")", "unbalanced parenthesis"),
        ("a)", "unbalanced parenthesis"),
        ("[abc", "unterminated character set"),
        ("[]", "unterminated character set"),
        ("[]a]", ""),
        ("[^]a]", ""),
        ("[a-]", ""),
        ("[z-a]", "bad character range z-a"),
        ("[\\d-z]", "bad character range \\d-z"),
        ("*a", "nothing to repeat"),
        ("a|*", "nothing to repeat"),
        ("(*)", "nothing to repeat"),
        ("^*", "nothing to repeat"),
        ("a**", "multiple repeat"),
        ("a*?", ""),
        ("a*+", ""),
        ("a*?+", "multiple repeat"),
        ("a{2}{3}", "multiple repeat"),
        ("a{2,1}", "min repeat greater than max repeat"),
        ("a{,}", ""),
        ("a{", ""),
        ("a{x}", ""),
        ("{", ""),
        ("{2}", "nothing to repeat"),
        ("\\", "bad escape (end of pattern)"),
        ("\\q", "bad escape \\q"),
        ("\\d+\\.\\d*", ""),
        ("\\x4", "incomplete escape \\x4"),
        ("\\x41", ""),
        ("(a)\\1", ""),
        ("(a)\\2", "invalid group reference 2"),
        ("(a\\1)", "cannot refer to an open group"),
        ("\\0", ""),
        ("\\777", "octal escape value \\777 outside of range 0-0o377"),
        ("(?P<n>a)(?P=n)", ""),
        (
            "(?P<n>a)(?P<n>b)",
            "redefinition of group name 'n' as group 2; was group 1",
        ),
        ("(?P<1n>a)", "bad character in group name '1n'"),
        ("(?P=m)", "unknown group name 'm'"),
        ("(?<n>a)", "unknown extension ?<n"),
        ("(?Q)", "unknown extension ?Q"),
        ("(?i)abc", ""),
        ("a(?i)b", "global flags not at the start of the expression"),
        ("(?i:a)", ""),
        ("(?-i:a)", ""),
        ("(?=a)b", ""),
        ("(?<=a)b", ""),
        ("(?<!a)b", ""),
        ("(?#comment)a", ""),
        ("(?>a+)", ""),
        ("(?:a*)*", ""),
        ("[\\q]", "bad escape \\q"),
        ("[\\b]", ""),
        ("[\\8]", "bad escape \\8"),
        ("\\bword\\b", ""),
        ("\\b*", "nothing to repeat"),
        ("(?x) a # comment", ""),
        ("é+", ""),
    ];

    #[test]
    fn matches_python_re() {
        for (pattern, expected) in CASES {
            let got = check(pattern).err().map(|e| e.message).unwrap_or_default();
            assert_eq!(&got, expected, "pattern {pattern:?}");
        }
    }
}
