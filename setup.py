"""Install the StyleGAN reimplementation (TensorFlow 2, CPU or GPU): pip install -e . in a checkout, or pip install . for a copy."""

import os

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))

# The original's flat layout: the scripts (train.py, run_metrics.py, ...) and the modules they import (config.py,
# pretrained_networks.py, ...) sit at the top level. All of them are installed, so a new one needs no edit here.
TOP_LEVEL_MODULES = sorted(name[:-3] for name in os.listdir(HERE) if name.endswith(".py") and name != "setup.py")

setup(
    name="stylegan-tf2",
    version="1.0.0",
    description="NVIDIA's original StyleGAN (2019) codebase, pickles and datasets, running on TensorFlow 2 and current Python.",
    python_requires=">=3.10",
    packages=find_packages(include=["dnnlib", "dnnlib.*", "training", "training.*", "metrics", "metrics.*"]) + ["networks"],
    py_modules=TOP_LEVEL_MODULES,
    package_data={"networks": ["*"]},  # the bundled pickles and their model cards, next to pretrained_networks.py as in a checkout
    install_requires=[
        "tensorflow>=2.16,<2.22",
        "numpy",
        "pillow",
        "requests",
        "scipy",
    ],
    entry_points={"dnnlib.tflib.architectures": ["stylegan = training:ARCHITECTURE_MODULES"]},  # pickles name G_style etc.
    extras_require={
        "lsun": ["lmdb"],
        "hdf5": ["h5py"],
        "metrics": ["scikit-learn"],
        "video": ["imageio-ffmpeg"],  # run_projector.py --video
        "test": ["pytest", "pytest-xdist", "ruff", "lmdb", "h5py", "scikit-learn", "imageio-ffmpeg",
                 "setuptools>=64", "wheel"],  # tests/test_install.py builds the wheel offline, with this environment's backend
        "gpu": ["tensorflow[and-cuda]>=2.16,<2.22"],
    },
)
