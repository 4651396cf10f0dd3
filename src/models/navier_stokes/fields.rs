//! The Navier-Stokes model's field table (see [`crate::models::field_info`]). The model is
//! nondimensional (density 1, nu = 1 / Re): units "1". The state's face velocities sit where
//! [`super::mac`] stores them: `u_face[j][i]` on the east face of cell (i, j), x = (i + 1) dx;
//! `v_face[j][i]` on its north face, y = (j + 1) dy.

use crate::models::field_info::{Centring, FieldInfo, FieldTable};

pub static TABLE: FieldTable = FieldTable {
    fields: &[
        FieldInfo::cell("u", "1", "x-velocity at cell centres"),
        FieldInfo::cell("v", "1", "y-velocity at cell centres"),
        FieldInfo::cell("p", "1", "kinematic pressure"),
        FieldInfo::cell("vorticity", "1", "vorticity dv/dx - du/dy"),
        FieldInfo::cell("speed", "1", "speed |u|"),
        FieldInfo { name: "u_face", units: "1", long_name: "x-velocity on east cell faces", centring: Centring::XFace },
        FieldInfo { name: "v_face", units: "1", long_name: "y-velocity on north cell faces", centring: Centring::YFace },
    ],
    length_units: "1",
    axis_names: ["position z", "position y", "position x"],
};
