"""NVIDIA's pretrained StyleGAN networks by name, and loading a network from a name, URL or path."""

import os

import config
import dnnlib
import dnnlib.tflib as tflib

DRIVE = "https://drive.google.com/uc?id="

PRESETS = {
    "ffhq":      DRIVE + "1MEGjdvVpUsu1jB4zrXZN7Y4kBBOzizDQ",  # karras2019stylegan-ffhq-1024x1024.pkl
    "celebahq":  DRIVE + "1MGqJl28pN4t7SAtSrPdSRJSQJqahkzUf",  # karras2019stylegan-celebahq-1024x1024.pkl
    "bedrooms":  DRIVE + "1MOSKeGF0FJcivpBI7s63V9YHloUTORiF",  # karras2019stylegan-bedrooms-256x256.pkl
    "cars":      DRIVE + "1MJ6iCfNtMIRicihwRorsM3b7mmtmK9c3",  # karras2019stylegan-cars-512x384.pkl
    "cats":      DRIVE + "1MQywl0FNt6lHu8E_EUqnRbviagS7fbiJ",  # karras2019stylegan-cats-256x256.pkl
}


def resolve_network(spec: str) -> str:
    """A preset name becomes its URL; URLs and existing files pass through; anything else is a user error."""
    if spec in PRESETS:
        return PRESETS[spec]
    if dnnlib.util.is_url(spec) or os.path.isfile(spec):
        return spec
    if "://" in spec:
        raise dnnlib.util.UserError("'%s' is not a usable URL (it needs a host name with a dot, e.g. 127.0.0.1)." % spec)
    raise dnnlib.util.UserError("Network '%s' is neither a preset (%s), a URL, nor an existing file." % (spec, ", ".join(sorted(PRESETS))))


def load_networks(spec: str, safe: bool = True):
    """(G, D, Gs) from a preset name, URL or local pickle; downloads are cached in config.cache_dir."""
    source = resolve_network(spec)
    networks = tflib.load_network_pkl(source, safe=safe, cache_dir=config.cache_dir)
    if not (isinstance(networks, tuple) and len(networks) == 3 and all(isinstance(n, tflib.Network) for n in networks)):
        raise dnnlib.util.UserError("'%s' does not hold a (G, D, Gs) tuple of networks." % spec)
    return networks
