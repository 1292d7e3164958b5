"""Reproduce the figures of the StyleGAN paper (figure02 ... figure12) from pretrained generators.

With no arguments every figure is drawn from NVIDIA's networks, as in the
original. `--demo` draws figures 3, 4, 5 and 8 from the bundled Fashion-MNIST
network (class-conditional: classes follow the seeds, one truncation row per
class). `--network ffhq=PATH` (or bedrooms=, cars=, cats=) substitutes a
local pickle or URL; figures then follow the network's own resolution, so
they also work on small networks (geometry is scaled from the official
1024/512/256 layouts and is identical at those resolutions).
"""

import argparse
import os

import numpy as np
import PIL.Image

import config
import dnnlib
import pretrained_networks

url_ffhq = pretrained_networks.PRESETS["ffhq"]          # karras2019stylegan-ffhq-1024x1024.pkl
url_celebahq = pretrained_networks.PRESETS["celebahq"]  # karras2019stylegan-celebahq-1024x1024.pkl
url_bedrooms = pretrained_networks.PRESETS["bedrooms"]  # karras2019stylegan-bedrooms-256x256.pkl
url_cars = pretrained_networks.PRESETS["cars"]          # karras2019stylegan-cars-512x384.pkl
url_cats = pretrained_networks.PRESETS["cats"]          # karras2019stylegan-cats-256x256.pkl

def synthesis_kwargs():
    """Gs.run options of every figure: uint8 NHWC images, minibatch 8 (a function, so that --help needs no TensorFlow)."""
    import dnnlib.tflib as tflib
    return {"minibatch_size": 8, "output_transform": {"func": tflib.convert_images_to_uint8, "nchw_to_nhwc": True}}

_Gs_cache = dict()


def load_Gs(url):
    """Gs of a network pickle (preset name, URL or path), loaded once per process."""
    if url not in _Gs_cache:
        _G, _D, Gs = pretrained_networks.load_networks(url)
        _Gs_cache[url] = Gs
    return _Gs_cache[url]


def _image(array):
    """uint8 HWC (1 or 3 channels) -> RGB PIL image."""
    if array.shape[2] == 1:
        return PIL.Image.fromarray(array[:, :, 0], "L").convert("RGB")
    return PIL.Image.fromarray(array, "RGB")


def _seed_latents(Gs, seeds):
    return np.stack([np.random.RandomState(seed).randn(Gs.input_shape[1]) for seed in seeds])


def _labels(Gs, classes):
    """None for unconditional networks (as the original passes); else one-hot labels, class = value mod classes."""
    return pretrained_networks.one_hot_labels(Gs, list(classes), wrap=True) if Gs.input_shapes[1][1] > 0 else None


def _num_layers(Gs):
    return Gs.components.synthesis.input_shape[1]


def _clip_range(r, num_layers):
    """A layer range of the 18-layer FFHQ generator, restricted to a network with fewer layers."""
    return range(min(r.start, num_layers), min(r.stop, num_layers))

# ----------------------------------------------------------------------------
# Figures 2, 10, 11, 12: uncurated results.


def draw_uncurated_result_figure(png, Gs, cx, cy, cw, ch,
                                 rows, lods, seed):
    print(png)
    latents = np.random.RandomState(seed).randn(sum(rows * 2 ** lod for lod in lods), Gs.input_shape[1])
    images = Gs.run(latents, _labels(Gs, range(len(latents))), **synthesis_kwargs())  # default truncation: psi 0.7, cutoff 8

    canvas = PIL.Image.new("RGB", (sum(cw // 2 ** lod for lod in lods), ch * rows), "white")
    image_iter = iter(list(images))
    x = 0
    for lod in lods:
        for row in range(rows * 2 ** lod):
            image = _image(next(image_iter)).crop((cx, cy, cx + cw, cy + ch))
            image = image.resize((cw // 2 ** lod, ch // 2 ** lod), PIL.Image.LANCZOS)
            canvas.paste(image, (x, (row * ch) // 2 ** lod))
        x += cw // 2 ** lod
    canvas.save(png)

# ----------------------------------------------------------------------------
# Figure 3: style mixing.


def _synthesize(Gs, dlatents):
    """Images from dlatents with the stored (not random) noise."""
    return Gs.components.synthesis.run(dlatents, randomize_noise=False, **synthesis_kwargs())


def _dlatents(Gs, seeds):
    """[seed, layer, component] dlatents of the seeds' latents (no truncation)."""
    return Gs.components.mapping.run(_seed_latents(Gs, seeds), _labels(Gs, seeds))


def draw_style_mixing_figure(png, Gs, w, h,
                             src_seeds, dst_seeds, style_ranges):
    print(png)
    sources, destinations = _dlatents(Gs, src_seeds), _dlatents(Gs, dst_seeds)
    canvas = PIL.Image.new("RGB", (w * (len(src_seeds) + 1), h * (len(dst_seeds) + 1)), "white")
    for i, image in enumerate(_synthesize(Gs, sources)):  # the top row
        canvas.paste(_image(image), (w * (i + 1), 0))
    for j, image in enumerate(_synthesize(Gs, destinations)):  # the left column, then the mixes of its row
        canvas.paste(_image(image), (0, h * (j + 1)))
        layers = style_ranges[j]
        mixes = np.repeat(destinations[j][np.newaxis], len(src_seeds), axis=0)
        mixes[:, layers] = sources[:, layers]
        for i, mixed in enumerate(_synthesize(Gs, mixes)):
            canvas.paste(_image(mixed), (w * (i + 1), h * (j + 1)))
    canvas.save(png)

# ----------------------------------------------------------------------------
# Figure 4: noise detail.


def draw_noise_detail_figure(png, Gs, w, h,
                             num_samples, seeds):
    print(png)
    canvas = PIL.Image.new("RGB", (w * 3, h * len(seeds)), "white")
    scale = w / 1024  # the crop box below is in 1024x1024 pixels
    crop = tuple(int(round(v * scale)) for v in (650, 180, 906, 436))
    for row, seed in enumerate(seeds):
        latents = np.repeat(_seed_latents(Gs, [seed]), num_samples, axis=0)  # one latent, many noise draws
        images = Gs.run(latents, _labels(Gs, [seed] * num_samples), truncation_psi=1, **synthesis_kwargs())
        canvas.paste(_image(images[0]), (0, row * h))
        for i in range(4):
            detail = _image(images[i + 1]).crop(crop).resize((w // 2, h // 2), PIL.Image.NEAREST)
            canvas.paste(detail, (w + (i % 2) * w // 2, row * h + (i // 2) * h // 2))
        spread = images.mean(axis=3).std(axis=0) * 4  # per-pixel std over the noise draws, amplified
        diff = np.clip(spread + 0.5, 0, 255).astype(np.uint8)  # +0.5 then truncation: rounds half up
        canvas.paste(PIL.Image.fromarray(diff, "L"), (w * 2, row * h))
    canvas.save(png)

# ----------------------------------------------------------------------------
# Figure 5: noise components.


def draw_noise_components_figure(png, Gs, w, h,
                                 seeds, noise_ranges, flips):
    import dnnlib.tflib as tflib
    print(png)
    Gsc = Gs.clone()
    noise_vars = [var for name, var in Gsc.components.synthesis.vars.items() if name.startswith("noise")]
    noise_values = tflib.run(noise_vars)
    latents = _seed_latents(Gs, seeds)
    all_images = []
    for noise_range in noise_ranges:
        tflib.set_vars({var: value if i in noise_range else np.zeros_like(value) for i, (var, value) in enumerate(zip(noise_vars, noise_values))})
        range_images = Gsc.run(latents, _labels(Gs, seeds), truncation_psi=1, randomize_noise=False, **synthesis_kwargs())
        range_images[flips] = range_images[flips][:, :, ::-1]  # mirror horizontally
        all_images.append(list(range_images))

    canvas = PIL.Image.new("RGB", (w * 2, h * 2), "white")
    left, right = (0, 0, w // 2, h), (w // 2, 0, w, h)
    for col in range(len(seeds)):
        x = col * w
        for quarter, (box, at) in enumerate([(left, (x, 0)), (right, (x + w // 2, 0)), (left, (x, h)), (right, (x + w // 2, h))]):
            canvas.paste(_image(all_images[quarter][col]).crop(box), at)
    canvas.save(png)

# ----------------------------------------------------------------------------
# Figure 8: truncation trick.


def draw_truncation_trick_figure(png, Gs, w, h,
                                 seeds, psis):
    print(png)
    average = Gs.get_var("dlatent_avg")  # [component]
    canvas = PIL.Image.new("RGB", (w * len(psis), h * len(seeds)), "white")
    for row, dlatent in enumerate(_dlatents(Gs, seeds)):
        truncated = np.stack([average + psi * (dlatent - average) for psi in psis])  # every layer, no cutoff
        for col, image in enumerate(_synthesize(Gs, truncated)):
            canvas.paste(_image(image), (col * w, row * h))
    canvas.save(png)

# ----------------------------------------------------------------------------
# Ours: a row per class of a class-conditional network (the bundled network's sample grid).


def draw_class_grid_figure(png, Gs, w, h, seeds, psi=0.7):
    print(png)
    num_classes = Gs.input_shapes[1][1]
    latents = _seed_latents(Gs, seeds)
    canvas = PIL.Image.new("RGB", (w * len(seeds), h * num_classes), "white")
    for row in range(num_classes):
        labels = pretrained_networks.one_hot_labels(Gs, [row] * len(seeds))
        for col, image in enumerate(Gs.run(latents, labels, truncation_psi=psi, randomize_noise=False, **synthesis_kwargs())):
            canvas.paste(_image(image), (col * w, row * h))
    canvas.save(png)

# ----------------------------------------------------------------------------


def _scaled(values, scale):
    return [int(v * scale) for v in values]


def figure_jobs(outdir):
    """(figure number, network key, function(Gs) that draws it) for every figure, scaled to Gs's resolution."""
    def path(name):
        return os.path.join(outdir, name)

    def uncurated(name, ref_size, cx, cy, cw, ch, rows, lods, seed):
        def draw(Gs):
            s = Gs.output_shape[3] / ref_size
            draw_uncurated_result_figure(path(name), Gs, *_scaled([cx, cy, cw, ch], s), rows=rows, lods=lods, seed=seed)
        return draw

    def size(Gs):
        return Gs.output_shape[3], Gs.output_shape[2]

    def style_mixing(Gs):
        ranges = [range(0, 4)] * 3 + [range(4, 8)] * 2 + [range(8, 18)]
        draw_style_mixing_figure(path("figure03-style-mixing.png"), Gs, *size(Gs), src_seeds=[639, 701, 687, 615, 2268],
                                 dst_seeds=[888, 829, 1898, 1733, 1614, 845], style_ranges=[_clip_range(r, _num_layers(Gs)) for r in ranges])

    def noise_detail(Gs):
        draw_noise_detail_figure(path("figure04-noise-detail.png"), Gs, *size(Gs), num_samples=100, seeds=[1157, 1012])

    def noise_components(Gs):
        ranges = [range(0, 18), range(0, 0), range(8, 18), range(0, 8)]
        draw_noise_components_figure(path("figure05-noise-components.png"), Gs, *size(Gs), seeds=[1967, 1555],
                                     noise_ranges=[_clip_range(r, _num_layers(Gs)) for r in ranges], flips=[1])

    def truncation(Gs):
        label_size = Gs.input_shapes[1][1]
        seeds = list(range(label_size)) if label_size > 0 else [91, 388]  # class-conditional: a row per class
        draw_truncation_trick_figure(path("figure08-truncation-trick.png"), Gs, *size(Gs), seeds=seeds, psis=[1, 0.7, 0.5, 0, -0.5, -1])

    def class_grid(Gs):
        if Gs.input_shapes[1][1] > 0:
            draw_class_grid_figure(path("figure-classes.png"), Gs, *size(Gs), seeds=list(range(16)))

    return [
        (1, "ffhq", class_grid),  # ours, only with --demo (or --figures 1): needs a class-conditional network
        (2, "ffhq", uncurated("figure02-uncurated-ffhq.png", 1024, 0, 0, 1024, 1024, 3, [0, 1, 2, 2, 3, 3], 5)),
        (3, "ffhq", style_mixing),
        (4, "ffhq", noise_detail),
        (5, "ffhq", noise_components),
        (8, "ffhq", truncation),
        (10, "bedrooms", uncurated("figure10-uncurated-bedrooms.png", 256, 0, 0, 256, 256, 5, [0, 0, 1, 1, 2, 2, 2], 0)),
        (11, "cars", uncurated("figure11-uncurated-cars.png", 512, 0, 64, 512, 384, 4, [0, 1, 2, 2, 3, 3], 2)),
        (12, "cats", uncurated("figure12-uncurated-cats.png", 256, 0, 0, 256, 256, 5, [0, 0, 1, 1, 2, 2, 2], 1)),
    ]


def parse_network_overrides(specs):
    """['ffhq=path.pkl', ...] -> {'ffhq': 'path.pkl'}; each value is checked before any work starts."""
    overrides = {}
    for spec in specs:
        key, sep, value = spec.partition("=")
        if not sep or key not in ("ffhq", "bedrooms", "cars", "cats"):
            raise dnnlib.util.UserError("--network takes NAME=PKL_OR_URL with NAME one of ffhq, bedrooms, cars, cats (got '%s')." % spec)
        pretrained_networks.resolve_network(value)
        overrides[key] = value
    return overrides


def main():
    parser = argparse.ArgumentParser(description="Reproduce the StyleGAN paper figures.")
    parser.add_argument("--network", action="append", default=[], metavar="NAME=PKL",
                        help="use a local pickle or URL for ffhq, bedrooms, cars or cats (repeatable)")
    parser.add_argument("--figures", default=None,
                        help="comma-separated figure numbers (default: all, or those whose networks --network names)")
    parser.add_argument("--outdir", default=config.result_dir, help="output directory (default: %s)" % config.result_dir)
    parser.add_argument("--demo", action="store_true", help="figures 3, 4, 5 and 8 and a grid of classes (figure-classes.png) from the bundled network, offline")
    args = parser.parse_args()
    if args.demo:
        args.network = ["ffhq=demo"] + args.network
        args.figures = args.figures or "1,3,4,5,8"

    networks = dict(ffhq=url_ffhq, bedrooms=url_bedrooms, cars=url_cars, cats=url_cats)
    overrides = parse_network_overrides(args.network)
    networks.update(overrides)
    jobs = figure_jobs(args.outdir)
    if args.figures is not None:
        try:
            wanted = {int(v) for v in args.figures.split(",")}
        except ValueError:
            raise dnnlib.util.UserError("--figures takes numbers such as 2,3,4 (got '%s')." % args.figures)
        unknown = wanted - {number for number, _, _ in jobs}
        if unknown:
            raise dnnlib.util.UserError("No figure %s; choose from %s." % (sorted(unknown)[0], ", ".join(str(n) for n, _, _ in jobs)))
        jobs = [job for job in jobs if job[0] in wanted]
    elif overrides:
        jobs = [job for job in jobs if job[1] in overrides and job[0] != 1]
    else:
        jobs = [job for job in jobs if job[0] != 1]

    import dnnlib.tflib as tflib  # only now: --help and bad options answer without starting TensorFlow
    tflib.init_tf()
    os.makedirs(args.outdir, exist_ok=True)
    for _number, key, draw in jobs:
        draw(load_Gs(networks[key]))


if __name__ == "__main__":
    dnnlib.util.run_command_line(main)
