"""Find the latents of images: project them into a StyleGAN generator's W space (StyleGAN2's projector).

  python run_projector.py project-generated-images --network demo --seeds 0-3 --distance pixel
  python run_projector.py project-real-images --network ffhq --images my-photos/ --num-steps 1000
  python run_projector.py project-real-images --network ffhq --data-dir datasets --dataset ffhq --num-images 3

Each call is a run of its own in results/NNNNN-project-...: for each image the target, the projection
at the chosen steps, the dlatents (.npy, [num_layers, dlatent_size]) and noise maps (.npz) that
reproduce it through Gs.components.synthesis, a JSONL log of the distance at every step, and
projections.png (target | projection, a row per image). Everything is checked before the run starts.
"""

import argparse
import json
import os
import re
import sys

import numpy as np
import PIL.Image

import config
import dnnlib
from dnnlib import arguments
import pretrained_networks

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
VIDEO_FPS = 30
VIDEO_MIN_HEIGHT = 256  # small networks' frames are enlarged by pixel repetition to at least this height

_networks = {}  # network spec -> Gs, loaded once per process (main checks it, the run reuses it)


def load_Gs(network):
    if network not in _networks:
        _G, _D, Gs = pretrained_networks.load_networks(network)
        _networks[network] = Gs
    return _networks[network]

# ----------------------------------------------------------------------------
# Command-line values.


MAX_STEPS = 1 << 24  # 16.7M steps: a projection runs 1000
MAX_SEEDS = 1 << 16  # images to project in one run


def parse_num_range(text, what="--seeds", largest=2 ** 32 - 1, most=MAX_SEEDS):
    """'0,2,5-7' -> [0, 2, 5, 6, 7], each once, in order. Values above `largest` (a seed NumPy takes) and lists of
    more than `most` values are refused before a range is expanded: '0-99999999999' is a few bytes."""
    values, total = [], 0
    for part in text.split(","):
        match = re.fullmatch(r"\s*([0-9]{1,20})\s*(?:-\s*([0-9]{1,20})\s*)?", part)  # (int() refuses 4300 digits)
        if not match or (match.group(2) is not None and int(match.group(2)) < int(match.group(1))):
            raise dnnlib.util.UserError("%s takes numbers and ranges such as 0,3,5-8 (got '%s')." % (what, text))
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        total += last - first + 1
        if last > largest or total > most:
            raise dnnlib.util.UserError("%s takes values up to %d, at most %d of them (got '%s')." % (what, largest, most, text))
        values.extend(range(first, last + 1))
    return list(dict.fromkeys(values))


def saved_steps(num_steps, num_snapshots, save_steps):
    """The steps whose projection is saved as PNG: StyleGAN2's evenly spaced snapshots, or --save-steps; always the last."""
    if num_steps > MAX_STEPS:
        raise dnnlib.util.UserError("--num-steps takes at most %d." % MAX_STEPS)
    if save_steps is not None:
        steps = set(parse_num_range(save_steps, "--save-steps", largest=num_steps, most=num_steps + 1))
    else:  # more snapshots than steps: every step
        steps = set((num_steps - np.linspace(0, num_steps, min(num_snapshots, num_steps), endpoint=False).astype(int)).tolist())
    return sorted(steps | {num_steps})


def class_labels(Gs, classes):
    """[N, label_size] one-hot rows (None for an unconditional network); classes must exist."""
    if Gs.input_shapes[1][1] == 0:
        return None
    return pretrained_networks.one_hot_labels(Gs, classes)


def check_class(Gs, class_idx):
    if class_idx is None:
        return
    if Gs.input_shapes[1][1] == 0:
        raise dnnlib.util.UserError("--class %d: this network is not class-conditional (it takes no labels)." % class_idx)
    pretrained_networks.one_hot_labels(Gs, [class_idx])


def check_video_support(video):
    if video:
        try:
            import imageio_ffmpeg  # noqa: F401
        except ImportError:
            raise dnnlib.util.UserError("--video needs the optional package imageio-ffmpeg: pip install imageio-ffmpeg "
                                        "(or pip install -e \".[video]\"), or leave --video out.")

# ----------------------------------------------------------------------------
# Real images: files, folders and datasets, brought to the network's size and channels.


def image_files(path):
    """The image files of --images: the file itself, or the folder's png/jpg/jpeg/webp/bmp files in name order."""
    if os.path.isdir(path):
        found = sorted(os.path.join(path, name) for name in os.listdir(path)
                       if name.lower().endswith(IMAGE_EXTENSIONS) and os.path.isfile(os.path.join(path, name)))
        if not found:
            raise dnnlib.util.UserError("Folder '%s' holds no images (%s)." % (path, ", ".join(IMAGE_EXTENSIONS)))
        return found
    if os.path.isfile(path):
        return [path]
    raise dnnlib.util.UserError("--images '%s': no such file or folder." % path)


def _as_network_channels(array, channels, what):
    """uint8 HWC (1 or 3 channels) -> network's channel count; colour into a grayscale network is refused."""
    if array.shape[2] == channels:
        return array
    if channels == 3:
        return np.repeat(array, 3, axis=2)
    if np.array_equal(array[:, :, 0], array[:, :, 1]) and np.array_equal(array[:, :, 0], array[:, :, 2]):
        return array[:, :, :1]
    raise dnnlib.util.UserError("%s is a colour image (3 channels) but the network makes grayscale images (1 channel); "
                                "convert it to grayscale first." % what)


def _fit(image, resolution, center_crop, what):
    """A PIL image -> square resolution x resolution: refused when not square unless center_crop, then resized (Lanczos)."""
    width, height = image.size
    if width != height:
        if not center_crop:
            side = min(width, height)
            raise dnnlib.util.UserError("%s is %dx%d, not square (the network makes %dx%d images): crop it yourself, or pass "
                                        "--center-crop to use its central %dx%d square." % (what, width, height, resolution, resolution, side, side))
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        image = image.crop((left, top, left + side, top + side))
    if image.size != (resolution, resolution):
        image = image.resize((resolution, resolution), PIL.Image.LANCZOS)
    return image


def _gray_or_rgb(image, what):
    """image decoded as 8-bit 'L' or 'RGB' (16-bit grayscale scaled as dataset_tool.py stores it); Pillow's errors
    on a broken file (a palette's transparency beyond its colours) pass through to the caller."""
    if dnnlib.util.is_16bit_gray(image):
        return PIL.Image.fromarray(dnnlib.util.gray16_to_uint8(image), "L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("1", "LA", "L"):
        return image.convert("L")
    if image.mode in ("RGB", "RGBA", "CMYK", "YCbCr", "LAB", "HSV"):
        return image.convert("RGB")
    raise dnnlib.util.UserError("%s has pixel format %s; save it as 8-bit grayscale or RGB." % (what, image.mode))


def load_image(path, resolution, channels, center_crop=False):
    """uint8 [C, H, W] of an image file at the network's resolution and channel count; UserError naming the file otherwise."""
    what = "'%s'" % path
    try:
        with dnnlib.util.open_image(path) as image:
            image = _gray_or_rgb(image, what)
    except (OSError, ValueError, PIL.Image.DecompressionBombError, PIL.Image.DecompressionBombWarning) as err:
        raise dnnlib.util.UserError("%s is not an image that can be read (%s)." % (what, str(err).splitlines()[0] if str(err) else type(err).__name__))
    image = _fit(image, resolution, center_crop, what)
    array = np.asarray(image)
    array = array[:, :, np.newaxis] if array.ndim == 2 else array
    return _as_network_channels(array, channels, what).transpose(2, 0, 1).copy()


def load_dataset_images(tfrecord_dir, num_images, resolution, channels):
    """[(uint8 [C, H, W], label row or None)] of the first num_images images of a dataset_tool dataset."""
    import tensorflow.compat.v1 as tf
    import dnnlib.tflib as tflib
    from training import dataset
    with tf.Graph().as_default(), tflib.create_session().as_default():
        dset = dataset.TFRecordDataset(tfrecord_dir, max_label_size="full", repeat=False, shuffle_mb=0, prefetch_mb=0)
        if dset.num_images < num_images:
            raise dnnlib.util.UserError("--num-images %d: dataset '%s' has only %d images." % (num_images, tfrecord_dir, dset.num_images))
        tflib.init_uninitialized_vars()
        items = []
        for index in range(num_images):
            one_image, one_label = dset.get_minibatch_np(1)
            what = "Image %d of dataset '%s'" % (index, tfrecord_dir)
            image = one_image[0].transpose(1, 2, 0)
            pil = PIL.Image.fromarray(image[:, :, 0] if image.shape[2] == 1 else image, "L" if image.shape[2] == 1 else "RGB")
            array = np.asarray(_fit(pil, resolution, False, what))
            array = array[:, :, np.newaxis] if array.ndim == 2 else array
            items.append((_as_network_channels(array, channels, what).transpose(2, 0, 1).copy(), one_label[0] if one_label.shape[1] else None))
    return items


def real_targets(Gs, images=None, tfrecord_dir=None, num_images=None, center_crop=False, class_idx=None):
    """[EasyDict(name, source, image uint8 [C, H, W], labels [1, label_size] or None)] of the real images to project."""
    channels, resolution = Gs.output_shape[1], Gs.output_shape[2]
    label_size = Gs.input_shapes[1][1]
    targets = []
    if images is not None:
        files = image_files(images)[:num_images]
        for index, path in enumerate(files):
            targets.append(dnnlib.EasyDict(name="image%04d" % index, source=path, image=load_image(path, resolution, channels, center_crop), label_row=None))
    else:
        for index, (image, label_row) in enumerate(load_dataset_images(tfrecord_dir, num_images or 3, resolution, channels)):
            targets.append(dnnlib.EasyDict(name="image%04d" % index, source="%s[%d]" % (tfrecord_dir, index), image=image, label_row=label_row))
    for target in targets:
        target.labels = None
        if label_size > 0:
            if class_idx is not None:
                target.labels = class_labels(Gs, [class_idx])
            elif target.label_row is not None and len(target.label_row) >= label_size:
                target.labels = np.asarray(target.label_row[:label_size], np.float32)[np.newaxis]
        del target["label_row"]
    return targets

# ----------------------------------------------------------------------------
# Projection and its files.


def _pil(image_uint8):
    return PIL.Image.fromarray(image_uint8[0], "L") if image_uint8.shape[0] == 1 else PIL.Image.fromarray(image_uint8.transpose(1, 2, 0), "RGB")


def _to_uint8(images):
    """[..., C, H, W] in [-1, 1] -> uint8 (rounded, as convert_images_to_uint8 does)."""
    return np.clip(np.rint((np.asarray(images, np.float64) + 1) * (255 / 2)), 0, 255).astype(np.uint8)


def save_png(image_uint8, path):
    with dnnlib.util.atomic_output(path) as temp:
        _pil(image_uint8).save(temp, format="PNG")


class VideoWriter:
    """An MP4 of target | projection at every step, written through imageio-ffmpeg; renamed into place when complete."""

    def __init__(self, path, height, width):
        import imageio_ffmpeg
        self.path = path
        self.scale = max(1, -(-VIDEO_MIN_HEIGHT // height))
        self.size = (2 * width * self.scale, height * self.scale)
        self._output = dnnlib.util.atomic_output(path)
        temp = self._output.__enter__()
        self._writer = imageio_ffmpeg.write_frames(temp, self.size, fps=VIDEO_FPS, codec="libx264", quality=8, output_params=["-f", "mp4"])
        self._writer.send(None)

    def add(self, target_uint8, projection_uint8):
        frame = np.concatenate([target_uint8, projection_uint8], axis=2)  # [C, H, 2W]
        frame = np.repeat(np.repeat(frame, self.scale, axis=1), self.scale, axis=2).transpose(1, 2, 0)
        if frame.shape[2] == 1:
            frame = np.repeat(frame, 3, axis=2)
        self._writer.send(np.ascontiguousarray(frame))

    def close(self, ok=True):
        self._writer.close()
        if ok:
            self._output.__exit__(None, None, None)
        else:
            self._output.__exit__(RuntimeError, RuntimeError("aborted"), None)


def project_one(proj, target, run_dir, steps_to_save, video=False):
    """Project one target (EasyDict: name, source, image uint8 [C, H, W], labels) and write its files; returns (summary, final uint8 image)."""
    target_float = target.image[np.newaxis].astype(np.float32) * (2 / 255) - 1
    prefix = os.path.join(run_dir, target.name)
    save_png(target.image, prefix + "-target.png")
    proj.start(target_float, target.labels)
    writer = VideoWriter(prefix + ".mp4", *target.image.shape[1:]) if video else None
    progress = dnnlib.util.ProgressMonitor(target.name, proj.num_steps, stream=_progress_stream())
    ok = False
    try:
        with dnnlib.util.atomic_output(prefix + "-log.jsonl") as temp, open(temp, "w") as log:
            if 0 in steps_to_save:
                save_png(_to_uint8(proj.get_images()[0]), "%s-step%04d.png" % (prefix, 0))
            while proj.get_cur_step() < proj.num_steps:
                distance, loss = proj.step()
                log.write(json.dumps({"step": proj.get_cur_step() - 1, "distance": distance, "loss": loss}) + "\n")
                step = proj.get_cur_step()
                if step in steps_to_save or writer is not None:
                    projection = _to_uint8(proj.get_images()[0])
                    if step in steps_to_save:
                        save_png(projection, "%s-step%04d.png" % (prefix, step))
                    if writer is not None:
                        writer.add(target.image, projection)
                progress.update(step)
            final_distance = proj.get_distance()
            log.write(json.dumps({"step": proj.num_steps, "distance": final_distance, "loss": None}) + "\n")
        ok = True
    finally:
        progress.close()
        if writer is not None:
            writer.close(ok)

    images = proj.get_images()
    dlatents = proj.get_dlatents()[0]
    with dnnlib.util.atomic_output(prefix + "-dlatents.npy") as temp:
        with open(temp, "wb") as f:
            np.save(f, dlatents)
    with dnnlib.util.atomic_output(prefix + "-noise.npz") as temp:
        with open(temp, "wb") as f:
            np.savez(f, **proj.get_noises())
    summary = dict(name=target.name, source=target.source, distance=final_distance, distance_kind=proj.distance,
                   psnr=round(_psnr(images[0], target_float[0]), 3), steps=proj.num_steps, w_plus=proj.w_plus,
                   label=None if target.labels is None else int(np.argmax(target.labels[0])))
    print("%s: %s distance %.5f, PSNR %.2f dB" % (target.name, proj.distance, final_distance, summary["psnr"]), flush=True)
    return summary, _to_uint8(images[0])


def _psnr(a, b):
    from projector import psnr
    return psnr(a, b, drange=2.0)


def _progress_stream():
    """The terminal when there is one (a live line with ETA; the run's log.txt gets the result lines), else stdout."""
    terminal = sys.__stdout__
    return terminal if terminal is not None and terminal.isatty() else sys.stdout


def project_targets(Gs, targets, run_dir, projector_kwargs, steps_to_save, video):
    """Project every target; writes projections.png (target | projection per row) and projections.jsonl as it goes."""
    import projector
    from training import misc
    proj = projector.Projector(**projector_kwargs)
    proj.set_network(Gs)
    pairs, summaries = [], []
    for index, target in enumerate(targets):
        print("Projecting %s (%d of %d): %s" % (target.name, index + 1, len(targets), target.source), flush=True)
        summary, projection = project_one(proj, target, run_dir, steps_to_save, video)
        pairs += [target.image, projection]
        summaries.append(summary)
        misc.save_image_grid(np.stack(pairs), os.path.join(run_dir, "projections.png"), drange=[0, 255], grid_size=(2, len(pairs) // 2))
        with dnnlib.util.atomic_output(os.path.join(run_dir, "projections.jsonl")) as temp, open(temp, "w") as f:
            f.writelines(json.dumps(s) + "\n" for s in summaries)
    return summaries


def project_generated_images(submit_config, network, seeds, truncation_psi, class_idx, projector_kwargs, steps_to_save, video=False):
    """Generate an image per seed (noise maps from the seed too), then project it: the true latent is known."""
    import dnnlib.tflib as tflib
    tflib.init_tf()
    Gs = load_Gs(network)
    noise_vars = [var for name, var in Gs.components.synthesis.vars.items() if name.startswith("noise")]
    label_size = Gs.input_shapes[1][1]
    targets = []
    for seed in seeds:
        rnd = np.random.RandomState(seed)
        latents = rnd.randn(1, *Gs.input_shape[1:])
        tflib.set_vars({var: rnd.randn(*var.shape.as_list()) for var in noise_vars})
        labels = class_labels(Gs, [class_idx if class_idx is not None else seed % max(label_size, 1)])
        images = Gs.run(latents, labels, truncation_psi=truncation_psi, randomize_noise=False, output_transform=dict(func=tflib.convert_images_to_uint8))
        targets.append(dnnlib.EasyDict(name="seed%04d" % seed, source="seed %d" % seed, image=images[0], labels=labels))
    project_targets(Gs, targets, submit_config.run_dir, projector_kwargs, steps_to_save, video)


def project_real_images(submit_config, network, images, tfrecord_dir, num_images, center_crop, class_idx, projector_kwargs, steps_to_save, video=False):
    """Project real images: from --images (a file or folder) or a dataset_tool dataset."""
    import dnnlib.tflib as tflib
    tflib.init_tf()
    Gs = load_Gs(network)
    targets = real_targets(Gs, images, tfrecord_dir, num_images, center_crop, class_idx)
    project_targets(Gs, targets, submit_config.run_dir, projector_kwargs, steps_to_save, video)

# ----------------------------------------------------------------------------

_EPILOG = """\
Distances: --distance lpips (default) compares images with NVIDIA's LPIPS network vgg16_zhang_perceptual.pkl
(the one the PPL metric uses; downloaded once into the cache from its official URLs). Images above 256x256
are box-averaged down to 256x256 for it, as in StyleGAN2; images below 64x64 are enlarged by pixel repetition
(nearest neighbour, an integer factor) to 64x64, the patch size LPIPS was calibrated on; grayscale is repeated
to RGB. --perceptual-network replaces it (URL, .pkl, or 'module.function'); pickles that
run code need --trust-pickles. --distance pixel (mean squared difference in image space) needs no download.

Real images must be square (or pass --center-crop) and are resized (Lanczos) to the network's resolution;
grayscale images go into RGB networks as gray, colour images into grayscale networks are refused.
Class-conditional networks: --class sets the class whose mean dlatent is the starting point; without it,
project-generated-images uses each seed's class (seed modulo the number of classes), project-real-images
the dataset's label when it has one, else the mean over all classes."""


def _add_common_arguments(parser):
    parser.add_argument("--network", default="demo", help="demo (bundled), a preset (%s), a URL or a .pkl (default: demo)" % ", ".join(sorted(pretrained_networks.PRESETS)))
    parser.add_argument("--num-steps", type=arguments.positive_int, default=1000, help="optimisation steps per image (default: 1000)")
    parser.add_argument("--num-snapshots", type=arguments.positive_int, default=5, help="projections saved as PNG, evenly spaced, the last step included (default: 5)")
    parser.add_argument("--save-steps", default=None, metavar="LIST", help="steps whose projection is saved instead, e.g. 0,10,100-102 (the last is always saved)")
    parser.add_argument("--distance", default="lpips", choices=["lpips", "pixel"], help="lpips (perceptual, downloads NVIDIA's VGG16 once) or pixel (MSE, offline) (default: lpips)")
    parser.add_argument("--perceptual-network", default=None, metavar="SPEC", help="replacement LPIPS network: URL, .pkl or 'module.function' (with --distance lpips)")
    parser.add_argument("--trust-pickles", action="store_true", help="allow a --perceptual-network pickle that runs code stored in it")
    parser.add_argument("--w-plus", action="store_true", help="optimise one dlatent per layer (W+) instead of one for all layers (W)")
    parser.add_argument("--class", dest="class_idx", type=arguments.nonnegative_int, default=None, metavar="N", help="class of a class-conditional network (see below)")
    parser.add_argument("--video", action="store_true", help="also write an MP4 of the optimisation per image (needs imageio-ffmpeg)")
    parser.add_argument("--result-dir", default=config.result_dir, help="where the run dir goes (default: %s)" % config.result_dir)


def _projector_kwargs(args):
    if args.num_steps < 1:
        raise dnnlib.util.UserError("--num-steps must be at least 1.")
    if args.num_snapshots < 1:
        raise dnnlib.util.UserError("--num-snapshots must be at least 1.")
    if args.perceptual_network is not None and args.distance != "lpips":
        raise dnnlib.util.UserError("--perceptual-network is used by --distance lpips only.")
    from metrics.perceptual_path_length import LPIPS_URL
    return dnnlib.EasyDict(distance=args.distance, perceptual_network=args.perceptual_network or LPIPS_URL,
                           trust_pickles=args.trust_pickles, w_plus=args.w_plus, num_steps=args.num_steps)


def _check_perceptual_network(kwargs):
    if kwargs.distance == "lpips":
        from metrics import metric_base
        metric_base.prepare_aux_network(kwargs.perceptual_network, "The projector's perceptual network", trust_pickles=kwargs.trust_pickles, num_inputs=2,
                                        offline_hint="--distance pixel")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Project images into a StyleGAN generator's latent space (StyleGAN2's projector).",
                                     epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    generated = commands.add_parser("project-generated-images", help="generate images from seeds and project them",
                                    epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common_arguments(generated)
    generated.add_argument("--seeds", default="0,1,2", help="seeds of the generated images, e.g. 0,5,10-12 (default: 0,1,2)")
    generated.add_argument("--truncation-psi", type=arguments.finite_float, default=1.0, help="truncation of the generated images (default: 1.0)")
    real = commands.add_parser("project-real-images", help="project images from files, a folder or a dataset",
                               epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_common_arguments(real)
    real.add_argument("--images", default=None, metavar="PATH", help="an image file, or a folder of png/jpg/jpeg/webp/bmp images")
    real.add_argument("--dataset", default=None, help="a dataset_tool dataset (directory inside --data-dir), instead of --images")
    real.add_argument("--data-dir", default=config.data_dir, help="where datasets live (default: %s)" % config.data_dir)
    real.add_argument("--num-images", type=arguments.positive_int, default=None, help="images to project (default: 3 from a dataset, all of --images)")
    real.add_argument("--center-crop", action="store_true", help="crop non-square images to their central square instead of refusing them")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        raise dnnlib.util.UserError("Choose a command: project-generated-images or project-real-images.")

    # Everything is checked before the run dir is created.
    projector_kwargs = _projector_kwargs(args)
    steps_to_save = saved_steps(args.num_steps, args.num_snapshots, args.save_steps)
    pretrained_networks.resolve_network(args.network)
    check_video_support(args.video)
    if args.command == "project-generated-images":
        seeds = parse_num_range(args.seeds)
        run_kwargs = dict(seeds=seeds, truncation_psi=args.truncation_psi)
    else:
        if (args.images is None) == (args.dataset is None):
            raise dnnlib.util.UserError("project-real-images takes --images PATH or --dataset NAME (one of them).")
        if args.num_images is not None and args.num_images < 1:
            raise dnnlib.util.UserError("--num-images must be at least 1.")
        if args.images is not None:
            image_files(args.images)
        tfrecord_dir = None if args.dataset is None else os.path.join(args.data_dir, args.dataset)
        run_kwargs = dict(images=args.images, tfrecord_dir=tfrecord_dir, num_images=args.num_images, center_crop=args.center_crop)

    import dnnlib.tflib as tflib  # only now: --help and bad options answer without starting TensorFlow
    import run_projector  # the module the run function is found in (not __main__ when run as a script): it keeps the loaded network
    tflib.init_tf()
    Gs = run_projector.load_Gs(args.network)
    check_class(Gs, args.class_idx)
    if args.command == "project-real-images":
        real_targets(Gs, class_idx=args.class_idx, **run_kwargs)
    _check_perceptual_network(projector_kwargs)

    submit_config = dnnlib.SubmitConfig()
    submit_config.run_dir_root = dnnlib.submission.submit.get_template_from_path(path=args.result_dir)
    submit_config.run_dir_ignore = submit_config.run_dir_ignore + config.run_dir_ignore
    submit_config.run_desc = args.command
    run_func_name = "run_projector." + args.command.replace("-", "_")
    dnnlib.submit_run(submit_config, run_func_name, network=args.network, class_idx=args.class_idx, projector_kwargs=projector_kwargs,
                      steps_to_save=steps_to_save, video=args.video, **run_kwargs)


if __name__ == "__main__":
    dnnlib.util.run_command_line(main)
