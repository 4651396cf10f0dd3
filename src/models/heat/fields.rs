//! The heat model's field table (see [`crate::models::field_info`]). Heat is nondimensional: the
//! temperature is in the units of the configured temperatures, lengths in those of `grid.lx`.

use crate::models::field_info::{FieldInfo, FieldTable};

pub static TABLE: FieldTable = FieldTable {
    fields: &[FieldInfo::cell("temperature", "1", "temperature")],
    length_units: "1",
    axis_names: ["position z", "position y", "position x"],
};
