//! The weather model's field table (see [`crate::models::field_info`]): SI units. The grid's
//! y axis is the vertical (height z); the state is stored as perturbations from the hydrostatic
//! background ([`super::diag::STATE`]), the view fields as upstream miniWeather writes them
//! ([`super::diag::VIEW`]).

use crate::models::field_info::{FieldInfo, FieldTable};

pub static TABLE: FieldTable = FieldTable {
    fields: &[
        FieldInfo::cell("dens", "kg m-3", "density perturbation"),
        FieldInfo::cell("uwnd", "m s-1", "horizontal wind u"),
        FieldInfo::cell("wwnd", "m s-1", "vertical wind w"),
        FieldInfo::cell("theta", "K", "potential temperature perturbation"),
        FieldInfo::cell("rho_pert", "kg m-3", "density perturbation (state)"),
        FieldInfo::cell("rho_u", "kg m-2 s-1", "horizontal momentum density rho u"),
        FieldInfo::cell("rho_w", "kg m-2 s-1", "vertical momentum density rho w"),
        FieldInfo::cell("rho_theta_pert", "K kg m-3", "perturbation of rho theta"),
    ],
    length_units: "m",
    axis_names: ["unused", "height z (grid y is the vertical)", "horizontal position x"],
};
