#!/usr/bin/env python3
"""Open simrun field files with xarray the way a user would and check that they describe
themselves: named dimensions, cell-centre (or face) coordinates, units.

    xarray_check.py FILE [FILE ...]

Each FILE is an HDF5 file with fields in the group /fields (final.h5, a checkpoint's
checkpoint.h5). For each: xarray.open_dataset(FILE, engine="h5netcdf", group="fields") must give
every field listed in the root attribute `fields` with dims (y, x) or (z, y, x) (a face field
has x_face, y_face or z_face on its face axis), coordinate values equal to (i + 0.5) * d for
cells and (i + 1) * d for faces, with d from the root attribute `spacing` (dz, dy, dx), and
the attributes units, long_name, centring. The data must equal h5py's reading. Prints one line
per file; exits 1 naming the first problem.
Run by tests/xarray_open.rs with the venv scripts/test.sh makes (scripts/requirements-xarray.txt).
"""

import sys

import h5py
import numpy as np
import xarray as xr

AXES = ["z", "y", "x"]


def fail(path, msg):
    print(f"xarray_check: {path}: {msg}", file=sys.stderr)
    sys.exit(1)


def check(path):
    with h5py.File(path, "r") as f:
        spacing = [float(v) for v in f.attrs["spacing"]]
        fields = [n for n in str(f.attrs["fields"]).split(",") if n]
        shape = [int(v) for v in f.attrs["grid_shape"]]
        raw = {n: f["fields"][n][...] for n in fields}
    dims = len(shape)
    ds = xr.open_dataset(path, engine="h5netcdf", group="fields")
    if not fields:
        fail(path, "no fields listed in the `fields` attribute")
    for name in fields:
        if name not in ds.data_vars:
            fail(path, f"field {name} is not a data variable (have {list(ds.data_vars)})")
        v = ds[name]
        centring = v.attrs.get("centring")
        want = []
        for a in range(dims):
            g = 3 - dims + a
            axis = AXES[g]
            want.append(axis + "_face" if centring == axis + "_face" else axis)
        if list(v.dims) != want:
            fail(path, f"field {name} has dims {v.dims}, expected {tuple(want)}")
        if list(v.shape) != shape:
            fail(path, f"field {name} has shape {v.shape}, expected {shape}")
        for key in ("units", "long_name", "centring"):
            if not isinstance(v.attrs.get(key), str) or not v.attrs[key]:
                fail(path, f"field {name} has no attribute {key}")
        for a, dim in enumerate(want):
            g = 3 - dims + a
            if dim not in ds.coords:
                fail(path, f"dimension {dim} of {name} has no coordinate")
            n = shape[a]
            offset = 1.0 if dim.endswith("_face") else 0.5
            expected = (np.arange(n, dtype=np.float64) + offset) * spacing[g]
            got = ds.coords[dim].values
            if got.shape != expected.shape or not np.array_equal(got, expected):
                fail(path, f"coordinate {dim} is {got[:4]}..., expected {expected[:4]}...")
            for key in ("units", "long_name"):
                if key not in ds.coords[dim].attrs:
                    fail(path, f"coordinate {dim} has no attribute {key}")
        if not np.array_equal(v.values, raw[name], equal_nan=True):
            fail(path, f"field {name} read by xarray differs from h5py's reading")
    desc = ", ".join(f"{n}{tuple(ds[n].dims)}[{ds[n].attrs['units']}]" for n in fields)
    print(f"{path}: {desc}; coords {sorted(ds.coords)}")
    ds.close()


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    for p in sys.argv[1:]:
        try:
            check(p)
        except SystemExit:
            raise
        except Exception as e:  # a reader error is a failed check, named by file
            fail(p, f"{type(e).__name__}: {e}")


if __name__ == "__main__":
    main()
