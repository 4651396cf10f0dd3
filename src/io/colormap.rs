//! The "inferno" perceptually uniform colour map (van der Walt & Smith, matplotlib), sampled at
//! nine points and interpolated linearly.

const INFERNO: [[f64; 3]; 9] = [
    [0.001462, 0.000466, 0.013866],
    [0.087411, 0.044556, 0.224813],
    [0.258234, 0.038571, 0.406485],
    [0.416331, 0.090203, 0.432943],
    [0.578304, 0.148039, 0.404411],
    [0.735683, 0.215906, 0.330245],
    [0.865006, 0.316822, 0.226055],
    [0.954506, 0.468744, 0.099874],
    [0.987622, 0.645320, 0.039886],
];
const TOP: [f64; 3] = [0.988362, 0.998364, 0.644924];

/// Colour of `s` in [0, 1] (clamped); NaN is drawn magenta.
pub fn inferno(s: f64) -> [u8; 3] {
    if s.is_nan() {
        return [255, 0, 255];
    }
    let s = s.clamp(0.0, 1.0);
    let stops: Vec<[f64; 3]> = INFERNO.iter().copied().chain(std::iter::once(TOP)).collect();
    let pos = s * (stops.len() - 1) as f64;
    let i = (pos.floor() as usize).min(stops.len() - 2);
    let f = pos - i as f64;
    let mut c = [0u8; 3];
    for k in 0..3 {
        c[k] = ((stops[i][k] * (1.0 - f) + stops[i + 1][k] * f) * 255.0).round() as u8;
    }
    c
}
