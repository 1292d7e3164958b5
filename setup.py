"""Install the StyleGAN reimplementation (TensorFlow 2, CPU or GPU) in place: pip install -e ."""

from setuptools import find_packages, setup

setup(
    name="stylegan-tf2",
    version="1.0.0",
    description="NVIDIA's original StyleGAN (2019) codebase, pickles and datasets, running on TensorFlow 2 and current Python.",
    python_requires=">=3.10",
    packages=find_packages(include=["dnnlib", "dnnlib.*", "training", "training.*", "metrics", "metrics.*"]),
    py_modules=["config", "train", "run_metrics", "dataset_tool", "pretrained_example", "generate_figures"],
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
        "test": ["pytest", "lmdb", "h5py", "scikit-learn"],
        "gpu": ["tensorflow[and-cuda]>=2.16,<2.22"],
    },
)
