//! Key paths such as `programs[0].plans[1].share`: how errors point into the
//! file and how `--set` names a field.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Segment>);

impl KeyPath {
    pub fn root() -> KeyPath {
        KeyPath(Vec::new())
    }

    pub fn key(&self, key: &str) -> KeyPath {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_string()));
        KeyPath(segments)
    }

    pub fn index(&self, index: usize) -> KeyPath {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        KeyPath(segments)
    }

    /// Parses `simulation.paths`, `content[2].visits`, `programs.0.plans.1.price`.
    pub fn parse(text: &str) -> Result<KeyPath, String> {
        let bad = |why: &str| {
            format!(
                "`{text}` is not a key path ({why}); write it like `simulation.paths` or `content[0].visits`"
            )
        };
        let mut segments = Vec::new();
        for part in text.trim().split('.') {
            if part.is_empty() {
                return Err(bad("empty part"));
            }
            let (name, mut rest) = match part.find('[') {
                Some(at) => (&part[..at], &part[at..]),
                None => (part, ""),
            };
            if !name.is_empty() {
                if let Ok(index) = name.parse::<usize>() {
                    segments.push(Segment::Index(index));
                } else if name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    segments.push(Segment::Key(name.to_string()));
                } else {
                    return Err(bad("unexpected character"));
                }
            }
            while !rest.is_empty() {
                let close = rest.find(']').ok_or_else(|| bad("missing `]`"))?;
                let index = rest[1..close]
                    .parse::<usize>()
                    .map_err(|_| bad("index is not a number"))?;
                segments.push(Segment::Index(index));
                rest = &rest[close + 1..];
                if !rest.is_empty() && !rest.starts_with('[') {
                    return Err(bad("text after `]`"));
                }
            }
        }
        if segments.is_empty() {
            return Err(bad("empty"));
        }
        Ok(KeyPath(segments))
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_both_spellings() {
        let path = KeyPath::parse("programs[0].plans.1.price").unwrap();
        assert_eq!(path.to_string(), "programs[0].plans[1].price");
        assert!(KeyPath::parse("a..b").is_err());
        assert!(KeyPath::parse("a[x]").is_err());
        assert!(KeyPath::parse("").is_err());
    }
}
