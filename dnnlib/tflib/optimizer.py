"""Optimizer: a TF1 optimizer wrapper that averages gradients over towers and supports loss scaling.

Loss scaling is kept in log2 units (init 64 means x2^64): it grows a little
after every finite step and drops by one after a step with non-finite
gradients, which is skipped entirely.
"""

from collections import OrderedDict
from typing import List, Union

import numpy as np
import tensorflow.compat.v1 as tf

from .. import util
from . import autosummary
from . import tfutil
from .tfutil import TfExpression, TfExpressionEx


def _tf1_optimizer_class(name: str):
    """Resolve 'tf.train.AdamOptimizer' style names; TF 2 keeps those classes under tf.compat.v1.train."""
    for prefix in ("tf.train.", "tensorflow.train."):
        if name.startswith(prefix):
            return util.get_obj_by_name("tensorflow.compat.v1.train." + name[len(prefix):])
    return util.get_obj_by_name(name)


class Optimizer:
    """Collect losses from one or more devices with register_gradients(), then build one training op with apply_updates()."""

    def __init__(self, name: str = "Train", tf_optimizer: str = "tf.train.AdamOptimizer", learning_rate: TfExpressionEx = 0.001,
                 use_loss_scaling: bool = False, loss_scaling_init: float = 64.0, loss_scaling_inc: float = 0.0005,
                 loss_scaling_dec: float = 1.0, **kwargs):
        self.name = name
        self.learning_rate = tf.convert_to_tensor(learning_rate)
        self.id = self.name.replace("/", ".")
        self.scope = tf.get_default_graph().unique_name(self.id)
        self.optimizer_class = _tf1_optimizer_class(tf_optimizer)
        self.optimizer_kwargs = dict(kwargs)
        self.use_loss_scaling = use_loss_scaling
        self.loss_scaling_init = loss_scaling_init
        self.loss_scaling_inc = loss_scaling_inc
        self.loss_scaling_dec = loss_scaling_dec
        self._grad_shapes = None
        self._dev_opt = OrderedDict()     # device -> TF optimizer
        self._dev_grads = OrderedDict()   # device -> [[(grad, var), ...] per registered loss]
        self._dev_ls_var = OrderedDict()  # device -> loss scaling variable
        self._updates_applied = False

    def register_gradients(self, loss: TfExpression, trainable_vars: Union[List, dict]) -> None:
        """Add the gradients of `loss` w.r.t. the variables; call once per device (tower)."""
        assert not self._updates_applied
        if isinstance(trainable_vars, dict):
            trainable_vars = list(trainable_vars.values())
        assert isinstance(trainable_vars, list) and len(trainable_vars) >= 1
        assert all(tfutil.is_tf_expression(expr) for expr in trainable_vars + [loss])

        shapes = [tfutil.shape_to_list(var.shape) for var in trainable_vars]
        if self._grad_shapes is None:
            self._grad_shapes = shapes
        assert shapes == self._grad_shapes, "every register_gradients() call must use variables of the same shapes"
        dev = loss.device
        assert all(var.device == dev for var in trainable_vars), "loss (%r) and variables (%r) must be on one device" % (dev, trainable_vars[0].device)

        with tf.name_scope(self.id + "_grad"), tf.device(dev):
            if dev not in self._dev_opt:
                opt_name = self.scope.replace("/", "_") + "_opt%d" % len(self._dev_opt)
                self._dev_opt[dev] = self.optimizer_class(name=opt_name, learning_rate=self.learning_rate, **self.optimizer_kwargs)
                self._dev_grads[dev] = []
            loss = self.apply_loss_scaling(tf.cast(loss, tf.float32))
            grads = self._dev_opt[dev].compute_gradients(loss, trainable_vars, gate_gradients=tf.train.Optimizer.GATE_NONE)
            self._dev_grads[dev].append([(g if g is not None else tf.zeros_like(v), v) for g, v in grads])

    def apply_updates(self) -> tf.Operation:
        """The training op: average all registered gradients, skip non-finite steps, update every device's variables."""
        tfutil.assert_tf_initialized()
        assert not self._updates_applied
        self._updates_applied = True
        devices = list(self._dev_grads.keys())
        total_grads = sum(len(grads) for grads in self._dev_grads.values())
        assert len(devices) >= 1 and total_grads >= 1
        ops = []

        with tfutil.absolute_name_scope(self.scope):
            dev_grads = OrderedDict()
            for dev_idx, dev in enumerate(devices):
                with tf.name_scope("ProcessGrads%d" % dev_idx), tf.device(dev):
                    per_var = zip(*self._dev_grads[dev])
                    dev_grads[dev] = [(tf.add_n([tf.cast(g, tf.float32) for g, _v in gv]), gv[0][1]) for gv in per_var]

            if len(devices) > 1:
                with tf.name_scope("SumAcrossGPUs"), tf.device(None):
                    for var_idx, grad_shape in enumerate(self._grad_shapes):
                        if np.prod(grad_shape) == 0:
                            continue
                        total = tf.add_n([dev_grads[dev][var_idx][0] for dev in devices])
                        for dev in devices:
                            with tf.device(dev):
                                dev_grads[dev][var_idx] = (tf.identity(total), dev_grads[dev][var_idx][1])

            for dev_idx, (dev, grads) in enumerate(dev_grads.items()):
                with tf.name_scope("ApplyGrads%d" % dev_idx), tf.device(dev):
                    if self.use_loss_scaling or total_grads > 1:
                        with tf.name_scope("Scale"):
                            coef = self.undo_loss_scaling(tf.constant(np.float32(1.0 / total_grads), name="coef"))
                            grads = [(g * coef, v) for g, v in grads]
                    with tf.name_scope("CheckOverflow"):
                        grad_ok = tf.reduce_all(tf.stack([tf.reduce_all(tf.math.is_finite(g)) for g, _v in grads]))
                    with tf.name_scope("UpdateWeights"):
                        ops.append(self._guarded_update(dev, grads, grad_ok))
                    if dev == devices[-1]:
                        with tf.name_scope("Statistics"):
                            ops.append(autosummary.autosummary(self.id + "/learning_rate", self.learning_rate))
                            ops.append(autosummary.autosummary(self.id + "/overflow_frequency", tf.where(grad_ok, 0, 1)))
                            if self.use_loss_scaling:
                                ops.append(autosummary.autosummary(self.id + "/loss_scaling_log2", self.get_loss_scaling_var(dev)))

            self.reset_optimizer_state()
            tfutil.init_uninitialized_vars(list(self._dev_ls_var.values()))
            return tf.group(*ops, name="TrainingOp")

    def _guarded_update(self, dev: str, grads: list, grad_ok: TfExpression) -> TfExpression:
        """Apply the gradients only when all are finite; move the loss scale up or down accordingly."""
        opt = self._dev_opt[dev]
        if not self.use_loss_scaling:
            return tf.cond(grad_ok, lambda: opt.apply_gradients(grads), tf.no_op)
        ls_var = self.get_loss_scaling_var(dev)
        return tf.cond(grad_ok,
                       lambda: tf.group(tf.assign_add(ls_var, self.loss_scaling_inc), opt.apply_gradients(grads)),
                       lambda: tf.group(tf.assign_sub(ls_var, self.loss_scaling_dec)))

    def reset_optimizer_state(self) -> None:
        """Re-initialize the optimizer slots (e.g. Adam moments) on every device."""
        tfutil.assert_tf_initialized()
        tfutil.run([var.initializer for opt in self._dev_opt.values() for var in opt.variables()])

    def get_loss_scaling_var(self, device: str) -> Union[tf.Variable, None]:
        """The log2 loss scale of a device, created on first use; None without loss scaling."""
        if not self.use_loss_scaling:
            return None
        if device not in self._dev_ls_var:
            with tfutil.absolute_name_scope(self.scope + "/LossScalingVars"), tf.control_dependencies(None):
                self._dev_ls_var[device] = tf.Variable(np.float32(self.loss_scaling_init), name="loss_scaling_var")
        return self._dev_ls_var[device]

    def apply_loss_scaling(self, value: TfExpression) -> TfExpression:
        assert tfutil.is_tf_expression(value)
        if not self.use_loss_scaling:
            return value
        return value * tfutil.exp2(self.get_loss_scaling_var(value.device))

    def undo_loss_scaling(self, value: TfExpression) -> TfExpression:
        assert tfutil.is_tf_expression(value)
        if not self.use_loss_scaling:
            return value
        return value * tfutil.exp2(-self.get_loss_scaling_var(value.device))
