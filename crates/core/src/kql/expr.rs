//! A KQL condition as a small tree: rendered as KQL text, and evaluated the way Kusto evaluates
//! it, so the translation of every rule can be checked against the Rust rule on the same values.

use std::fmt::Write;

use super::Target;

/// A column the rules read, as the generated query names it (after its `extend`s).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    /// The stamped actor (`UserId`).
    UserId,
    /// `LogonUserSid`.
    LogonUserSid,
    /// `ClientInfoString`.
    ClientInfoString,
    /// The logon type by the schema's name (`Delegated`, `Admin`, …), whatever the table holds.
    LogonType,
    /// The user type by the schema's name (`Application`, `System`, …).
    UserType,
    /// `AppId`, else `ClientAppId`.
    AppId,
    /// The mailbox acted on: `SendAsUserSmtp`, else `SendOnBehalfOfUserSmtp`, else `MailboxOwnerUPN`.
    Mailbox,
    /// `MailboxOwnerUPN`.
    MailboxOwnerUpn,
    /// `MailboxOwnerSid`.
    MailboxOwnerSid,
    /// `SendAsUserSmtp`.
    SendAsUserSmtp,
    /// `SendOnBehalfOfUserSmtp`.
    SendOnBehalfOfUserSmtp,
    /// The operation.
    Operation,
}

impl Column {
    /// Every column, for building rows in tests and the projection.
    pub const ALL: [Column; 12] = [
        Self::UserId,
        Self::LogonUserSid,
        Self::ClientInfoString,
        Self::LogonType,
        Self::UserType,
        Self::AppId,
        Self::Mailbox,
        Self::MailboxOwnerUpn,
        Self::MailboxOwnerSid,
        Self::SendAsUserSmtp,
        Self::SendOnBehalfOfUserSmtp,
        Self::Operation,
    ];

    /// The column's name in the generated query for `target`.
    pub fn name(self, target: Target) -> &'static str {
        match (self, target) {
            (Self::UserId, _) => "UserId",
            (Self::LogonUserSid, _) => "LogonUserSid",
            (Self::ClientInfoString, _) => "ClientInfoString",
            (Self::LogonType, _) => "SendAsLensLogonType",
            (Self::UserType, _) => "SendAsLensUserType",
            (Self::AppId, _) => "SendAsLensAppId",
            (Self::Mailbox, _) => "SendAsLensMailbox",
            (Self::MailboxOwnerUpn, _) => "MailboxOwnerUPN",
            (Self::MailboxOwnerSid, _) => "MailboxOwnerSid",
            (Self::SendAsUserSmtp, _) => "SendAsUserSmtp",
            (Self::SendOnBehalfOfUserSmtp, _) => "SendOnBehalfOfUserSmtp",
            (Self::Operation, Target::Sentinel) => "Operation",
            (Self::Operation, Target::Defender) => "ActionType",
        }
    }
}

/// A condition in KQL's terms. Text comparisons are case-insensitive, as the rules' are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// Always true.
    True,
    /// `c contains "a" or c contains "b" …`
    Contains(Column, Vec<String>),
    /// `c in~ ("a", "b")`
    In(Column, Vec<String>),
    /// `c !in~ ("a", "b")`
    NotIn(Column, Vec<String>),
    /// `c startswith "a" or …`
    StartsWith(Column, Vec<String>),
    /// `c endswith "a" or …`
    EndsWith(Column, Vec<String>),
    /// `isnotempty(c)`
    NotEmpty(Column),
    /// `isempty(c)`
    Empty(Column),
    /// `a =~ b`
    SameAs(Column, Column),
    /// `a !~ b`
    NotSameAs(Column, Column),
    /// Every one holds.
    And(Vec<Expr>),
    /// One at least holds.
    Or(Vec<Expr>),
    /// It does not hold.
    Not(Box<Expr>),
}

/// A KQL string literal: double-quoted, with `\` and `"` escaped. Control characters cannot
/// appear (the generator refuses them first), so a value can never end the literal or the line.
pub fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(values: &[String]) -> String {
    values.iter().map(|v| literal(v)).collect::<Vec<_>>().join(", ")
}

impl Expr {
    /// The condition as KQL text for `target`.
    pub fn render(&self, target: Target) -> String {
        let mut out = String::new();
        self.write(target, &mut out);
        out
    }

    fn write(&self, target: Target, out: &mut String) {
        let col = |c: Column| c.name(target);
        let any = |out: &mut String, c: Column, values: &[String], op: &str| {
            let parts: Vec<String> = values.iter().map(|v| format!("{} {op} {}", col(c), literal(v))).collect();
            match parts.len() {
                0 => out.push_str("false"),
                1 => out.push_str(&parts[0]),
                _ => {
                    let _ = write!(out, "({})", parts.join(" or "));
                }
            }
        };
        match self {
            Self::True => out.push_str("true"),
            Self::Contains(c, values) => any(out, *c, values, "contains"),
            Self::StartsWith(c, values) => any(out, *c, values, "startswith"),
            Self::EndsWith(c, values) => any(out, *c, values, "endswith"),
            Self::In(c, values) => {
                let _ = write!(out, "{} in~ ({})", col(*c), list(values));
            }
            Self::NotIn(c, values) => {
                let _ = write!(out, "{} !in~ ({})", col(*c), list(values));
            }
            Self::NotEmpty(c) => {
                let _ = write!(out, "isnotempty({})", col(*c));
            }
            Self::Empty(c) => {
                let _ = write!(out, "isempty({})", col(*c));
            }
            Self::SameAs(a, b) => {
                let _ = write!(out, "{} =~ {}", col(*a), col(*b));
            }
            Self::NotSameAs(a, b) => {
                let _ = write!(out, "{} !~ {}", col(*a), col(*b));
            }
            Self::And(parts) | Self::Or(parts) => {
                let (joiner, empty) = if matches!(self, Self::And(_)) { (" and ", "true") } else { (" or ", "false") };
                if parts.is_empty() {
                    out.push_str(empty);
                    return;
                }
                out.push('(');
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        out.push_str(joiner);
                    }
                    part.write(target, out);
                }
                out.push(')');
            }
            Self::Not(inner) => {
                out.push_str("not(");
                inner.write(target, out);
                out.push(')');
            }
        }
    }

    /// The condition's value on a row, as Kusto computes it: a missing value is the empty
    /// string, and text comparisons ignore case.
    pub fn eval(&self, row: &dyn Fn(Column) -> String) -> bool {
        let fold = |s: &str| s.to_lowercase();
        match self {
            Self::True => true,
            Self::Contains(c, values) => {
                let v = fold(&row(*c));
                values.iter().any(|n| !n.is_empty() && v.contains(&fold(n)))
            }
            Self::StartsWith(c, values) => {
                let v = fold(&row(*c));
                values.iter().any(|n| !n.is_empty() && v.starts_with(&fold(n)))
            }
            Self::EndsWith(c, values) => {
                let v = fold(&row(*c));
                values.iter().any(|n| !n.is_empty() && v.ends_with(&fold(n)))
            }
            Self::In(c, values) => {
                let v = fold(&row(*c));
                values.iter().any(|n| fold(n) == v)
            }
            Self::NotIn(c, values) => {
                let v = fold(&row(*c));
                !values.iter().any(|n| fold(n) == v)
            }
            Self::NotEmpty(c) => !row(*c).is_empty(),
            Self::Empty(c) => row(*c).is_empty(),
            Self::SameAs(a, b) => fold(&row(*a)) == fold(&row(*b)),
            Self::NotSameAs(a, b) => fold(&row(*a)) != fold(&row(*b)),
            Self::And(parts) => parts.iter().all(|p| p.eval(row)),
            Self::Or(parts) => parts.iter().any(|p| p.eval(row)),
            Self::Not(inner) => !inner.eval(row),
        }
    }

    /// Every text value the condition compares with (the generator checks them).
    pub(crate) fn values(&self) -> Vec<&str> {
        match self {
            Self::Contains(_, v)
            | Self::In(_, v)
            | Self::NotIn(_, v)
            | Self::StartsWith(_, v)
            | Self::EndsWith(_, v) => v.iter().map(String::as_str).collect(),
            Self::And(parts) | Self::Or(parts) => parts.iter().flat_map(Expr::values).collect(),
            Self::Not(inner) => inner.values(),
            Self::True | Self::NotEmpty(_) | Self::Empty(_) | Self::SameAs(..) | Self::NotSameAs(..) => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_cannot_break_out() {
        assert_eq!(literal(r#"a") or true //"#), r#""a\") or true //""#);
        assert_eq!(literal(r"C:\x"), r#""C:\\x""#);
    }

    #[test]
    fn renders_and_evaluates_alike() {
        let e = Expr::And(vec![
            Expr::Contains(Column::ClientInfoString, vec!["ConnectorWorkProvider".into()]),
            Expr::Not(Box::new(Expr::In(Column::UserType, vec!["System".into(), "SystemPolicy".into()]))),
        ]);
        assert_eq!(
            e.render(Target::Sentinel),
            r#"(ClientInfoString contains "ConnectorWorkProvider" and not(SendAsLensUserType in~ ("System", "SystemPolicy")))"#
        );
        let row = |c: Column| match c {
            Column::ClientInfoString => "Client=REST;connectorworkprovider".to_owned(),
            _ => String::new(),
        };
        assert!(e.eval(&row));
        assert_eq!(Expr::Or(vec![]).render(Target::Defender), "false");
        assert!(!Expr::Or(vec![]).eval(&row));
    }
}
