//! The OpenAPI 3 document of `/api/v1`, generated from the field catalogue so that the
//! schema always matches what the handlers accept.

use kehu_core::entity::{EntityDef, FieldDef, FieldKind, ACCOUNT, CONTACT, ORDER};
use kehu_core::mass_update::{mass_updatable_fields, MAX_RECORDS};
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref,
    RefOr, Required, ResponseBuilder, Schema,
};

fn field_schema(field: &FieldDef) -> ObjectBuilder {
    let base = ObjectBuilder::new();
    let described = |b: ObjectBuilder, text: &str| b.description(Some(text.to_string()));
    match field.kind {
        FieldKind::Text { max } | FieldKind::LongText { max } => {
            base.schema_type(Type::String).max_length(Some(max))
        }
        FieldKind::Email => base
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email))),
        FieldKind::Phone => described(
            base.schema_type(Type::String),
            "phone number: digits, spaces, -, +, (), optional extension",
        ),
        FieldKind::Url => base
            .schema_type(Type::String)
            .format(Some(SchemaFormat::Custom("uri".into()))),
        FieldKind::Money => described(
            base.schema_type(Type::Integer),
            "amount in minor units (fen/cents) of `currency`",
        ),
        FieldKind::Integer => base.schema_type(Type::Integer),
        FieldKind::Date => base
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
        FieldKind::Timestamp => base
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        FieldKind::Picklist(list) => described(
            base.schema_type(Type::String),
            &format!("a value of the admin-editable `{list}` picklist"),
        ),
        FieldKind::Choice(options) => base
            .schema_type(Type::String)
            .enum_values(Some(options.iter().copied())),
        FieldKind::Tags => base.schema_type(Type::Array),
        FieldKind::UserRef => described(base.schema_type(Type::Integer), "user id"),
        FieldKind::TeamRef => described(base.schema_type(Type::Integer), "team id"),
        FieldKind::AccountRef => {
            described(base.schema_type(Type::Integer), "customer (account) id")
        }
        FieldKind::ContactRef => described(base.schema_type(Type::Integer), "contact id"),
    }
}

fn record_schema(entity: &EntityDef, input: bool) -> ObjectBuilder {
    let mut object = ObjectBuilder::new().schema_type(Type::Object);
    for field in entity.fields.iter().filter(|f| !input || !f.read_only) {
        let schema: RefOr<Schema> = if field.kind == FieldKind::Tags {
            ArrayBuilder::new()
                .items(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .max_length(Some(40)),
                )
                .build()
                .into()
        } else {
            field_schema(field).build().into()
        };
        object = object.property(field.name, schema);
        if input && field.required {
            object = object.required(field.name);
        }
    }
    object = object.property(
        "custom",
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("custom field values by key (admin-defined)")),
    );
    if entity.name == ORDER.name {
        let line = ObjectBuilder::new()
            .schema_type(Type::Object)
            .property(
                "product",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(200)),
            )
            .property(
                "quantity",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .description(Some("more than 0")),
            )
            .property(
                "unit_price",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .description(Some("minor units, 0 or more")),
            )
            .property(
                "amount",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .description(Some("quantity × unit price (read only)")),
            );
        object = object.property(
            "lines",
            ArrayBuilder::new().items(line).description(Some(
                "optional order lines (on create); the order's total is their sum, and a `total` sent with lines must equal it (422 naming `total` otherwise)",
            )),
        );
    }
    if input {
        object = object.property(
            "version",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .description(Some(
                    "on update: the version you read; a stale version is refused with 409",
                )),
        );
    }
    object
}

fn json_content(schema_name: &str) -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(schema_name)))
        .build()
}

fn query_param(name: &str, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

fn id_param() -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
        .build()
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", json_content("Error"))
        .build()
}

fn entity_paths(paths: PathsBuilder, entity: &EntityDef, schema: &str) -> PathsBuilder {
    let tag = entity.table;
    let base = format!("/api/v1/{}", entity.table);
    let list = OperationBuilder::new()
        .tag(tag)
        .summary(Some(format!("List {}", entity.table)))
        .description(Some(
            if entity.name == ACCOUNT.name {
                "Keyset-paginated list. Filters: `field=value`, `field__contains=`, `field__gte=`, `field__lte=`, `field__in=a,b`, `custom.KEY=`; and on the latest analytics run: `lifecycle_stage` (new, active, at_risk, dormant, lost), `rfm_segment`, `rfm_r`, `rfm_f`, `abc_class` (`=` or `__in`)."
            } else {
                "Keyset-paginated list. Filters: `field=value`, `field__contains=`, `field__gte=`, `field__lte=`, `field__in=a,b`, `custom.KEY=`."
            },
        ))
        .parameters(Some([
            query_param("q", "search text (Chinese words, names, e-mail or phone fragments)"),
            query_param("sort", "an indexed field, `-` prefix for descending"),
            query_param("limit", "page size, 1–200 (default 50)"),
            query_param("cursor", "`next_cursor` of the previous page"),
            query_param("count", "`true` to include a capped count"),
            query_param("deleted", "`true` to list the recycle bin"),
        ]))
        .response("200", ResponseBuilder::new().description("a page of records: `{data: [...], next_cursor}`").build())
        .response(
            "400",
            error_response("unknown filter, sort or cursor, or a field your roles hide"),
        );
    let create = OperationBuilder::new()
        .tag(tag)
        .summary(Some(format!("Create a record in {}", entity.table)))
        .request_body(Some(
            RequestBodyBuilder::new()
                .content("application/json", json_content(&format!("{schema}Input")))
                .required(Some(Required::True))
                .build(),
        ))
        .response(
            "201",
            ResponseBuilder::new()
                .description("created")
                .content("application/json", json_content(schema))
                .build(),
        )
        .response(
            "400",
            error_response("malformed JSON, unknown field or wrong type"),
        )
        .response("413", error_response("body too large"))
        .response(
            "422",
            error_response("invalid values, or fields your roles make read-only or hide, by field"),
        );
    let read = OperationBuilder::new()
        .tag(tag)
        .parameter(id_param())
        .response(
            "200",
            ResponseBuilder::new()
                .description("the record")
                .content("application/json", json_content(schema))
                .build(),
        )
        .response(
            "404",
            error_response("no such record, or not visible to you"),
        );
    let update = OperationBuilder::new()
        .tag(tag)
        .parameter(id_param())
        .summary(Some("Change fields; send `version`"))
        .request_body(Some(
            RequestBodyBuilder::new()
                .content("application/json", json_content(&format!("{schema}Input")))
                .build(),
        ))
        .response(
            "200",
            ResponseBuilder::new()
                .description("the changed record")
                .content("application/json", json_content(schema))
                .build(),
        )
        .response(
            "404",
            error_response("no such record, or not visible to you"),
        )
        .response(
            "409",
            error_response("someone else changed the record since you read it"),
        )
        .response(
            "422",
            error_response("invalid values, or fields your roles make read-only or hide, by field"),
        );
    let delete = OperationBuilder::new()
        .tag(tag)
        .parameter(id_param())
        .summary(Some("Move to the recycle bin"))
        .response(
            "204",
            ResponseBuilder::new()
                .description("deleted (restorable)")
                .build(),
        )
        .response(
            "404",
            error_response("no such record, or not visible to you"),
        );
    let restore = OperationBuilder::new()
        .tag(tag)
        .parameter(id_param())
        .summary(Some("Restore from the recycle bin"))
        .response(
            "200",
            ResponseBuilder::new()
                .description("restored")
                .content("application/json", json_content(schema))
                .build(),
        );
    let export = OperationBuilder::new()
        .tag(tag)
        .summary(Some(
            "Export the (filtered) list as CSV, without the fields your roles hide",
        ))
        .response(
            "200",
            ResponseBuilder::new()
                .description("text/csv, UTF-8 with BOM")
                .build(),
        )
        .response(
            "400",
            error_response("unknown filter or sort, or a field your roles hide"),
        );
    let export_xlsx = OperationBuilder::new()
        .tag(tag)
        .summary(Some(
            "Export the (filtered) list as XLSX: the same columns as the CSV export",
        ))
        .response(
            "200",
            ResponseBuilder::new()
                .description("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .build(),
        )
        .response(
            "400",
            error_response("unknown filter or sort, or a field your roles hide"),
        );
    let mut shares = simple_get(tag, "Who the record is shared with");
    shares.post = Some(
        OperationBuilder::new()
            .tag(tag)
            .parameter(id_param())
            .summary(Some(
                "Share with a user or team: {\"user_id\"|\"team_id\": N, \"access\": \"read\"|\"write\"} (owner or manager)",
            ))
            .response("201", ResponseBuilder::new().description("shared").build())
            .response("403", error_response("visible to you, but you may not share it"))
            .response("404", error_response("no such record, or not visible to you"))
            .response("422", error_response("unknown user or team, or the owner"))
            .build(),
    );
    let revoke = OperationBuilder::new()
        .tag(tag)
        .parameter(id_param())
        .summary(Some("Stop sharing (owner or manager)"))
        .response("204", ResponseBuilder::new().description("revoked").build())
        .response("404", error_response("no such record or share"));
    let mut item = PathItem::new(HttpMethod::Get, list);
    item.post = Some(create.build());
    let mut one = PathItem::new(HttpMethod::Get, read);
    one.patch = Some(update.build());
    one.delete = Some(delete.build());
    paths
        .path(base.clone(), item)
        .path(format!("{base}/{{id}}"), one)
        .path(
            format!("{base}/{{id}}/restore"),
            PathItem::new(HttpMethod::Post, restore),
        )
        .path(
            format!("{base}/export"),
            PathItem::new(HttpMethod::Get, export),
        )
        .path(
            format!("{base}/export.xlsx"),
            PathItem::new(HttpMethod::Get, export_xlsx),
        )
        .path(format!("{base}/{{id}}/shares"), shares)
        .path(
            format!("{base}/{{id}}/shares/{{share_id}}"),
            PathItem::new(HttpMethod::Delete, revoke),
        )
}

/// The changes a mass update of an entity takes: its mass-updatable fields and `custom`.
fn mass_changes_schema(entity: &'static EntityDef) -> ObjectBuilder {
    let mut object = ObjectBuilder::new().schema_type(Type::Object).description(Some(
        "the new values, as in an update; `owner_id` reassigns (the assign action), anything else is the mass update action",
    ));
    for field in mass_updatable_fields(entity) {
        object = object.property(field.name, field_schema(field));
    }
    object.property(
        "custom",
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("custom field values by key; null clears")),
    )
}

fn mass_update_input(entity: &'static EntityDef) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(format!(
            "either `ids` or `filters`, and `changes`; at most {MAX_RECORDS} records per request"
        )))
        .property(
            "ids",
            ArrayBuilder::new()
                .items(ObjectBuilder::new().schema_type(Type::Integer))
                .description(Some("the records to change")),
        )
        .property(
            "filters",
            ObjectBuilder::new().schema_type(Type::Object).description(Some(
                "every record matching these list parameters: `q` and field filters, as in `GET` of the list (`{\"level\": \"VIP\", \"q\": \"华为\"}`)",
            )),
        )
        .property("changes", mass_changes_schema(entity))
        .required("changes")
}

fn mass_update_result() -> ObjectBuilder {
    let count = |text: &str| {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .description(Some(text.to_string()))
    };
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "matched",
            count("selected records you may change (others are left out unnamed)"),
        )
        .property(
            "changed",
            count("of those, the records whose values differ and are (or would be) changed"),
        )
        .property(
            "moved_with",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .description(Some(
                "records that go with customers to their new owner, by entity (`{\"contact\": 7}`)",
            )),
        )
}

/// `POST /api/v1/<table>/mass-update` and its preview.
fn mass_update_paths(
    paths: PathsBuilder,
    entity: &'static EntityDef,
    schema: &str,
) -> PathsBuilder {
    let tag = entity.table;
    let base = format!("/api/v1/{}/mass-update", entity.table);
    let input = format!("{schema}MassUpdate");
    let operation = |summary: &str, result: &str| {
        OperationBuilder::new()
            .tag(tag)
            .summary(Some(summary))
            .request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", json_content(&input))
                    .required(Some(Required::True))
                    .build(),
            ))
            .response(
                "200",
                ResponseBuilder::new()
                    .description(result)
                    .content("application/json", json_content("MassUpdateResult"))
                    .build(),
            )
            .response(
                "400",
                error_response("malformed request, unknown field, filter or selection"),
            )
            .response(
                "403",
                error_response("your roles give no mass update (or assign) scope on these records"),
            )
            .response(
                "422",
                error_response(&format!(
                    "invalid values, fields your roles make read-only or hide, fields that cannot be set on many records, an owner you may not give records to, or more than {MAX_RECORDS} records — by field; nothing is changed"
                )),
            )
    };
    let apply = operation(
        "Set fields or a new owner on many records (chosen by ids or by the list's filters) in one transaction; records outside your mass update / assign scope are left alone and not named; each changed record gets a version bump and a timeline event, the action one audit entry",
        "what was changed",
    );
    let preview = operation(
        "Count what the mass update would change, without changing anything",
        "what would change",
    );
    paths
        .path(base.clone(), PathItem::new(HttpMethod::Post, apply))
        .path(
            format!("{base}/preview"),
            PathItem::new(HttpMethod::Post, preview),
        )
}

/// Export, erasure and consent of people (contacts, individual customers).
fn personal_data_paths(paths: PathsBuilder, table: &str) -> PathsBuilder {
    let base = format!("/api/v1/{table}/{{id}}");
    let not_a_person = "not a person (a company customer): not_a_person";
    let export = OperationBuilder::new()
        .tag(table)
        .parameter(id_param())
        .summary(Some(
            "Everything Kehu holds about the person, as a JSON download (read permission; recorded in the audit log as an export)",
        ))
        .response("200", ResponseBuilder::new().description("application/json attachment").build())
        .response("404", error_response("no such record, or not visible to you"))
        .response("422", error_response(not_a_person));
    let erase = OperationBuilder::new()
        .tag(table)
        .parameter(id_param())
        .summary(Some(
            "Erase the person, irreversibly: {\"confirm\": \"<current name>\"}. Needs the delete grant with scope all (admins). Personal fields, custom values, search index, consents and the values in the record's history are removed; an `erased` audit entry without values is kept",
        ))
        .response("200", ResponseBuilder::new().description("the erased record").build())
        .response("403", error_response("visible to you, but you may not erase it"))
        .response("404", error_response("no such record, or not visible to you"))
        .response("422", error_response("confirm does not match the name, or not a person"));
    let read_consent = OperationBuilder::new()
        .tag(table)
        .parameter(id_param())
        .summary(Some(
            "Consent by channel (email, call, message): {granted, source, given_at, recorded_by, recorded_at} or null (never asked: no)",
        ))
        .response("200", ResponseBuilder::new().description("OK").build())
        .response("404", error_response("no such record, or not visible to you"))
        .response("422", error_response(not_a_person));
    let set_consent = OperationBuilder::new()
        .tag(table)
        .parameter(id_param())
        .summary(Some(
            "Record answers: {\"email\": {\"granted\": true, \"source\": \"web_form\"|\"phone\"|\"email\"|\"import\"|\"manual\", \"given_at\": \"2026-05-01\"}}; other channels stay. Shown in the timeline",
        ))
        .response("200", ResponseBuilder::new().description("consent by channel").build())
        .response("403", error_response("visible to you, but you may not edit it"))
        .response("404", error_response("no such record, or not visible to you"))
        .response("422", error_response("invalid answers, by field"));
    let mut consent = PathItem::new(HttpMethod::Get, read_consent);
    consent.patch = Some(set_consent.build());
    paths
        .path(
            format!("{base}/personal-data"),
            PathItem::new(HttpMethod::Get, export),
        )
        .path(
            format!("{base}/erase"),
            PathItem::new(HttpMethod::Post, erase),
        )
        .path(format!("{base}/consent"), consent)
}

fn simple_post(tag: &str, summary: &str) -> PathItem {
    PathItem::new(
        HttpMethod::Post,
        OperationBuilder::new()
            .tag(tag)
            .summary(Some(summary))
            .response("200", ResponseBuilder::new().description("OK").build())
            .response("422", error_response("invalid values, by field")),
    )
}

fn simple_get(tag: &str, summary: &str) -> PathItem {
    PathItem::new(
        HttpMethod::Get,
        OperationBuilder::new()
            .tag(tag)
            .summary(Some(summary))
            .response("200", ResponseBuilder::new().description("OK").build()),
    )
}

/// Builds the whole document.
pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    paths = entity_paths(paths, &ACCOUNT, "Account");
    paths = entity_paths(paths, &CONTACT, "Contact");
    paths = entity_paths(paths, &ORDER, "Order");
    paths = mass_update_paths(paths, &ACCOUNT, "Account");
    paths = mass_update_paths(paths, &CONTACT, "Contact");
    paths = personal_data_paths(paths, "accounts");
    paths = personal_data_paths(paths, "contacts");
    let mut users = simple_get("users", "List users");
    users.post = Some(
        OperationBuilder::new()
            .tag("users")
            .summary(Some(
                "Create a user (admin): username, display_name, password, email, team_id, roles",
            ))
            .response("201", ResponseBuilder::new().description("created").build())
            .build(),
    );
    let mut user = simple_get("users", "Read a user");
    user.patch = Some(
        OperationBuilder::new()
            .tag("users")
            .summary(Some("Change a user (admin); send `version`"))
            .response("200", ResponseBuilder::new().description("OK").build())
            .build(),
    );
    user.delete = Some(
        OperationBuilder::new()
            .tag("users")
            .summary(Some(
                "Deactivate a user (admin): ends their sessions and tokens",
            ))
            .response(
                "204",
                ResponseBuilder::new().description("deactivated").build(),
            )
            .build(),
    );
    let mut teams = simple_get("teams", "List teams");
    teams.post = Some(
        OperationBuilder::new()
            .tag("teams")
            .summary(Some("Create a team: name, parent_id"))
            .response("201", ResponseBuilder::new().description("created").build())
            .build(),
    );
    let mut team = simple_get("teams", "Read a team");
    team.patch = Some(
        OperationBuilder::new()
            .tag("teams")
            .summary(Some(
                "Rename, move or give a manager to a team: name, parent_id, manager_id; send `version`",
            ))
            .response("200", ResponseBuilder::new().description("OK").build())
            .build(),
    );
    team.delete = Some(
        OperationBuilder::new()
            .tag("teams")
            .summary(Some("Delete an empty team"))
            .response("204", ResponseBuilder::new().description("deleted").build())
            .build(),
    );
    paths = paths
        .path("/api/v1/users", users)
        .path("/api/v1/users/{id}", user)
        .path("/api/v1/teams", teams)
        .path("/api/v1/teams/{id}", team)
        .path(
            "/api/v1/accounts/{id}/contacts",
            simple_get("accounts", "The customer's contacts"),
        )
        .path(
            "/api/v1/accounts/{id}/timeline",
            simple_get("accounts", "The customer's timeline, newest first"),
        )
        .path(
            "/api/v1/search",
            simple_get("search", "Search customers and contacts: ?q="),
        )
        .path(
            "/api/v1/transfers/preview",
            simple_post(
                "transfers",
                "Count what a transfer would move: from_user_id, to_user_id, optional filters (list filter parameters)",
            ),
        )
        .path(
            "/api/v1/transfers",
            simple_post(
                "transfers",
                "Move a user's customers (all or filtered) with their contacts to another user, in one transaction",
            ),
        )
        .path(
            "/api/v1/audit",
            simple_get(
                "audit",
                "Search the audit log (admin): user_id, entity, record_id, action, from, until, before_id",
            ),
        )
        .path(
            "/api/v1/analytics/rfm",
            simple_get(
                "analytics",
                "RFM grid (r, f, customers, revenue), segments, and customers by revenue: ?segment= &r= &f= &limit=",
            ),
        )
        .path(
            "/api/v1/analytics/abc",
            simple_get("analytics", "ABC classes and customers by revenue: ?class= &limit="),
        )
        .path(
            "/api/v1/analytics/clv",
            simple_get("analytics", "Fitted models and customers by CLV (minor units, 12 months)"),
        )
        .path(
            "/api/v1/analytics/lifecycle",
            simple_get("analytics", "Customers per lifecycle stage and the at-risk list by CLV × (1 − P(alive)): ?stage="),
        )
        .path("/api/v1/analytics/settings", {
            let mut item = simple_get(
                "analytics",
                "Analytics settings (admin): rfm_classes, segment_names {key: {en, zh_cn}}, abc {a, b} as shares, lifecycle {basis: recency|p_alive, thresholds}",
            );
            item.put = Some(
                OperationBuilder::new()
                    .tag("analytics")
                    .summary(Some("Replace the analytics settings (admin); missing keys take defaults; queues a recomputation"))
                    .response("200", ResponseBuilder::new().description("saved").build())
                    .response("422", error_response("invalid settings, by field; nothing saved"))
                    .build(),
            );
            item
        })
        .path(
            "/api/v1/analytics/runs",
            PathItem::new(
                HttpMethod::Post,
                OperationBuilder::new()
                    .tag("analytics")
                    .summary(Some("Queue a recomputation of customer values (202; 200 with queued=false when one is already queued)"))
                    .response("202", ResponseBuilder::new().description("queued").build()),
            ),
        );
    let error = ObjectBuilder::new().schema_type(Type::Object).property(
        "error",
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property("code", ObjectBuilder::new().schema_type(Type::String))
            .property("message", ObjectBuilder::new().schema_type(Type::String))
            .property(
                "fields",
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .description(Some("field name → {code, message}")),
            ),
    );
    let components = ComponentsBuilder::new()
        .schema("Account", record_schema(&ACCOUNT, false))
        .schema("AccountInput", record_schema(&ACCOUNT, true))
        .schema("Contact", record_schema(&CONTACT, false))
        .schema("ContactInput", record_schema(&CONTACT, true))
        .schema("Order", record_schema(&ORDER, false))
        .schema("OrderInput", record_schema(&ORDER, true))
        .schema("AccountMassUpdate", mass_update_input(&ACCOUNT))
        .schema("ContactMassUpdate", mass_update_input(&CONTACT))
        .schema("MassUpdateResult", mass_update_result())
        .schema("Error", error)
        .security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        )
        .build();
    OpenApiBuilder::new()
        .info(InfoBuilder::new().title("Kehu CRM API").version(env!("CARGO_PKG_VERSION")).description(Some(
            "REST API of Kehu. Authenticate with `Authorization: Bearer <token>` (`kehu token create --user NAME`). Errors: `{\"error\":{\"code\",\"message\",\"fields\"}}`.",
        )))
        .paths(paths)
        .components(Some(components))
        .security(Some([utoipa::openapi::security::SecurityRequirement::new("bearer", Vec::<String>::new())]))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_every_entity_route_and_required_fields() {
        let json = serde_json::to_value(document()).unwrap();
        assert_eq!(
            json["openapi"].as_str().map(|v| v.starts_with("3.")),
            Some(true)
        );
        for path in [
            "/api/v1/accounts",
            "/api/v1/accounts/{id}",
            "/api/v1/contacts/{id}/restore",
            "/api/v1/users",
            "/api/v1/contacts/{id}/shares",
            "/api/v1/contacts/{id}/personal-data",
            "/api/v1/accounts/{id}/erase",
            "/api/v1/contacts/{id}/consent",
            "/api/v1/transfers",
            "/api/v1/audit",
            "/api/v1/accounts/mass-update",
            "/api/v1/contacts/mass-update/preview",
        ] {
            assert!(json["paths"][path].is_object(), "{path} missing");
        }
        let required = &json["components"]["schemas"]["AccountInput"]["required"];
        assert_eq!(required, &serde_json::json!(["name"]));
        let changes = &json["components"]["schemas"]["ContactMassUpdate"]["properties"]["changes"];
        assert!(changes["properties"]["owner_id"].is_object(), "{changes}");
        assert!(changes["properties"]["account_id"].is_null(), "{changes}");
        assert_eq!(
            json["components"]["schemas"]["Account"]["properties"]["name"]["maxLength"],
            200
        );
    }
}
