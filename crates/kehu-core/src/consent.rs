//! Consent to be contacted: per person (a contact or an individual customer) and channel,
//! whether they agreed, when and how Kehu learnt it. No recorded consent means "no":
//! campaign sends need a recorded yes.

use serde::{Deserialize, Serialize};

/// A way of reaching a person that needs their consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// E-mail.
    Email,
    /// Phone calls.
    Call,
    /// Text and chat messages (SMS, WeChat).
    Message,
}

impl Channel {
    /// Every channel, in the order pages show them.
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Call, Channel::Message];

    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Call => "call",
            Channel::Message => "message",
        }
    }

    /// Reads a stored or API name.
    pub fn parse(raw: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

/// How Kehu learnt of a consent (or its withdrawal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A form on the company's web site.
    WebForm,
    /// Said on the phone.
    Phone,
    /// Written in an e-mail.
    Email,
    /// Came with imported data.
    Import,
    /// Entered by a user for another reason (in person, on paper).
    Manual,
}

impl Source {
    /// Every source, in the order forms offer them.
    pub const ALL: [Source; 5] = [
        Source::Manual,
        Source::WebForm,
        Source::Phone,
        Source::Email,
        Source::Import,
    ];

    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::WebForm => "web_form",
            Source::Phone => "phone",
            Source::Email => "email",
            Source::Import => "import",
            Source::Manual => "manual",
        }
    }

    /// Reads a stored or API name.
    pub fn parse(raw: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// Whether records of this entity describe a person who can give consent (accounts only
/// when their `kind` is `individual`, which the caller checks on the record).
pub fn is_person_entity(entity: &str) -> bool {
    matches!(entity, "contact" | "account")
}

/// Reads a yes/no filter or form value.
pub fn parse_yes_no(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" | "on" => Some(true),
        "no" | "false" | "0" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.as_str()), Some(channel));
        }
        for source in Source::ALL {
            assert_eq!(Source::parse(source.as_str()), Some(source));
        }
        assert_eq!(Channel::parse("fax"), None);
        assert_eq!(Source::parse("rumour"), None);
    }

    #[test]
    fn yes_and_no() {
        assert_eq!(parse_yes_no("Yes"), Some(true));
        assert_eq!(parse_yes_no("0"), Some(false));
        assert_eq!(parse_yes_no("maybe"), None);
    }
}
