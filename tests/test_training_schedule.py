"""training_schedule and process_reals against the original's formulas and its FFHQ / ProGAN schedule tables."""

import numpy as np
import pytest
import tensorflow.compat.v1 as tf

import dnnlib
import dnnlib.tflib as tflib
from training.training_loop import process_reals, training_schedule

SGAN_FFHQ_8GPU = dict(lod_initial_resolution=8, minibatch_base=32, minibatch_dict={4: 512, 8: 256, 16: 128, 32: 64, 64: 32},
                      G_lrate_dict={128: 0.0015, 256: 0.002, 512: 0.003, 1024: 0.003}, D_lrate_dict={128: 0.0015, 256: 0.002, 512: 0.003, 1024: 0.003})
PGAN_V2_1GPU = dict(minibatch_base=4, minibatch_dict={4: 128, 8: 128, 16: 128, 32: 64, 64: 32, 128: 16, 256: 8, 512: 4},
                    G_lrate_dict={1024: 0.0015}, D_lrate_dict={1024: 0.0015}, max_minibatch_per_gpu={256: 16, 512: 8, 1024: 4})


def dataset_of(resolution):
    return dnnlib.EasyDict(resolution_log2=int(np.log2(resolution)))


@pytest.mark.parametrize("kimg,lod,res,minibatch,lrate,tick", [
    (0, 7.0, 8, 256, 0.001, 140), (600, 7.0, 8, 256, 0.001, 140), (900, 6.5, 16, 128, 0.001, 120),
    (1200, 6.0, 16, 128, 0.001, 120), (1800, 6.0, 16, 128, 0.001, 120), (2400, 5.0, 32, 64, 0.001, 100),
    (4200, 4.0, 64, 32, 0.001, 80), (5400, 3.0, 128, 32, 0.0015, 60), (6600, 2.0, 256, 32, 0.002, 40),
    (7800, 1.0, 512, 32, 0.003, 30), (8100, 0.5, 1024, 32, 0.003, 20), (8400, 0.0, 1024, 32, 0.003, 20), (25000, 0.0, 1024, 32, 0.003, 20),
])
def test_sgan_ffhq_reference_table(kimg, lod, res, minibatch, lrate, tick):
    s = training_schedule(kimg * 1000, dataset_of(1024), num_gpus=8, **SGAN_FFHQ_8GPU)
    assert (s.kimg, s.lod, s.resolution, s.minibatch, s.G_lrate, s.D_lrate, s.tick_kimg) == (kimg, lod, res, minibatch, lrate, lrate, tick)


def test_pgan_preset_and_caps():
    s = training_schedule(0, dataset_of(1024), num_gpus=1, **PGAN_V2_1GPU)
    assert (s.lod, s.resolution, s.minibatch, s.tick_kimg) == (8.0, 4, 128, 160)
    s = training_schedule(900000, dataset_of(1024), num_gpus=1, **PGAN_V2_1GPU)
    assert (s.lod, s.resolution) == (7.5, 8)
    s = training_schedule(12000000, dataset_of(1024), num_gpus=1, **PGAN_V2_1GPU)
    assert (s.resolution, s.minibatch, s.G_lrate, s.tick_kimg) == (1024, 4, 0.0015, 20)


def test_gpu_rounding_rampup_and_no_growing():
    s = training_schedule(0, dataset_of(32), num_gpus=3, minibatch_base=16)
    assert s.minibatch == 15  # 16 - 16 % 3
    s = training_schedule(50, dataset_of(32), num_gpus=1, lrate_rampup_kimg=0.1)
    assert np.isclose(s.G_lrate, 0.0005) and np.isclose(s.D_lrate, 0.0005)
    s = training_schedule(123, dataset_of(32), num_gpus=1, lod_initial_resolution=32, lod_training_kimg=0, lod_transition_kimg=0)
    assert (s.lod, s.resolution) == (0.0, 32)


def test_process_reals(session):
    x = tf.constant(np.arange(2 * 1 * 4 * 4, dtype=np.uint8).reshape(2, 1, 4, 4))
    lod = tf.placeholder(tf.float32, [])
    y = process_reals(x, lod, False, [0, 255], [-1, 1])
    base = np.arange(32, dtype=np.float32).reshape(2, 1, 4, 4) * (2 / 255) - 1
    np.testing.assert_allclose(tflib.run(y, {lod: 0.0}), base, atol=1e-6)
    box = base.reshape(2, 1, 2, 2, 2, 2).mean(axis=(3, 5), keepdims=True).repeat(2, 3).repeat(2, 5).reshape(2, 1, 4, 4)
    np.testing.assert_allclose(tflib.run(y, {lod: 0.25}), base + (box - base) * 0.25, atol=1e-6)
    up = tflib.run(y, {lod: 1.0})
    assert up.shape == (2, 1, 8, 8)
    np.testing.assert_allclose(up, base.repeat(2, 2).repeat(2, 3), atol=1e-6)
    mirrored = tflib.run(process_reals(x, lod, True, [0, 255], [-1, 1]), {lod: 0.0})
    for img, ref in zip(mirrored, base):
        assert np.allclose(img, ref, atol=1e-6) or np.allclose(img, ref[:, :, ::-1], atol=1e-6)
