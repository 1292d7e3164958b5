"""NVIDIA's pretrained StyleGAN networks by name, and loading a network from a name, URL or path."""

import os

import numpy as np

import config
import dnnlib
import training  # noqa: F401 (tells dnnlib where G_style & co. live, also in a checkout that was never pip-installed)

DRIVE = "https://drive.google.com/uc?id="

PRESETS = {
    "ffhq":      DRIVE + "1MEGjdvVpUsu1jB4zrXZN7Y4kBBOzizDQ",  # karras2019stylegan-ffhq-1024x1024.pkl
    "celebahq":  DRIVE + "1MGqJl28pN4t7SAtSrPdSRJSQJqahkzUf",  # karras2019stylegan-celebahq-1024x1024.pkl
    "bedrooms":  DRIVE + "1MOSKeGF0FJcivpBI7s63V9YHloUTORiF",  # karras2019stylegan-bedrooms-256x256.pkl
    "cars":      DRIVE + "1MJ6iCfNtMIRicihwRorsM3b7mmtmK9c3",  # karras2019stylegan-cars-512x384.pkl
    "cats":      DRIVE + "1MQywl0FNt6lHu8E_EUqnRbviagS7fbiJ",  # karras2019stylegan-cats-256x256.pkl
}


dnnlib.util.register_file_names({
    PRESETS["ffhq"]: "karras2019stylegan-ffhq-1024x1024.pkl",
    PRESETS["celebahq"]: "karras2019stylegan-celebahq-1024x1024.pkl",
    PRESETS["bedrooms"]: "karras2019stylegan-bedrooms-256x256.pkl",
    PRESETS["cars"]: "karras2019stylegan-cars-512x384.pkl",
    PRESETS["cats"]: "karras2019stylegan-cats-256x256.pkl",
})  # so that an offline download error names the exact file to put in the cache

BUNDLED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "networks", "stylegan-fashion-mnist-32x32.pkl")
"""Our class-conditional Fashion-MNIST generator (see networks/README.md): works offline, right after install."""

FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def one_hot_labels(Gs, classes, wrap=False):
    """Labels for a (possibly class-conditional) generator: one-hot rows for `classes`, or [N, 0] without labels.

    A class outside 0..classes-1 is an error, unless wrap=True takes it modulo the number of classes (seeds as classes).
    """
    label_size = Gs.input_shapes[1][1]
    classes = np.asarray(list(classes), dtype=np.int64)
    labels = np.zeros([len(classes), label_size], np.float32)
    if label_size > 0:
        if wrap:
            classes = classes % label_size
        elif len(classes) and (classes.min() < 0 or classes.max() >= label_size):
            bad = classes[(classes < 0) | (classes >= label_size)][0]
            raise dnnlib.util.UserError("Class %d does not exist: this network has %d classes (0 to %d)." % (bad, label_size, label_size - 1))
        labels[np.arange(len(classes)), classes] = 1.0
    return labels


def resolve_network(spec: str) -> str:
    """A preset name becomes its URL ('demo' the bundled pickle); URLs and existing files pass through."""
    if spec == "demo":
        return BUNDLED
    if spec in PRESETS:
        return PRESETS[spec]
    if dnnlib.util.is_url(spec) or os.path.isfile(spec):
        return spec
    if "://" in spec:
        raise dnnlib.util.UserError("'%s' is not a usable URL (it needs a host name with a dot, e.g. 127.0.0.1)." % spec)
    raise dnnlib.util.UserError("Network '%s' is neither a preset (demo, %s), a URL, nor an existing file." % (spec, ", ".join(sorted(PRESETS))))


def load_networks(spec: str, safe: bool = True):
    """(G, D, Gs) from a preset name, URL or local pickle; downloads are cached in config.cache_dir."""
    import dnnlib.tflib as tflib  # here, so that importing this module (and --help of the scripts) needs no TensorFlow
    source = resolve_network(spec)
    networks = tflib.load_network_pkl(source, safe=safe, cache_dir=config.cache_dir)
    if not (isinstance(networks, tuple) and len(networks) == 3 and all(isinstance(n, tflib.Network) for n in networks)):
        raise dnnlib.util.UserError("'%s' does not hold a (G, D, Gs) tuple of networks." % spec)
    return networks
