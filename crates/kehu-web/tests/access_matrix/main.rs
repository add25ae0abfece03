//! The access matrix of issue 4 through the REST API, on SQLite and PostgreSQL: for each
//! kind of acting user (role scope all / team / own / none, a team manager, a user with two
//! roles) and each kind of customer (own, a team-mate's, a sub-team member's, team B's,
//! team B's shared with the user read-only or read-write or with their team), every
//! endpoint: list, count, detail, search, CSV and XLSX export, related lists (contacts,
//! shares, timeline), update, mass update and its preview (by ids and by filter), assign
//! (a mass update of the owner) and its preview, delete, the recycle bin and restore,
//! share and revoke, transfer and its preview — for customers and their contacts.
//!
//! The expected outcome of each cell comes from the rule table in `rules.rs`. A refused
//! read is a 404 (existence is not confirmed), a 403 only when the record can be read but
//! not changed; no request but an allowed write or export changes a byte of the database;
//! lists, counts, searches and exports hold exactly the records the rules allow. Every
//! failing cell is reported, not just the first.

#[path = "../../../kehu-db/tests/common/mod.rs"]
mod common;
mod rules;
#[path = "../support/mod.rs"]
mod support;
mod world;

use axum::http::StatusCode;
use calamine::{Reader, Xlsx};
use common::sql;
use kehu_db::Db;
use rules::{ActorSpec, Mass, Transfer};
use serde_json::{json, Value as Json};
use std::fmt::Debug;
use std::io::Cursor;
use world::{Seeded, World};

backend_tests!(
    scope_all,
    scope_team,
    scope_own,
    scope_none,
    team_manager,
    two_roles
);

async fn scope_all(db: Db) {
    run(db, &rules::ALL).await;
}

async fn scope_team(db: Db) {
    run(db, &rules::TEAM).await;
}

async fn scope_own(db: Db) {
    run(db, &rules::OWN).await;
}

async fn scope_none(db: Db) {
    run(db, &rules::BLIND).await;
}

async fn team_manager(db: Db) {
    run(db, &rules::MANAGER).await;
}

async fn two_roles(db: Db) {
    run(db, &rules::TWO_ROLES).await;
}

async fn run(db: Db, spec: &ActorSpec) {
    let w = world::build(db, spec).await;
    let mut m = Matrix {
        w: &w,
        schema: sql::schema(&w.db).await,
        actor: spec.name,
        cells: 0,
        failures: Vec::new(),
    };
    // Reads first: the writes below move and change records.
    lists_and_exports(&mut m, spec).await;
    for record in &w.kept {
        record_reads(&mut m, spec, record).await;
    }
    for record in &w.kept {
        record_writes(&mut m, spec, record).await;
    }
    for record in &w.given {
        assignment(&mut m, spec, record).await;
    }
    for record in &w.doomed {
        let expected = outcome(
            spec.reads(record.kind),
            spec.deletes(record.kind),
            StatusCode::NO_CONTENT,
        );
        let uri = format!("/api/v1/accounts/{}", record.id);
        m.status(record, "delete", "DELETE", &uri, None, expected)
            .await;
    }
    recycle_bin(&mut m, spec).await;
    m.finish();
}

/// The status a request on one record should get: 404 unless the user can read the
/// record, then `allowed` or 403.
fn outcome(reads: bool, allowed: bool, allowed_status: StatusCode) -> StatusCode {
    match (reads, allowed) {
        (false, _) => StatusCode::NOT_FOUND,
        (true, false) => StatusCode::FORBIDDEN,
        (true, true) => allowed_status,
    }
}

fn ok_or_404(reads: bool) -> StatusCode {
    outcome(reads, true, StatusCode::OK)
}

struct Matrix<'w> {
    w: &'w World,
    /// The tables to dump around each request, read once.
    schema: sql::Schema,
    actor: &'static str,
    cells: usize,
    failures: Vec<String>,
}

impl Matrix<'_> {
    fn check<T: PartialEq + Debug>(&mut self, record: &str, cell: &str, expected: T, got: T) {
        self.cells += 1;
        if expected != got {
            self.failures.push(format!(
                "{} × {record} × {cell}: expected {expected:?}, got {got:?}",
                self.actor
            ));
        }
    }

    /// Sends a request as the actor. Unless `may_write`, the database must be exactly as
    /// before; a refusal must not name the record.
    async fn send(
        &mut self,
        record: &str,
        cell: &str,
        (method, uri, body): (&str, &str, Option<Json>),
        may_write: bool,
    ) -> (StatusCode, Vec<u8>) {
        let before = if may_write {
            None
        } else {
            Some(sql::dump_tables(&self.w.db, &self.schema).await)
        };
        let (status, bytes) =
            support::call_raw(&self.w.app, method, uri, &self.w.token, body).await;
        if let Some(before) = before {
            let unchanged = sql::dump_tables(&self.w.db, &self.schema).await == before;
            self.check(
                record,
                &format!("{cell}: database unchanged"),
                true,
                unchanged,
            );
        }
        if status.is_client_error() {
            let text = String::from_utf8_lossy(&bytes);
            let named =
                text.contains(&format!("mx{record}")) || text.contains(&format!("ct{record}"));
            self.check(
                record,
                &format!("{cell}: refusal names nothing"),
                false,
                named,
            );
        }
        (status, bytes)
    }

    async fn get_json(&mut self, record: &str, cell: &str, uri: &str) -> (StatusCode, Json) {
        let (status, bytes) = self.send(record, cell, ("GET", uri, None), false).await;
        (status, serde_json::from_slice(&bytes).unwrap_or(Json::Null))
    }

    /// One request whose status is the cell; it may write only when the expected status
    /// is a success.
    async fn status(
        &mut self,
        record: &Seeded,
        cell: &str,
        method: &str,
        uri: &str,
        body: Option<Json>,
        expected: StatusCode,
    ) -> Json {
        let may_write = method != "GET" && expected.is_success();
        let (status, bytes) = self
            .send(record.kind.name, cell, (method, uri, body), may_write)
            .await;
        self.check(record.kind.name, cell, expected, status);
        serde_json::from_slice(&bytes).unwrap_or(Json::Null)
    }

    /// A mass update (or its preview) of one record, from what its answer says; it may
    /// write only when it is expected to change the record. Gives the answer.
    async fn mass(
        &mut self,
        record: &Seeded,
        cell: &str,
        (uri, body): (&str, Json),
        expected: Mass,
        applies: bool,
    ) -> Json {
        let may_write = applies && expected == Mass::Changed;
        let (status, bytes) = self
            .send(record.kind.name, cell, ("POST", uri, Some(body)), may_write)
            .await;
        let answer: Json = serde_json::from_slice(&bytes).unwrap_or(Json::Null);
        let counts = (answer["matched"].as_i64(), answer["changed"].as_i64());
        let got = match (status, counts) {
            (StatusCode::OK, (Some(1), Some(1))) => Some(Mass::Changed),
            // Outside the scope: not even counted as matched, so not told apart from an
            // id that does not exist.
            (StatusCode::OK, (Some(0), Some(0))) => Some(Mass::NothingChanged),
            (StatusCode::FORBIDDEN, _) => Some(Mass::Refused),
            (StatusCode::UNPROCESSABLE_ENTITY, _) => Some(Mass::RecipientRefused),
            _ => None,
        };
        self.check(record.kind.name, cell, Some(expected), got);
        answer
    }

    fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "{} of {} cells failed for {}:\n{}",
            self.failures.len(),
            self.cells,
            self.actor,
            self.failures.join("\n")
        );
        eprintln!("{}: {} cells passed", self.actor, self.cells);
    }
}

fn ids(list: &Json) -> Vec<i64> {
    let mut ids: Vec<i64> = list
        .as_array()
        .map(|rows| rows.iter().filter_map(|r| r["id"].as_i64()).collect())
        .unwrap_or_default();
    ids.sort();
    ids
}

fn sorted(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort();
    ids
}

/// Every text cell of the first sheet of an XLSX file.
fn xlsx_cells(bytes: Vec<u8>) -> Vec<String> {
    let Ok(mut workbook) = calamine::open_workbook_from_rs::<Xlsx<_>, _>(Cursor::new(bytes)) else {
        return Vec::new();
    };
    let Some(Ok(range)) = workbook.worksheet_range_at(0) else {
        return Vec::new();
    };
    range.rows().flatten().map(|c| c.to_string()).collect()
}

/// Lists, counts, searches and exports: each shows exactly the records the rules allow.
async fn lists_and_exports(m: &mut Matrix<'_>, spec: &ActorSpec) {
    let w = m.w;
    let (_, list) = m
        .get_json("*", "account list", "/api/v1/accounts?limit=200&count=true")
        .await;
    let readable = sorted(w.all().filter(|s| spec.reads(s.kind)).map(|s| s.id));
    m.check(
        "*",
        "account list = readable",
        &readable,
        &ids(&list["data"]),
    );
    m.check(
        "*",
        "account count",
        json!(readable.len()),
        list["count"]["value"].clone(),
    );
    let (_, contacts) = m
        .get_json("*", "contact list", "/api/v1/contacts?limit=200")
        .await;
    let contacts_readable = sorted(
        w.all()
            .filter(|s| spec.reads_contact(s.kind))
            .map(|s| s.contact_id),
    );
    m.check(
        "*",
        "contact list = readable",
        &contacts_readable,
        &ids(&contacts["data"]),
    );

    let export_status = if spec.may_export() {
        StatusCode::OK
    } else {
        StatusCode::FORBIDDEN
    };
    let mut exports = Vec::new();
    for (entity, path) in [
        ("accounts", "export"),
        ("accounts", "export.xlsx"),
        ("contacts", "export"),
        ("contacts", "export.xlsx"),
    ] {
        let uri = format!("/api/v1/{entity}/{path}");
        let request = ("GET", uri.as_str(), None);
        let (status, bytes) = m.send("*", &uri, request, spec.may_export()).await;
        m.check("*", &uri, export_status, status);
        let cells = if path.ends_with("xlsx") {
            xlsx_cells(bytes)
        } else {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            text.lines()
                .flat_map(|line| line.split(',').map(|c| c.trim_matches('"').to_string()))
                .collect()
        };
        exports.push(cells);
    }

    for record in &w.kept {
        let (kind, id) = (record.kind, record.id);
        let name = kind.name;
        m.check(
            name,
            "account list",
            spec.reads(kind),
            ids(&list["data"]).contains(&id),
        );
        let uri = format!("/api/v1/accounts?id={id}&count=true");
        let (_, counted) = m.get_json(name, "account count", &uri).await;
        m.check(
            name,
            "account count",
            json!(u8::from(spec.reads(kind))),
            counted["count"]["value"].clone(),
        );
        let uri = format!("/api/v1/search?q={}", record.name);
        let (_, found) = m.get_json(name, "account search", &uri).await;
        m.check(
            name,
            "account search",
            spec.reads(kind),
            ids(&found["accounts"]).contains(&id),
        );
        let uri = format!("/api/v1/search?q={}", record.contact_name);
        let (_, found) = m.get_json(name, "contact search", &uri).await;
        let contact_found = ids(&found["contacts"]).contains(&record.contact_id);
        m.check(
            name,
            "contact search",
            spec.reads_contact(kind),
            contact_found,
        );
        m.check(
            name,
            "contact list",
            spec.reads_contact(kind),
            ids(&contacts["data"]).contains(&record.contact_id),
        );
        for (cells, format) in exports[..2].iter().zip(["CSV", "XLSX"]) {
            let exported = cells.contains(&record.name);
            m.check(
                name,
                &format!("account {format} export"),
                spec.exports(kind),
                exported,
            );
        }
        for (cells, format) in exports[2..].iter().zip(["CSV", "XLSX"]) {
            let exported = cells.contains(&record.contact_name);
            m.check(
                name,
                &format!("contact {format} export"),
                spec.exports(kind),
                exported,
            );
        }
    }
}

/// Detail and the related lists of one customer, and its contact's detail.
async fn record_reads(m: &mut Matrix<'_>, spec: &ActorSpec, record: &Seeded) {
    let (kind, id) = (record.kind, record.id);
    let expected = ok_or_404(spec.reads(kind));
    let uri = format!("/api/v1/accounts/{id}");
    let detail = m
        .status(record, "detail", "GET", &uri, None, expected)
        .await;
    if expected == StatusCode::OK {
        m.check(
            kind.name,
            "detail name",
            json!(record.name),
            detail["name"].clone(),
        );
    }
    let uri = format!("/api/v1/accounts/{id}/contacts");
    let related = m
        .status(record, "related contacts", "GET", &uri, None, expected)
        .await;
    if expected == StatusCode::OK {
        let listed = ids(&related["data"]).contains(&record.contact_id);
        m.check(
            kind.name,
            "related contacts: contact listed",
            spec.reads_contact(kind),
            listed,
        );
    }
    let uri = format!("/api/v1/accounts/{id}/shares");
    let shares = m
        .status(record, "related shares", "GET", &uri, None, expected)
        .await;
    if expected == StatusCode::OK {
        let listed = ids(&shares["data"]).contains(&record.outsider_share_id);
        m.check(kind.name, "related shares: share listed", true, listed);
    }
    let uri = format!("/api/v1/accounts/{id}/timeline");
    let timeline = m
        .status(record, "timeline", "GET", &uri, None, expected)
        .await;
    if expected == StatusCode::OK {
        let events = timeline["data"].as_array().cloned().unwrap_or_default();
        let about = |entity: &str, record_id: i64| {
            events
                .iter()
                .any(|e| e["entity"] == entity && e["record_id"] == record_id)
        };
        m.check(
            kind.name,
            "timeline: customer's events",
            true,
            about("account", id),
        );
        let contact_events = about("contact", record.contact_id);
        m.check(
            kind.name,
            "timeline: contact's events",
            spec.reads_contact(kind),
            contact_events,
        );
    }
    let uri = format!("/api/v1/contacts/{}", record.contact_id);
    let expected = ok_or_404(spec.reads_contact(kind));
    m.status(record, "contact detail", "GET", &uri, None, expected)
        .await;
}

/// The current version of a record, as the admin sees it.
async fn version(w: &World, uri: &str) -> i64 {
    let (status, body) = support::call(&w.app, "GET", uri, &w.admin, None).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    body["version"].as_i64().unwrap()
}

/// Update (customer and contact), share, revoke and transfer of one customer.
async fn record_writes(m: &mut Matrix<'_>, spec: &ActorSpec, record: &Seeded) {
    let w = m.w;
    let (kind, id) = (record.kind, record.id);
    let uri = format!("/api/v1/accounts/{id}");
    let patch = json!({"version": version(w, &uri).await, "level": "VIP"});
    let expected = outcome(spec.reads(kind), spec.edits(kind), StatusCode::OK);
    m.status(record, "update", "PATCH", &uri, Some(patch), expected)
        .await;

    let uri = format!("/api/v1/contacts/{}", record.contact_id);
    let patch = json!({"version": version(w, &uri).await, "title": "采购经理"});
    let expected = outcome(
        spec.reads_contact(kind),
        spec.edits_contact(kind),
        StatusCode::OK,
    );
    m.status(
        record,
        "contact update",
        "PATCH",
        &uri,
        Some(patch),
        expected,
    )
    .await;

    // Raising the outsider's share to read-write, then revoking it.
    let uri = format!("/api/v1/accounts/{id}/shares");
    let body = json!({"user_id": w.outsider_id, "access": "write"});
    let expected = outcome(spec.reads(kind), spec.shares(kind), StatusCode::CREATED);
    m.status(record, "share", "POST", &uri, Some(body), expected)
        .await;
    let uri = format!("/api/v1/accounts/{id}/shares/{}", record.outsider_share_id);
    let expected = outcome(spec.reads(kind), spec.shares(kind), StatusCode::NO_CONTENT);
    m.status(record, "revoke share", "DELETE", &uri, None, expected)
        .await;

    mass_updates(m, spec, record).await;

    // The actor takes the customer, or gives their own to a team-mate.
    let (from, to) = if record.owner_id == w.actor_id {
        (w.actor_id, w.mate_id)
    } else {
        (record.owner_id, w.actor_id)
    };
    let body = json!({"from_user_id": from, "to_user_id": to, "filters": {"id": id.to_string()}});
    let expected = spec.transfer(kind);
    // The preview first: it says what the transfer will do, and never writes.
    for (cell, uri, may_write) in [
        ("transfer preview", "/api/v1/transfers/preview", false),
        ("transfer", "/api/v1/transfers", expected == Transfer::Moved),
    ] {
        let request = ("POST", uri, Some(body.clone()));
        let (status, bytes) = m.send(kind.name, cell, request, may_write).await;
        let answer: Json = serde_json::from_slice(&bytes).unwrap_or(Json::Null);
        let got = match (status, answer["counts"]["account"].as_i64()) {
            (StatusCode::OK, Some(1)) => Some(Transfer::Moved),
            (StatusCode::OK, Some(0)) => Some(Transfer::NothingMoved),
            (StatusCode::UNPROCESSABLE_ENTITY, _) => Some(Transfer::RecipientRefused),
            _ => None,
        };
        m.check(kind.name, cell, Some(expected), got);
    }
}

/// Mass updates of one customer's fields, by id and by a filter that matches only it,
/// each previewed first; and of its contact.
async fn mass_updates(m: &mut Matrix<'_>, spec: &ActorSpec, record: &Seeded) {
    let id = record.id;
    let expected = spec.mass_update(record.kind);
    let by_ids = |changes: Json| json!({"ids": [id], "changes": changes});
    let by_filter = |changes: Json| json!({"filters": {"id": id.to_string()}, "changes": changes});
    let preview = "/api/v1/accounts/mass-update/preview";
    let apply = "/api/v1/accounts/mass-update";
    // Each applied value is new to the record, so that an allowed update changes it.
    let cells = [
        (
            "mass update preview",
            (preview, by_ids(json!({"industry": "制造"}))),
            false,
        ),
        (
            "mass update preview by filter",
            (preview, by_filter(json!({"industry": "制造"}))),
            false,
        ),
        (
            "mass update by filter",
            (apply, by_filter(json!({"industry": "制造"}))),
            true,
        ),
        (
            "mass update",
            (apply, by_ids(json!({"industry": "零售"}))),
            true,
        ),
    ];
    for (cell, request, applies) in cells {
        m.mass(record, cell, request, expected, applies).await;
    }
    let contact = json!({"ids": [record.contact_id], "changes": {"department": "采购部"}});
    let request = ("/api/v1/contacts/mass-update", contact);
    m.mass(record, "contact mass update", request, expected, true)
        .await;
}

/// The actor gives a customer away (their own to a team-mate, anyone else's to
/// themselves) by a mass update of its owner, previewed first; its contact goes along.
async fn assignment(m: &mut Matrix<'_>, spec: &ActorSpec, record: &Seeded) {
    let w = m.w;
    let (kind, id) = (record.kind, record.id);
    let to = if record.owner_id == w.actor_id {
        w.mate_id
    } else {
        w.actor_id
    };
    let expected = spec.assign(kind);
    let preview = json!({"ids": [id], "changes": {"owner_id": to}});
    let request = ("/api/v1/accounts/mass-update/preview", preview);
    let previewed = m
        .mass(record, "assign preview", request, expected, false)
        .await;
    let apply = json!({"filters": {"id": id.to_string()}, "changes": {"owner_id": to}});
    let request = ("/api/v1/accounts/mass-update", apply);
    let applied = m.mass(record, "assign", request, expected, true).await;
    if expected != Mass::Changed {
        return;
    }
    for (cell, answer) in [("assign preview", previewed), ("assign", applied)] {
        let cell = format!("{cell}: the contact goes along");
        m.check(
            kind.name,
            &cell,
            json!(1),
            answer["moved_with"]["contact"].clone(),
        );
    }
    for (uri, cell) in [
        (format!("/api/v1/accounts/{id}"), "assign: new owner"),
        (
            format!("/api/v1/contacts/{}", record.contact_id),
            "assign: contact's new owner",
        ),
    ] {
        let (_, now) = support::call(&w.app, "GET", &uri, &w.admin, None).await;
        m.check(kind.name, cell, json!(to), now["owner_id"].clone());
    }
}

/// The recycle bin: what the actor could not delete the admin does, so that every copy
/// lies in the bin; the actor's bin lists, and restore brings back, exactly those their
/// delete scope covers.
async fn recycle_bin(m: &mut Matrix<'_>, spec: &ActorSpec) {
    let w = m.w;
    for record in w.doomed.iter().filter(|r| !spec.deletes(r.kind)) {
        let uri = format!("/api/v1/accounts/{}", record.id);
        let (status, body) = support::call(&w.app, "DELETE", &uri, &w.admin, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{uri}: {body}");
    }
    let (_, bin) = m
        .get_json(
            "*",
            "recycle bin",
            "/api/v1/accounts?deleted=true&limit=200",
        )
        .await;
    let listed = ids(&bin["data"]);
    for record in &w.doomed {
        let kind = record.kind;
        let cell = "recycle bin list";
        m.check(
            kind.name,
            cell,
            spec.restores(kind),
            listed.contains(&record.id),
        );
        let expected = if spec.restores(kind) {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        let uri = format!("/api/v1/accounts/{}/restore", record.id);
        m.status(record, "restore", "POST", &uri, None, expected)
            .await;
    }
}
