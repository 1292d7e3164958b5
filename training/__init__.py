"""Training: the StyleGAN and ProGAN networks, losses, datasets and the training loop."""

from dnnlib import architectures

ARCHITECTURE_MODULES = {
    "G_style": "training.networks_stylegan",
    "G_mapping": "training.networks_stylegan",
    "G_synthesis": "training.networks_stylegan",
    "D_basic": "training.networks_stylegan",
    "G_paper": "training.networks_progan",
    "D_paper": "training.networks_progan",
    "C_classifier": "training.networks_classifier",
}
"""Build function named in a network pickle -> the module holding our implementation of it (the
original's names). Announced to dnnlib here, and through the package's entry point (setup.py), so
that a pickle naming G_style loads even with nothing imported but dnnlib.tflib."""

architectures.register_modules(ARCHITECTURE_MODULES)
