"""Generate one image with a pretrained StyleGAN generator.

With no arguments it uses the bundled Fashion-MNIST generator (offline, in
seconds). `--network ffhq` does what the original script did: download
NVIDIA's FFHQ generator once into cache/, print its layers and write
results/example.png for seed 5 with truncation psi 0.7.
"""

import argparse
import os

import numpy as np
import PIL.Image

import config
import dnnlib
from dnnlib import arguments
import pretrained_networks


def generate_example(network: str = "demo", seed: int = 5, truncation_psi: float = 0.7, outdir: str = config.result_dir, class_idx: int = None) -> str:
    """Load the network, print its layers, generate one image and save it; returns the PNG path.

    For class-conditional networks the class is class_idx, or seed modulo the number of classes.
    """
    import dnnlib.tflib as tflib  # here: --help answers without starting TensorFlow
    tflib.init_tf()
    _G, _D, Gs = pretrained_networks.load_networks(network)  # Gs: the long-term average of G, best for generating
    labels = None
    if Gs.input_shapes[1][1] > 0:
        labels = pretrained_networks.one_hot_labels(Gs, [seed] if class_idx is None else [class_idx], wrap=class_idx is None)
        print("Class %d of %d" % (labels[0].argmax(), labels.shape[1]))
    elif class_idx is not None:
        raise dnnlib.util.UserError("--class %d: this network is not class-conditional (it takes no labels)." % class_idx)
    Gs.print_layers()

    rnd = np.random.RandomState(seed)
    latents = rnd.randn(1, *Gs.input_shape[1:])
    to_uint8 = dict(func=tflib.convert_images_to_uint8, nchw_to_nhwc=True)
    images = Gs.run(latents, labels, truncation_psi=truncation_psi, randomize_noise=True, output_transform=to_uint8)

    os.makedirs(outdir, exist_ok=True)
    png_filename = os.path.join(outdir, "example.png")
    image = images[0]
    with dnnlib.util.atomic_output(png_filename) as temp:
        PIL.Image.fromarray(image[:, :, 0] if image.shape[2] == 1 else image, "L" if image.shape[2] == 1 else "RGB").save(temp, format="PNG")
    print("Saved %s" % png_filename)
    return png_filename


def main():
    parser = argparse.ArgumentParser(description="Generate an image with a pretrained StyleGAN generator.")
    parser.add_argument("--network", default="demo",
                        help="demo (bundled, offline), a preset that downloads NVIDIA's network (%s), a URL or a local .pkl (default: demo)"
                        % ", ".join(sorted(pretrained_networks.PRESETS)))
    parser.add_argument("--seed", type=arguments.seed, default=5, help="random seed of the latent vector (default: 5)")
    parser.add_argument("--truncation-psi", type=arguments.finite_float, default=0.7, help="truncation strength (default: 0.7)")
    parser.add_argument("--outdir", default=config.result_dir, help="where example.png goes (default: %s)" % config.result_dir)
    parser.add_argument("--class", dest="class_idx", type=arguments.nonnegative_int, default=None, help="class of a class-conditional network (default: seed modulo classes)")
    args = parser.parse_args()
    pretrained_networks.resolve_network(args.network)  # validate before TensorFlow starts
    generate_example(args.network, args.seed, args.truncation_psi, args.outdir, args.class_idx)


if __name__ == "__main__":
    dnnlib.util.run_command_line(main)
