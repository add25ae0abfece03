//! Order lines in the orders API: `POST /api/v1/orders` takes an optional `lines` array
//! (product, quantity, unit price in minor units) whose sum becomes the order's total,
//! and an order read back carries its lines.

use crate::error::ApiError;
use crate::state::AppState;
use kehu_core::entity::EntityDef;
use kehu_core::order_lines::{check_lines, OrderLine};
use kehu_db::orders;
use serde_json::{json, Map, Value};

/// Takes `lines` out of an order's request body and checks them; the body then gets
/// the lines' total (and their quantity, unless one was given). A total that differs
/// from the lines' sum is a 422 naming `total`. `None` when there are no lines.
pub fn take_lines(
    entity: &EntityDef,
    body: &mut Map<String, Value>,
) -> Result<Option<Vec<OrderLine>>, ApiError> {
    if entity.name != kehu_core::entity::ORDER.name {
        return Ok(None);
    }
    let Some(raw) = body.remove("lines") else {
        return Ok(None);
    };
    if raw.is_null() {
        return Ok(None);
    }
    let checked = check_lines(&raw, body.get("total")).map_err(ApiError::invalid)?;
    body.insert("total".into(), checked.total.into());
    if matches!(body.get("quantity"), None | Some(Value::Null)) {
        body.insert("quantity".into(), checked.quantity.into());
    }
    Ok(Some(checked.lines))
}

/// Whether records of `entity` carry lines (orders do).
pub fn has_lines(entity: &EntityDef) -> bool {
    entity.name == kehu_core::entity::ORDER.name
}

/// Adds `lines` (possibly empty) to an order's JSON.
pub async fn add_lines(
    state: &AppState,
    entity: &EntityDef,
    record: &mut Value,
    id: i64,
) -> Result<(), ApiError> {
    if !has_lines(entity) {
        return Ok(());
    }
    let lines = orders::lines_of(&state.db, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    record["lines"] = lines.iter().map(line_json).collect();
    Ok(())
}

fn line_json(line: &OrderLine) -> Value {
    json!({
        "product": line.product,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "amount": line.amount,
    })
}
