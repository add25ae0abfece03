//! The field catalogue: what fields each entity has and what kind of value each holds.
//!
//! One catalogue drives validation, SQL column lists, filters, sorting, forms, export
//! and the API schema, so a field is declared once. Custom fields added by admins are
//! described by [`CustomFieldDef`] and live in the record's `custom` JSON column.

use serde::{Deserialize, Serialize};

/// What kind of value a field holds; decides parsing, storage and display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// One line of text up to `max` characters.
    Text { max: usize },
    /// Multi-line text up to `max` characters.
    LongText { max: usize },
    /// An e-mail address ([`crate::Email`]).
    Email,
    /// A phone number ([`crate::Phone`]).
    Phone,
    /// A web address; `http(s)://` is added when missing.
    Url,
    /// Money in minor units (fen/cents); the record's `currency` column names the currency.
    Money,
    /// A whole number.
    Integer,
    /// A calendar date (`YYYY-MM-DD`).
    Date,
    /// One value of an admin-editable picklist, named here.
    Picklist(&'static str),
    /// One of a fixed set of values that business rules depend on.
    Choice(&'static [&'static str]),
    /// A set of free-form tags.
    Tags,
    /// The id of a user.
    UserRef,
    /// The id of a team.
    TeamRef,
    /// The id of a customer (account).
    AccountRef,
    /// The id of a contact.
    ContactRef,
    /// A timestamp set by the system.
    Timestamp,
}

impl FieldKind {
    /// The name used in the API schema and the custom-field admin page.
    pub fn type_name(self) -> &'static str {
        match self {
            FieldKind::Text { .. } | FieldKind::LongText { .. } | FieldKind::Url => "text",
            FieldKind::Email => "email",
            FieldKind::Phone => "phone",
            FieldKind::Money => "money",
            FieldKind::Integer => "integer",
            FieldKind::Date => "date",
            FieldKind::Picklist(_) | FieldKind::Choice(_) => "select",
            FieldKind::Tags => "tags",
            FieldKind::UserRef
            | FieldKind::TeamRef
            | FieldKind::AccountRef
            | FieldKind::ContactRef => "reference",
            FieldKind::Timestamp => "timestamp",
        }
    }

    /// Whether values of this kind are stored as integers in the database.
    pub fn is_integer_column(self) -> bool {
        matches!(
            self,
            FieldKind::Money
                | FieldKind::Integer
                | FieldKind::UserRef
                | FieldKind::TeamRef
                | FieldKind::AccountRef
                | FieldKind::ContactRef
        )
    }
}

/// One column of an entity that users can see, and perhaps write, filter and sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDef {
    /// The API and column name.
    pub name: &'static str,
    /// What the field holds.
    pub kind: FieldKind,
    /// Must be present on create and cannot be cleared.
    pub required: bool,
    /// Set by the system; users cannot write it.
    pub read_only: bool,
    /// Has an index that keyset pagination can use, so lists may sort by it.
    pub sortable: bool,
    /// Its text goes into the record's full-text `search_tokens`.
    pub searchable: bool,
    /// Its text goes into the trigram `contact_points` (phone numbers, codes).
    pub contact_point: bool,
}

const fn field(name: &'static str, kind: FieldKind) -> FieldDef {
    FieldDef {
        name,
        kind,
        required: false,
        read_only: false,
        sortable: false,
        searchable: false,
        contact_point: false,
    }
}

impl FieldDef {
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    const fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }
    const fn sortable(mut self) -> Self {
        self.sortable = true;
        self
    }
    const fn searchable(mut self) -> Self {
        self.searchable = true;
        self
    }
    const fn contact_point(mut self) -> Self {
        self.contact_point = true;
        self
    }
}

/// An entity users work with: its table and its fields.
#[derive(Debug)]
pub struct EntityDef {
    /// The singular name used in permissions, picklist/custom-field scopes and audit rows.
    pub name: &'static str,
    /// The plural name used in URLs and as the table name.
    pub table: &'static str,
    /// The fields, in the order forms and exports show them.
    pub fields: &'static [FieldDef],
}

/// Entities are singletons; their names identify them.
impl PartialEq for EntityDef {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl EntityDef {
    /// Finds a built-in field by name.
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Fields users may write.
    pub fn writable_fields(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.iter().filter(|f| !f.read_only)
    }
}

/// Lifecycle stages a customer can be put in by hand.
pub const LIFECYCLE_STATUSES: &[&str] = &["potential", "active", "dormant", "lost"];
/// Business-to-business or business-to-consumer customer.
pub const ACCOUNT_KINDS: &[&str] = &["company", "individual"];

/// Fields every owned record carries after its own fields.
macro_rules! record_fields {
    ($($own:expr),* $(,)?) => {
        &[
            field("id", FieldKind::Integer).read_only().sortable(),
            $($own,)*
            field("owner_id", FieldKind::UserRef).sortable(),
            // The owner's team, kept in step with the owner so that team scopes follow people.
            field("team_id", FieldKind::TeamRef).read_only(),
            field("created_at", FieldKind::Timestamp).read_only().sortable(),
            field("updated_at", FieldKind::Timestamp).read_only().sortable(),
            field("created_by", FieldKind::UserRef).read_only(),
            field("updated_by", FieldKind::UserRef).read_only(),
            field("version", FieldKind::Integer).read_only(),
        ]
    };
}

/// Customers (客户): companies or individuals the business sells to.
pub static ACCOUNT: EntityDef = EntityDef {
    name: "account",
    table: "accounts",
    fields: record_fields![
        field("name", FieldKind::Text { max: 200 })
            .required()
            .sortable()
            .searchable(),
        field("kind", FieldKind::Choice(ACCOUNT_KINDS)),
        field("code", FieldKind::Text { max: 64 }).contact_point(),
        field("industry", FieldKind::Picklist("industry")),
        field("level", FieldKind::Picklist("level")).sortable(),
        field("category", FieldKind::Picklist("category")),
        field("source", FieldKind::Picklist("source")),
        field("province", FieldKind::Picklist("region")),
        field("city", FieldKind::Text { max: 100 }).searchable(),
        field("address", FieldKind::Text { max: 500 }).searchable(),
        field("phone", FieldKind::Phone).contact_point(),
        field("email", FieldKind::Email).searchable(),
        field("website", FieldKind::Url),
        field("lifecycle_status", FieldKind::Choice(LIFECYCLE_STATUSES)).sortable(),
        field("credit_limit", FieldKind::Money).sortable(),
        field("currency", FieldKind::Text { max: 3 }),
        field("tags", FieldKind::Tags).searchable(),
        field("description", FieldKind::LongText { max: 5000 }),
    ],
};

/// Contacts (联系人): people at a customer.
pub static CONTACT: EntityDef = EntityDef {
    name: "contact",
    table: "contacts",
    fields: record_fields![
        field("account_id", FieldKind::AccountRef).required(),
        field("name", FieldKind::Text { max: 100 })
            .required()
            .sortable()
            .searchable(),
        field("title", FieldKind::Text { max: 100 }).searchable(),
        field("department", FieldKind::Text { max: 100 }),
        field("mobile", FieldKind::Phone).contact_point(),
        field("phone", FieldKind::Phone).contact_point(),
        field("email", FieldKind::Email).searchable(),
        field("birthday", FieldKind::Date),
        field("reports_to_id", FieldKind::ContactRef),
        field("assistant", FieldKind::Text { max: 100 }),
        field("notes", FieldKind::LongText { max: 5000 }),
    ],
};

/// Where an order is in its life. Cancelled orders are kept for the record but never count
/// as purchases in analytics.
pub const ORDER_STATUSES: &[&str] = &["pending", "completed", "cancelled"];

/// The order status that analytics leave out.
pub const CANCELLED: &str = "cancelled";

/// Orders (订单): what a customer bought, when and for how much; the purchase history
/// that RFM, ABC and CLV read.
pub static ORDER: EntityDef = EntityDef {
    name: "order",
    table: "orders",
    fields: record_fields![
        // The order number (订单号); called `name` because every record has a name that
        // timelines, lookups and the search box show.
        field("name", FieldKind::Text { max: 64 })
            .required()
            .sortable()
            .searchable()
            .contact_point(),
        field("account_id", FieldKind::AccountRef).required(),
        field("order_date", FieldKind::Date).required().sortable(),
        field("status", FieldKind::Choice(ORDER_STATUSES)).sortable(),
        field("total", FieldKind::Money).required().sortable(),
        field("currency", FieldKind::Text { max: 3 }),
        field("quantity", FieldKind::Integer),
        field("notes", FieldKind::LongText { max: 5000 }),
    ],
};

/// The entities that have records, custom fields and permissions.
pub static ENTITIES: &[&EntityDef] = &[&ACCOUNT, &CONTACT, &ORDER];

/// Entities whose records go with their customer when the customer's owner hands the
/// customer over (transfer of ownership); each has an `account_id` field.
pub static FOLLOW_THEIR_ACCOUNT: &[&EntityDef] = &[&CONTACT];

/// Finds an entity by its singular name (`account`) or table name (`accounts`).
pub fn entity_by_name(name: &str) -> Option<&'static EntityDef> {
    ENTITIES
        .iter()
        .copied()
        .find(|e| e.name == name || e.table == name)
}

/// The value kinds admins can give a custom field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomFieldKind {
    /// Free text, up to 500 characters.
    Text,
    /// A number (stored as a JSON number).
    Number,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// One of the options listed in the definition.
    Select,
}

/// A field an admin added to an entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldDef {
    /// Database id of the definition.
    pub id: i64,
    /// `account` or `contact`.
    pub entity: String,
    /// Machine name: lower-case letters, digits and `_`, starting with a letter.
    pub key: String,
    /// Label shown in English.
    pub label_en: String,
    /// Label shown in Chinese.
    pub label_zh: String,
    /// The value kind.
    pub kind: CustomFieldKind,
    /// Options for `select`.
    pub options: Vec<String>,
}

/// Checks a custom field's machine name.
pub fn valid_custom_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && key.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entity_has_the_record_columns() {
        for entity in ENTITIES {
            for name in ["id", "owner_id", "team_id", "version", "created_at"] {
                assert!(entity.field(name).is_some(), "{} lacks {name}", entity.name);
            }
            assert!(entity.field("name").unwrap().required);
        }
    }

    #[test]
    fn looks_up_entities_by_either_name() {
        assert_eq!(entity_by_name("accounts").unwrap().name, "account");
        assert_eq!(entity_by_name("contact").unwrap().table, "contacts");
        assert!(entity_by_name("users").is_none());
    }

    #[test]
    fn custom_keys() {
        assert!(valid_custom_key("wechat_id"));
        assert!(!valid_custom_key("WeChat"));
        assert!(!valid_custom_key("1abc"));
        assert!(!valid_custom_key(""));
    }
}
