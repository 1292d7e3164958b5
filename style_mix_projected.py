"""Style mixing with projected images: the StyleGAN paper's figure 3 layout, with real images among the sources.

  python style_mix_projected.py --network ffhq --rows results/00003-project-real-images/image0000-dlatents.npy,888,829 \\
      --cols 639,results/00003-project-real-images/image0001-dlatents.npy --styles coarse,middle,fine

--rows and --cols take dlatents files written by run_projector.py ([num_layers, dlatent_size] .npy) or
seeds (mapped without truncation unless --truncation-psi, as in the paper's figure). The top row shows
the columns' images, the left column the rows' images; each other cell is its row's image with the
layers of the row's style range taken from its column: coarse = layers 0-3 (4x4-8x8), middle = 4-7
(16x16-32x32), fine = 8 and up (64x64 and up), or an explicit range such as 2-5. A projection is drawn
with its own noise maps (the -noise.npz beside its .npy); a mixed cell uses its row's noise maps.
Seeds use the noise maps stored in the network, as the paper's figure does.
"""

import argparse
import os
import re
import tempfile
import zipfile
import zlib

import numpy as np
import PIL.Image

import config
import dnnlib
from dnnlib import arguments
import pretrained_networks

STYLES = {"coarse": (0, 4), "middle": (4, 8), "fine": (8, None)}  # layer ranges of the 18-layer 1024x1024 generator


def parse_elements(text, what):
    elements = [part.strip() for part in text.split(",") if part.strip()]
    if not elements:
        raise dnnlib.util.UserError("%s needs at least one dlatents .npy file or seed." % what)
    for element in elements:
        if not os.path.isfile(element) and not (re.fullmatch(r"[0-9]{1,10}", element) and int(element) < 2 ** 32):
            raise dnnlib.util.UserError("%s: '%s' is neither a seed (0 to 2**32-1) nor an existing dlatents file." % (what, element))
    return elements


def style_range(spec, num_layers):
    """'coarse', 'middle', 'fine' or 'A-B' -> range of layers, which must exist in this network."""
    if spec in STYLES:
        start, stop = STYLES[spec]
        layers = range(start, num_layers if stop is None else min(stop, num_layers))
    else:
        match = re.fullmatch(r"([0-9]{1,20})-([0-9]{1,20})", spec)  # (int() refuses 4300 digits)
        if not match or int(match.group(1)) > int(match.group(2)):
            raise dnnlib.util.UserError("--styles takes coarse, middle, fine or a layer range such as 2-5 (got '%s')." % spec)
        layers = range(int(match.group(1)), int(match.group(2)) + 1)
    if layers.start >= layers.stop or layers.stop > num_layers:  # (len() of a range beyond 2**63 would overflow)
        raise dnnlib.util.UserError("Style '%s' needs layers %s; this network has %d layers (0-%d): give a range such as %d-%d."
                                    % (spec, "%d and up" % layers.start if spec == "fine" else "%d-%d" % (layers.start, layers.stop - 1),
                                       num_layers, num_layers - 1, num_layers // 2, num_layers - 1))
    return layers


def style_ranges(text, num_rows, num_layers):
    """One range per row: --styles lists one per row, or one for all; default: rows in thirds, coarse, middle, fine (those the network has)."""
    if text is None:
        available = [name for name, (start, _stop) in STYLES.items() if start < num_layers]  # a 32x32 network has no fine styles
        specs = [available[row * len(available) // num_rows] for row in range(num_rows)]
    else:
        specs = [part.strip() for part in text.split(",")]
        if len(specs) == 1:
            specs *= num_rows
        if len(specs) != num_rows:
            raise dnnlib.util.UserError("--styles lists %d styles for %d rows; give one per row, or one for all." % (len(specs), num_rows))
    return [style_range(spec, num_layers) for spec in specs]


def _read_npy(file, file_size, shapes, what):
    """The real numbers of one .npy array (an open file or zip member) whose header gives one of `shapes`, as
    float32; checked before its data is read, and refused when not finite."""
    try:
        shape, dtype = dnnlib.util.npy_header(file, file_size)
        if dtype.kind not in "iuf" or tuple(shape) not in shapes:
            raise ValueError("it holds %s values of shape %s; this network takes %s of shape %s"
                             % (dtype, list(shape), "real numbers", " or ".join(str(list(s)) for s in shapes)))
        values = np.load(file, allow_pickle=False).astype(np.float32)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise dnnlib.util.UserError("Cannot read %s: %s." % (what, str(err).splitlines()[0].rstrip(".") if str(err) else type(err).__name__))
    if not np.all(np.isfinite(values)):
        raise dnnlib.util.UserError("Cannot use %s: it holds NaN or infinite values (in float32)." % what)
    return values


def load_dlatents(path, Gs, noise_names):
    """(dlatents [num_layers, dlatent_size], noise maps dict or None) of a run_projector.py result."""
    num_layers, dlatent_size = Gs.components.synthesis.input_shape[1:]
    with open(path, "rb") as file:
        dlatents = _read_npy(file, os.fstat(file.fileno()).st_size, [(num_layers, dlatent_size), (1, num_layers, dlatent_size)],
                             "dlatents '%s'" % path).reshape(num_layers, dlatent_size)
    noise = None
    noise_path = path[:-len("-dlatents.npy")] + "-noise.npz" if path.endswith("-dlatents.npy") else None
    if noise_path is not None and os.path.isfile(noise_path):
        noise = _load_noise(noise_path, {name: tuple(Gs.components.synthesis.vars[name].shape.as_list()) for name in noise_names})
    return dlatents, noise


def _load_noise(path, shapes):
    """The noise maps of a run_projector.py result (an .npz of one array per name in shapes), each checked by its
    header before it is inflated: a small archive can declare gigabytes."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info for info in archive.infolist()}
            if sorted(members) != sorted(name + ".npy" for name in shapes):
                raise dnnlib.util.UserError("'%s' does not hold this network's noise maps (%s)." % (path, ", ".join(shapes)))
            odd = [info.filename for info in members.values() if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 1]
            if odd:
                raise dnnlib.util.UserError("'%s': %s is encrypted or compressed other than np.savez does." % (path, odd[0]))
            noise = {}
            for name, shape in shapes.items():
                with archive.open(members[name + ".npy"]) as member:
                    noise[name] = _read_npy(member, members[name + ".npy"].file_size, [shape], "noise map %s of '%s'" % (name, path))
            return noise
    except (OSError, zipfile.BadZipFile) as err:
        raise dnnlib.util.UserError("Cannot read noise maps '%s': %s." % (path, str(err).splitlines()[0] if str(err) else type(err).__name__))


def load_sources(elements, Gs, noise_names, truncation_psi, class_idx):
    """[(dlatents [L, D], noise dict or None)] for dlatents files and seeds."""
    sources = []
    label_size = Gs.input_shapes[1][1]
    for element in elements:
        if os.path.isfile(element):
            sources.append(load_dlatents(element, Gs, noise_names))
            continue
        seed = int(element)
        latents = np.random.RandomState(seed).randn(1, *Gs.input_shape[1:])
        labels = None
        if label_size > 0:
            labels = pretrained_networks.one_hot_labels(Gs, [seed if class_idx is None else class_idx], wrap=class_idx is None)
        dlatents = Gs.components.mapping.run(latents, labels)[0]
        if truncation_psi != 1:
            average = Gs.get_var("dlatent_avg")
            dlatents = average + truncation_psi * (dlatents - average)
        sources.append((dlatents.astype(np.float32), None))
    return sources


def draw_style_mixing(Gs, rows, cols, ranges):
    """The figure as a PIL image: a blank corner, the columns' images on top, the rows' down the left, mixes inside."""
    import dnnlib.tflib as tflib
    synthesis = Gs.components.synthesis
    noise_vars = {name: var for name, var in synthesis.vars.items() if name.startswith("noise")}
    stored_noise = dict(zip(noise_vars, tflib.run(list(noise_vars.values()))))
    channels, height, width = Gs.output_shape[1:]

    def render(dlatents, noise):
        tflib.set_vars({var: (noise or stored_noise)[name] for name, var in noise_vars.items()})
        images = synthesis.run(np.asarray(dlatents), randomize_noise=False,
                               output_transform=dict(func=tflib.convert_images_to_uint8, nchw_to_nhwc=True))
        return [PIL.Image.fromarray(image[:, :, 0], "L").convert("RGB") if channels == 1 else PIL.Image.fromarray(image, "RGB") for image in images]

    canvas = PIL.Image.new("RGB", (width * (len(cols) + 1), height * (len(rows) + 1)), "white")
    for i, (dlatents, noise) in enumerate(cols):
        canvas.paste(render([dlatents], noise)[0], (width * (i + 1), 0))
    for j, ((dlatents, noise), layers) in enumerate(zip(rows, ranges)):
        canvas.paste(render([dlatents], noise)[0], (0, height * (j + 1)))
        mixes = np.repeat(dlatents[np.newaxis], len(cols), axis=0)
        for i, (col_dlatents, _col_noise) in enumerate(cols):
            mixes[i, layers] = col_dlatents[layers]
        for i, image in enumerate(render(mixes, noise)):
            canvas.paste(image, (width * (i + 1), height * (j + 1)))
    tflib.set_vars({var: stored_noise[name] for name, var in noise_vars.items()})
    return canvas


def _check_output(path):
    """Found before the work, not after it, and creating nothing: --out may not be a directory, and its nearest
    existing folder must take a file."""
    if os.path.isdir(path):
        raise dnnlib.util.UserError("--out '%s' is a directory; give the PNG's file name." % path)
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(folder):
        folder = os.path.dirname(folder)
    tempfile.TemporaryFile(dir=folder).close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="\n".join(__doc__.splitlines()[2:]),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--network", default="demo", help="the network the dlatents were projected with: demo, a preset (%s), a URL or a .pkl (default: demo)"
                        % ", ".join(sorted(pretrained_networks.PRESETS)))
    parser.add_argument("--rows", required=True, help="comma-separated dlatents .npy files and seeds: the left column (they receive styles)")
    parser.add_argument("--cols", required=True, help="comma-separated dlatents .npy files and seeds: the top row (they give styles)")
    parser.add_argument("--styles", default=None, help="per row: coarse, middle, fine or a layer range A-B (default: rows in thirds, coarse to fine)")
    parser.add_argument("--truncation-psi", type=arguments.finite_float, default=1.0, help="truncation of the seeds' dlatents (default: 1.0, none)")
    parser.add_argument("--class", dest="class_idx", type=arguments.nonnegative_int, default=None, metavar="N", help="class of the seeds on a class-conditional network (default: seed modulo classes)")
    parser.add_argument("--out", default=os.path.join(config.result_dir, "style-mixing-projected.png"), help="output PNG (default: %(default)s)")
    args = parser.parse_args(argv)
    row_elements, col_elements = parse_elements(args.rows, "--rows"), parse_elements(args.cols, "--cols")
    pretrained_networks.resolve_network(args.network)
    _check_output(args.out)

    import dnnlib.tflib as tflib  # only now: --help and bad options answer without starting TensorFlow
    tflib.init_tf()
    _G, _D, Gs = pretrained_networks.load_networks(args.network)
    if args.class_idx is not None:
        if Gs.input_shapes[1][1] == 0:
            raise dnnlib.util.UserError("--class %d: this network is not class-conditional (it takes no labels)." % args.class_idx)
        pretrained_networks.one_hot_labels(Gs, [args.class_idx])
    noise_names = [name for name in Gs.components.synthesis.vars if name.startswith("noise")]
    ranges = style_ranges(args.styles, len(row_elements), Gs.components.synthesis.input_shape[1])
    rows = load_sources(row_elements, Gs, noise_names, args.truncation_psi, args.class_idx)
    cols = load_sources(col_elements, Gs, noise_names, args.truncation_psi, args.class_idx)

    canvas = draw_style_mixing(Gs, rows, cols, ranges)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with dnnlib.util.atomic_output(args.out) as temp:
        canvas.save(temp, format="PNG")
    print("Saved %s" % args.out)


if __name__ == "__main__":
    dnnlib.util.run_command_line(main)
