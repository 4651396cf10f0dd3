//! Labels for pictures: the units of each model's view fields (from the model's field table, as
//! in the HDF5 attributes), the names and units of its axes and of its time.
//!
//! weather is dimensional (SI: metres, seconds, kg/m^3, m/s, K; the grid's y axis is the
//! vertical z); heat and navier_stokes are in the units of their configuration (no units
//! written).

/// Units of `field` of `model` as the model's field table gives them ([`crate::models::FieldTable`],
/// the same `units` attribute the HDF5 outputs carry; "" for a dimensionless "1" or an unknown
/// field).
pub fn field_units(model: &str, field: &str) -> &'static str {
    match crate::models::find(model).and_then(|m| m.fields().get(field)).map(|f| f.units) {
        Some("1") | None => "",
        Some(u) => u,
    }
}

/// The labels of the picture's horizontal and vertical axes (grid x and y) and the name of the
/// third axis (grid z, the slice position of a 3-D image), each with its units.
pub fn axes(model: &str) -> [&'static str; 3] {
    match model {
        "weather" => ["x (m)", "z (m)", "-"],
        _ => ["x", "y", "z"],
    }
}

/// The units of simulated time ("" when the model has none).
pub fn time_units(model: &str) -> &'static str {
    match model {
        "weather" => "s",
        _ => "",
    }
}

/// "value" or "value units".
pub fn with_units(value: &str, units: &str) -> String {
    if units.is_empty() {
        value.to_string()
    } else {
        format!("{value} {units}")
    }
}
