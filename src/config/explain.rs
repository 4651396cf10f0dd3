//! The key reference: every configuration key with its type, default and meaning. Printed by
//! `simrun check --explain`; a test checks that every key of a full config is listed here.

/// (key, type, default, meaning). `[]` marks an array-of-tables entry.
pub const KEYS: &[(&str, &str, &str, &str)] = &[
    ("model", "string", "required", "physics to run: \"heat\", \"weather\" or \"navier_stokes\" (2-D)"),
    ("grid.nx", "integer >= 1", "required", "cells along x"),
    ("grid.ny", "integer >= 1", "required", "cells along y"),
    ("grid.nz", "integer >= 1", "absent (2-D)", "cells along z; present = 3-D"),
    ("grid.lx", "number > 0", "1.0", "domain length along x"),
    ("grid.ly", "number > 0", "1.0", "domain length along y"),
    ("grid.lz", "number > 0", "1.0", "domain length along z (3-D)"),
    ("time.steps", "integer", "-", "number of steps (give steps or end_time)"),
    ("time.end_time", "number > 0", "-", "simulated end time (give steps or end_time)"),
    ("time.dt", "number > 0", "from cfl", "fixed time step; rejected above the stability limit"),
    ("time.cfl", "number in (0, 1]", "0.9", "fraction of the maximum stable dt used when dt is absent"),
    ("time.wall_limit", "number > 0", "none", "wall-clock budget (s): before it runs out, write a final checkpoint and stop with exit code 75"),
    ("parallel.threads", "integer >= 0", "0", "rayon threads per process; 0 = all cores the process may use"),
    ("parallel.layout", "array of integers", "automatic", "MPI process grid [px, py(, pz)]; must multiply to the number of ranks"),
    ("parallel.time_block", "integer 0-8", "0", "steps fused into one sweep over memory (temporal blocking, heat 2-D; 3-D and the other models take one step per sweep); 0 = automatic (as many as fit half the L2 cache, 2-8; the same on every rank), 1 = off; the same bits for any value"),
    ("output.dir", "string", "\"out\"", "directory for final.h5, final.png, images/"),
    ("output.diagnostics_every", "integer >= 0", "100", "diagnostics, NaN/Inf check and progress line every N steps; 0 = start and end only"),
    ("output.image_every", "integer >= 0", "0", "PNG image to images/ every N steps; 0 = final image only"),
    ("output.images", "bool", "true", "write PNG images at all"),
    ("output.progress", "string", "\"auto\"", "\"auto\" (bar on a terminal, log lines otherwise), \"bar\", \"log\", \"off\""),
    ("checkpoint.every_steps", "integer >= 0", "0", "a checkpoint every N steps; 0 = off"),
    ("checkpoint.every_time", "number >= 0", "0", "a checkpoint every T of simulated time; 0 = off"),
    ("checkpoint.every_wall", "number >= 0", "0", "a checkpoint every W wall-clock seconds (rank 0's clock); 0 = off"),
    ("checkpoint.keep", "integer >= 1", "3", "keep the last K committed checkpoints, remove older ones"),
    ("checkpoint.queue", "integer >= 1", "2", "checkpoints that may wait for the I/O thread"),
    ("checkpoint.on_full", "string", "\"wait\"", "queue full: \"wait\" (timed, reported as io_wait) or \"skip\" the checkpoint with a warning"),
    ("checkpoint.asynchronous", "bool", "true", "false = compute waits for every write (for comparison only)"),
    ("checkpoint.compression", "integer 0-9", "0", "deflate level for checkpoint data; 0 = off"),
    ("heat.alpha", "number > 0", "1.0", "thermal diffusivity in dT/dt = alpha laplacian(T)"),
    ("heat.boundary.<face>.kind", "string", "\"neumann\"", "face = x_lo, x_hi, y_lo, y_hi, z_lo, z_hi; \"dirichlet\", \"neumann\" or \"periodic\" (both faces of an axis)"),
    ("heat.boundary.<face>.value", "number", "0.0", "dirichlet: wall temperature; neumann: outward normal derivative dT/dn (0 = insulated)"),
    ("heat.initial.background", "number", "0.0", "uniform initial temperature"),
    ("heat.initial.shapes[].kind", "string", "-", "\"disc\", \"sphere\", \"box\" (set value inside) or \"gaussian\" (adds), applied in order"),
    ("heat.initial.shapes[].center", "array (x, y[, z])", "-", "centre of a disc, sphere or gaussian"),
    ("heat.initial.shapes[].radius", "number > 0", "-", "radius of a disc or sphere"),
    ("heat.initial.shapes[].lo", "array (x, y[, z])", "-", "low corner of a box"),
    ("heat.initial.shapes[].hi", "array (x, y[, z])", "-", "high corner of a box"),
    ("heat.initial.shapes[].value", "number", "-", "temperature inside a disc, sphere or box"),
    ("heat.initial.shapes[].sigma", "number > 0", "-", "width of a gaussian"),
    ("heat.initial.shapes[].amplitude", "number", "-", "height of a gaussian"),
    ("heat.initial.sine.amplitude", "number", "1.0", "adds amplitude * prod sin(k pi x / L); enables l2_error against the analytic solution"),
    ("heat.initial.sine.k", "array of integers", "required", "wave numbers (kx, ky[, kz]); exact with Dirichlet walls at the background value"),
    ("heat.initial.noise.amplitude", "number >= 0", "required", "adds uniform noise in [-amplitude, amplitude], keyed by global cell index"),
    ("heat.initial.noise.seed", "integer >= 0", "0", "noise seed"),
    ("weather.case", "string", "\"thermal\"", "\"thermal\", \"collision\", \"gravity_waves\", \"density_current\" or \"injection\" (grid y is the vertical z)"),
    ("weather.compat", "string", "\"none\"", "\"none\" (physically intended) or \"miniweather\" (reproduce the upstream C code and its quirks)"),
    ("weather.cfl", "number > 0", "1.5", "dt = cfl * min(dx, dz) / 450 m/s when time.dt is absent"),
    ("weather.hv_beta", "number in [0, 1]", "0.05", "hyperviscosity strength beta"),
    ("navier_stokes.re", "number > 0", "100.0", "Reynolds number; viscosity nu = 1/re (density 1)"),
    ("navier_stokes.initial", "string", "\"rest\"", "initial velocity: \"rest\" or \"taylor_green\" (one period of the Taylor-Green vortex over the domain)"),
    ("navier_stokes.body_force", "array [fx, fy]", "[0.0, 0.0]", "body force per unit mass, e.g. a driving pressure gradient -dp/dx for a channel"),
    ("navier_stokes.boundary.<face>.kind", "string", "\"wall\"", "face = x_lo, x_hi, y_lo, y_hi; \"wall\" (no-slip) or \"periodic\" (both faces of an axis)"),
    ("navier_stokes.boundary.<face>.velocity", "number", "0.0", "wall only: tangential wall speed (u on y faces, v on x faces), e.g. 1.0 on y_hi for a lid"),
    ("navier_stokes.multigrid.tolerance", "number > 0", "1e-8", "stop V-cycles when max |residual| (= max divergence after projection, 1/time) is at most this"),
    ("navier_stokes.multigrid.max_cycles", "integer >= 1", "30", "at most this many V-cycles per pressure solve"),
    ("navier_stokes.multigrid.smooth", "integer >= 1", "3", "red-black Gauss-Seidel sweeps before and after each coarse-grid correction"),
];

/// The reference as aligned text.
pub fn text() -> String {
    let w = KEYS.iter().map(|k| k.0.len()).max().unwrap_or(0);
    let mut s = String::new();
    for (key, ty, default, doc) in KEYS {
        s.push_str(&format!("{key:w$}  {ty} (default {default})\n{:w$}  {doc}\n", ""));
    }
    s
}

/// Is `key` (dotted, with `[i]` indices and face names) documented?
pub fn documented(key: &str) -> bool {
    let mut k = String::new();
    let mut chars = key.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '[' {
            for d in chars.by_ref() {
                if d == ']' {
                    break;
                }
            }
            k.push_str("[]");
        } else {
            k.push(c);
        }
    }
    for face in ["x_lo", "x_hi", "y_lo", "y_hi", "z_lo", "z_hi"] {
        k = k.replace(&format!(".{face}."), ".<face>.");
    }
    KEYS.iter().any(|e| e.0 == k)
}
