"""Dataset throughput: create_from_images (images/s) and TFRecordDataset reading (minibatches/s).

  python bench/bench_dataset.py                       # 256x256 and 1024x1024 RGB, synthetic PNGs
  python bench/bench_dataset.py --resolutions 256 --images 200 --minibatch 8
Prints a table. Works in a temporary directory that is removed afterwards.
"""

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time

import numpy as np
import PIL.Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import dataset_tool  # noqa: E402
import dnnlib.tflib as tflib  # noqa: E402
from dnnlib import arguments  # noqa: E402
from training import dataset  # noqa: E402


def make_images(folder, count, resolution):
    os.makedirs(folder)
    rnd = np.random.RandomState(0)
    base = rnd.randint(0, 256, size=[resolution, resolution, 3]).astype(np.uint8)
    for i in range(count):
        PIL.Image.fromarray(np.roll(base, i, axis=1)).save(os.path.join(folder, "%05d.png" % i), compress_level=1)


def bench_create(work, count, resolution):
    make_images(os.path.join(work, "imgs"), count, resolution)
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        dataset_tool.create_from_images(os.path.join(work, "ds"), os.path.join(work, "imgs"), shuffle=1)
    return count / (time.perf_counter() - start)


def bench_read(work, minibatch, batches):
    dset = dataset.TFRecordDataset(os.path.join(work, "ds"), shuffle_mb=64, prefetch_mb=64)
    tflib.init_uninitialized_vars()
    dset.get_minibatch_np(minibatch)  # warm-up: opens files, fills buffers
    start = time.perf_counter()
    for _ in range(batches):
        dset.get_minibatch_np(minibatch)
    return batches / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resolutions", type=arguments.positive_ints, default="256,1024")
    parser.add_argument("--images", type=arguments.positive_int, default=None, help="images per resolution (default: 400 at 256, 50 at 1024)")
    parser.add_argument("--minibatch", type=arguments.positive_int, default=8)
    parser.add_argument("--batches", type=arguments.positive_int, default=20)
    args = parser.parse_args()

    tflib.init_tf()
    print("%-12s %-8s %22s %22s" % ("resolution", "images", "create_from_images img/s", "read minibatches/s"))
    for res in args.resolutions:
        count = args.images or (400 if res <= 256 else 50)
        work = tempfile.mkdtemp(prefix="bench_dataset_")
        try:
            create_rate = bench_create(work, count, res)
            read_rate = bench_read(work, args.minibatch, args.batches)
        finally:
            shutil.rmtree(work)
        print("%-12s %-8d %22.1f %22.2f  (minibatch %d)" % ("%dx%d" % (res, res), count, create_rate, read_rate, args.minibatch), flush=True)


if __name__ == "__main__":
    main()
