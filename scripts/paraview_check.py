"""Open one simrun output directory's XDMF files in ParaView and check what a user would see.

    xvfb-run -a pvpython scripts/paraview_check.py OUT_DIR --field NAME [--shot FILE] [--label TEXT]

For final.xdmf and checkpoints.xdmf (when present), with both ParaView XDMF readers
(Xdmf3ReaderS, the default, and XDMFReader), at every time level:
  - the time steps ParaView lists are the XDMF's;
  - every field of the HDF5 file except the face fields is an array, with the right number of
    values, and its range equals the range h5py reads from the HDF5 dataset (bit for bit);
  - the bounds are the domain's (cell centres in 2-D, where the data sit on the nodes of a flat
    layer; the cell faces in 3-D), and a 2-D grid is flat in z.
Then, with the default reader on the last time of final.xdmf, it renders `--field` as ParaView
does on Apply (Surface for 3-D volumes, which ParaView shows as an outline) and counts the pixels
that are not background: after Reset Camera at least 80 % of what the domain's box can cover when
ParaView frames its bounding sphere (about a third of the view for a 4:3 plate; an outline or a
plate seen edge-on covers almost nothing), after Reset Camera Closest at least 50 %, each with at
least 16 colours (a field drawn in one solid colour fails). `--shot` saves a picture with a colour bar for the docs.
Prints one line per check; on the first failure prints `paraview-check: FAIL <what>` and exits 1.
Runs with pvpython (ParaView's Python, which imports Debian's h5py) under `xvfb-run -a`.
"""

import argparse
import math
import os
import sys
import xml.etree.ElementTree as ET

import h5py
import numpy as np
from paraview.simple import (XDMFReader, Xdmf3ReaderS, ColorBy, CreateView, Delete, GetActiveCamera,
                             GetColorTransferFunction, GetScalarBar, Hide, SaveScreenshot, SetActiveView, Show,
                             Text)
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkIOImage import vtkPNGReader

READERS = ("Xdmf3ReaderS", "XDMFReader")
BACKGROUND = (0, 255, 0)  # pure green: in no ParaView default colour map


def fail(what):
    print(f"paraview-check: FAIL {what}", flush=True)
    sys.exit(1)


def say(line):
    print(f"  {line}", flush=True)


def levels_of(xdmf):
    """The XDMF's time levels: [{time, nodes, origin, spacing, attrs: {name: (center, dims, file, dataset)}}]."""
    root = ET.parse(xdmf).getroot()
    top = root.find("Domain").find("Grid")
    grids = top.findall("Grid") if top.get("GridType") == "Collection" else [top]
    out = []
    for g in grids:
        geo = g.find("Geometry").findall("DataItem")
        attrs = {}
        for a in g.findall("Attribute"):
            item = a.find("DataItem")
            file, dataset = item.text.strip().split(":", 1)
            dims = [int(v) for v in item.get("Dimensions").split()]
            attrs[a.get("Name")] = (a.get("Center"), dims, os.path.join(os.path.dirname(xdmf), file), dataset)
        out.append({
            "time": float(g.find("Time").get("Value")),
            "nodes": [int(v) for v in g.find("Topology").get("Dimensions").split()],
            "origin": [float(v) for v in geo[0].text.split()],
            "spacing": [float(v) for v in geo[1].text.split()],
            "attrs": attrs,
        })
    return out


def h5_truth(level):
    """Per field: (min, max, count) read by h5py; plus the file's own grid (shape, spacing)."""
    truth, grid = {}, None
    for name, (_, dims, file, dataset) in level["attrs"].items():
        with h5py.File(file, "r") as f:
            data = f[dataset][...]
            if int(np.prod(dims)) != data.size:
                fail(f"{file}:{dataset} holds {data.shape}, the XDMF says {dims}")
            truth[name] = (float(np.min(data)), float(np.max(data)), data.size)
            # The fields, not their coordinates (dimension scales beside them in /fields).
            fields = {k for k in f["fields"] if f["fields"][k].attrs.get("CLASS") != b"DIMENSION_SCALE"}
            grid = (list(f.attrs["grid_shape"]), list(f.attrs["spacing"]), fields)
    return truth, grid


def expected_bounds(shape, spacing):
    """(xmin, xmax, ymin, ymax, zmin, zmax) of the data: cell centres in 2-D, faces in 3-D."""
    dz, dy, dx = spacing
    if len(shape) == 2:
        ny, nx = shape
        return [dx / 2, (nx - 0.5) * dx, dy / 2, (ny - 0.5) * dy, 0.0, 0.0]
    nz, ny, nx = shape
    return [0.0, nx * dx, 0.0, ny * dy, 0.0, nz * dz]


def open_reader(kind, path):
    if kind == "Xdmf3ReaderS":
        return Xdmf3ReaderS(FileName=[path])
    return XDMFReader(FileNames=[path])


def arrays_of(reader, dims):
    return reader.PointData if dims == 2 else reader.CellData


def check_file(xdmf, label):
    levels = levels_of(xdmf)
    if not levels:
        fail(f"{label}: {xdmf} lists no time level")
    for kind in READERS:
        reader = open_reader(kind, xdmf)
        tv = reader.TimestepValues
        times = [tv] if isinstance(tv, float) else list(tv or [])
        want = [lv["time"] for lv in levels]
        if len(levels) > 1 and times != want:
            fail(f"{label} {kind}: ParaView lists times {times}, the XDMF {want}")
        compared = 0
        for lv in levels:
            reader.UpdatePipeline(lv["time"])
            truth, (shape, spacing, h5_fields) = h5_truth(lv)
            shown = set(lv["attrs"])
            faces = {f for f in h5_fields if f.endswith("_face")}
            if shown != h5_fields - faces:
                fail(f"{label} {kind} t={lv['time']}: XDMF fields {sorted(shown)}, HDF5 non-face fields "
                     f"{sorted(h5_fields - faces)}")
            dims = len(shape)
            info = reader.GetDataInformation()
            bounds = list(info.GetBounds())
            exp = expected_bounds(shape, spacing)
            scale = max(exp[1], exp[3], exp[5])
            if any(abs(b - e) > 1e-6 * scale for b, e in zip(bounds, exp)):
                fail(f"{label} {kind} t={lv['time']}: bounds {bounds}, expected {exp}")
            arrays = arrays_of(reader, dims)
            for name, (lo, hi, count) in truth.items():
                if name not in arrays.keys():
                    fail(f"{label} {kind} t={lv['time']}: no {'point' if dims == 2 else 'cell'} array `{name}` "
                         f"(arrays: {list(arrays.keys())})")
                n = info.GetNumberOfPoints() if dims == 2 else info.GetNumberOfCells()
                if n != count:
                    fail(f"{label} {kind} t={lv['time']}: {n} values of `{name}`, the HDF5 dataset has {count}")
                got = arrays[name].GetRange()
                if (got[0], got[1]) != (lo, hi):
                    fail(f"{label} {kind} t={lv['time']}: `{name}` range {got} in ParaView, {(lo, hi)} in h5py")
                compared += 1
        last = levels[-1]
        ranges = ", ".join(f"{n} [{lo:.6g}, {hi:.6g}]" for n, (lo, hi, _) in sorted(h5_truth(last)[0].items()))
        say(f"{os.path.basename(xdmf)} {kind}: {compared} ranges over {len(levels)} time(s) = h5py bit for bit, "
            f"bounds = domain; at t={last['time']:.6g}: {ranges}")
        Delete(reader)
    return levels


def fill_of(png):
    r = vtkPNGReader()
    r.SetFileName(png)
    r.Update()
    img = vtk_to_numpy(r.GetOutput().GetPointData().GetScalars())[:, :3].astype(int)
    bg = np.abs(img - BACKGROUND).sum(axis=1) < 30
    return 1.0 - bg.mean(), len(np.unique(img[~bg], axis=0))


def render_check(xdmf, field, b, time, label, tmp, shot, title):
    dims = 2 if b[4] == b[5] else 3
    reader = Xdmf3ReaderS(FileName=[xdmf])
    reader.UpdatePipeline(time)
    view = CreateView("RenderView")
    SetActiveView(view)
    view.ViewSize = [480, 360]
    view.ViewTime = time
    view.OrientationAxesVisibility = 0
    try:
        view.UseColorPaletteForBackground = 0
    except AttributeError:
        pass
    view.Background = [c / 255 for c in BACKGROUND]
    disp = Show(reader, view)
    if dims == 3:
        disp.SetRepresentationType("Surface")
    ColorBy(disp, ("POINTS" if dims == 2 else "CELLS", field))
    disp.RescaleTransferFunctionToDataRange(False, True)
    # Reset Camera frames the bounding sphere (radius r: half the diagonal) in the 30-degree view
    # angle: a flat w x h domain can fill at most w h / (Hv * Wv) of the view, Hv = 2 r / cos(15).
    w, h, d = b[1] - b[0], b[3] - b[2], b[5] - b[4]
    hv = (w * w + h * h + d * d) ** 0.5 / math.cos(math.radians(15))
    framed = min(1.0, w * h / (hv * hv * 480 / 360))
    results = {}
    for mode, closest, need in (("Reset Camera", False, 0.8 * framed), ("Reset Camera Closest", True, 0.50)):
        view.ResetCamera(closest)
        png = os.path.join(tmp, f"fill-{int(closest)}.png")
        SaveScreenshot(png, view, ImageResolution=[480, 360])
        fill, colours = fill_of(png)
        results[mode] = fill
        say(f"render {field} after {mode}: {100 * fill:.1f} % of pixels coloured (need {100 * need:.1f} %), "
            f"{colours} colours")
        if fill < need or colours < 16:
            fail(f"{label}: `{field}` after {mode} fills {100 * fill:.1f} % of the view with {colours} colours "
                 f"(need >= {100 * need:.0f} % and >= 16)")
    if shot:
        view.Background = [0.32, 0.34, 0.43]
        disp.SetScalarBarVisibility(view, True)
        bar = GetScalarBar(GetColorTransferFunction(field), view)
        bar.WindowLocation = "Any Location"
        bar.Orientation = "Horizontal"
        bar.Position = [0.2, 0.02]
        bar.ScalarBarLength = 0.6
        bar.RangeLabelFormat = "%-#.3g"
        bar.Title = field
        bar.ComponentTitle = ""
        text = Text(Text=title)
        tdisp = Show(text, view)
        tdisp.FontSize = 12
        tdisp.WindowLocation = "Upper Center"
        if dims == 3:
            cam = GetActiveCamera()
            cam.Elevation(30)
            cam.Azimuth(35)
        view.ResetCamera(False)
        GetActiveCamera().Zoom(1.05 if dims == 2 else 1.0)
        SaveScreenshot(shot, view, ImageResolution=[480, 360])
        say(f"screenshot {shot}")
        Hide(text, view)
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--field", required=True, help="the field to render")
    ap.add_argument("--label", default=None, help="the case's name in messages and titles")
    ap.add_argument("--shot", default=None, help="save a screenshot with a colour bar here")
    a = ap.parse_args()
    out = os.path.abspath(a.out_dir)
    label = a.label or os.path.basename(out)
    print(f"paraview-check: {label} ({out})", flush=True)
    final = os.path.join(out, "final.xdmf")
    if not os.path.isfile(final):
        fail(f"{label}: no {final}")
    levels = check_file(final, label)
    series = os.path.join(out, "checkpoints.xdmf")
    if os.path.isfile(series):
        check_file(series, label)
    else:
        say("no checkpoints.xdmf (no checkpoint committed)")
    # Field writers' series ([[output.fields]]: <dir>.xdmf beside each writer's directory).
    for name in sorted(os.listdir(out)):
        if name.endswith(".xdmf") and name not in ("final.xdmf", "checkpoints.xdmf"):
            check_file(os.path.join(out, name), f"{label} {name}")
    lv = levels[-1]
    if a.field not in lv["attrs"]:
        fail(f"{label}: `{a.field}` is not in final.xdmf (fields: {sorted(lv['attrs'])})")
    shape, spacing, _ = h5_truth(lv)[1]
    title = f"{label}: {a.field}, t = {lv['time']:.4g}"
    render_check(final, a.field, expected_bounds(shape, spacing), lv["time"], label, out, a.shot, title)
    print(f"paraview-check: ok {label}", flush=True)


if __name__ == "__main__":
    main()
