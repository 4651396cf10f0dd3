//! Labels for pictures: the units of each model's view fields, the names and units of its axes
//! and of its time. A local table keyed by the model's name, for images only; it is the hook
//! where a per-model field-information table (units, long names) plugs in when there is one.
//!
//! weather is dimensional (SI: metres, seconds, kg/m^3, m/s, K; the grid's y axis is the
//! vertical z); heat and navier_stokes are in the units of their configuration (no units
//! written).

/// Units of `field` of `model` ("" when the model has none).
pub fn field_units(model: &str, field: &str) -> &'static str {
    match (model, field) {
        ("weather", "dens" | "rho_pert") => "kg/m^3",
        ("weather", "uwnd" | "wwnd") => "m/s",
        ("weather", "theta") => "K",
        ("weather", "rho_u" | "rho_w") => "kg/(m^2 s)",
        ("weather", "rho_theta_pert") => "kg K/m^3",
        _ => "",
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
