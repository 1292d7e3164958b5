"""Optimizer: a TF1 optimizer wrapper that averages gradients over towers and supports loss scaling.

Loss scaling is kept in log2 units (init 64 means x2^64): it grows a little
after every finite step and drops by one after a step with non-finite
gradients, which is skipped entirely.
"""

from collections import OrderedDict

import numpy as np
import tensorflow.compat.v1 as tf

from .. import util
from . import autosummary
from . import tfutil


def _tf1_optimizer_class(name: str):
    """Resolve 'tf.train.AdamOptimizer' style names; TF 2 keeps those classes under tf.compat.v1.train."""
    for prefix in ("tf.train.", "tensorflow.train."):
        if name.startswith(prefix):
            return util.get_obj_by_name("tensorflow.compat.v1.train." + name[len(prefix):])
    return util.get_obj_by_name(name)


def _machine_of(device):
    """(job, replica, task) of a device name: the process that runs it ('' for this one)."""
    spec = tf.DeviceSpec.from_string(device or "")
    return spec.job, spec.replica, spec.task


def _sum_pairs(losses):
    """[(sum over the losses of a variable's gradients in float32, var)] for [[(grad, var)] per loss]."""
    return [(tf.add_n([tf.cast(g, tf.float32) for g, _ in per_var]), per_var[0][1]) for per_var in zip(*losses)]


class Optimizer:
    """Collect losses from one or more devices with register_gradients(), then build one training op with apply_updates()."""

    def __init__(self, name="Train", tf_optimizer="tf.train.AdamOptimizer", learning_rate=0.001, use_loss_scaling=False,
                 loss_scaling_init=64.0, loss_scaling_inc=0.0005, loss_scaling_dec=1.0, **kwargs):
        self.name = name
        self.id = name.replace("/", ".")
        self.learning_rate = tf.convert_to_tensor(value=learning_rate)
        graph = tf.get_default_graph()
        self.scope = graph.unique_name(self.id)  # relative to the current name scope
        self.optimizer_class = _tf1_optimizer_class(tf_optimizer)
        self.optimizer_kwargs = dict(kwargs)
        self.use_loss_scaling, self.loss_scaling_init = use_loss_scaling, loss_scaling_init
        self.loss_scaling_inc, self.loss_scaling_dec = loss_scaling_inc, loss_scaling_dec
        self._grad_shapes = None
        self._dev_opt = OrderedDict()     # device -> TF optimizer
        self._dev_grads = OrderedDict()   # device -> one [(grad, var), ...] list per registered loss
        self._dev_ls_var = OrderedDict()  # device -> loss-scaling variable
        self._updates_applied = False
        self.skipped_in_a_row = None      # variable: updates skipped in a row for non-finite gradients (ours)

    def register_gradients(self, loss, trainable_vars):
        """Add the gradients of `loss` w.r.t. the variables (a list, or a dict such as Network.trainables); once per tower.

        The gradients are computed where the loss is; they are summed and applied where the variables are. Towers
        with copies of their own (one machine) register their own variables; towers on other machines may share
        one copy (training on several machines), whose device then receives every tower's gradients.
        """
        assert not self._updates_applied, "register_gradients() after apply_updates()"
        variables = list(trainable_vars.values()) if isinstance(trainable_vars, dict) else list(trainable_vars)
        if not variables or not all(tfutil.is_tf_expression(v) for v in variables + [loss]):
            raise ValueError("register_gradients() needs a loss expression and at least one variable")
        shapes = [tfutil.shape_to_list(v.shape) for v in variables]
        if self._grad_shapes is None:
            self._grad_shapes = shapes
        assert shapes == self._grad_shapes, "every register_gradients() call must use variables of the same shapes"
        device = variables[0].device
        assert all(v.device == device for v in variables), "the variables must be on one device, not %r and %r" % (device, [v.device for v in variables])
        if self.use_loss_scaling and loss.device != device:
            raise ValueError("loss scaling needs each tower's variables on the tower's device (%r, not %r)" % (loss.device, device))

        with tf.name_scope(self.id + "_grad"), tf.device(loss.device):
            optimizer = self._dev_opt.get(device)
            if optimizer is None:
                optimizer = self.optimizer_class(name="%s_opt%d" % (self.scope.replace("/", "_"), len(self._dev_opt)),
                                                 learning_rate=self.learning_rate, **self.optimizer_kwargs)
                self._dev_opt[device] = optimizer
                self._dev_grads[device] = []
            scaled_loss = self.apply_loss_scaling(tf.cast(loss, tf.float32))
            pairs = optimizer.compute_gradients(scaled_loss, variables, gate_gradients=tf.train.Optimizer.GATE_NONE)
            self._dev_grads[device].append((loss.device, [(tf.zeros_like(v) if g is None else g, v) for g, v in pairs]))

    def _sum_per_device(self):
        """device -> [(sum of the gradients for that device's variables in float32, var)].

        Gradients computed on another machine are summed there first, so each machine sends one sum, not one per tower.
        """
        summed = OrderedDict()
        for index, (device, losses) in enumerate(self._dev_grads.items()):
            with tf.name_scope("ProcessGrads%d" % index):
                by_machine = OrderedDict()  # (job, replica, task) -> [(loss device, grads)]
                for loss_device, pairs in losses:
                    by_machine.setdefault(_machine_of(loss_device), []).append((loss_device, pairs))
                parts = []
                for machine, machine_losses in by_machine.items():
                    if machine == _machine_of(device) or len(machine_losses) == 1:
                        parts += [pairs for _, pairs in machine_losses]
                        continue
                    with tf.device(machine_losses[0][0]):
                        parts.append(_sum_pairs([pairs for _, pairs in machine_losses]))
                with tf.device(device):
                    summed[device] = _sum_pairs(parts)
        return summed

    def _sum_across_devices(self, summed):
        """Give every device the total over all devices (each device updates its own copy of the variables)."""
        with tf.device(None), tf.name_scope("SumAcrossGPUs"):
            for index, shape in enumerate(self._grad_shapes):
                if np.prod(shape) == 0:
                    continue
                total = tf.add_n([pairs[index][0] for pairs in summed.values()])
                for device, pairs in summed.items():
                    with tf.device(device):
                        pairs[index] = (tf.identity(total), pairs[index][1])

    def apply_updates(self):
        """The training op: average all registered gradients, skip non-finite steps, update every device's variables."""
        tfutil.assert_tf_initialized()
        assert not self._updates_applied, "apply_updates() can be called once"
        self._updates_applied = True
        num_losses = sum(map(len, self._dev_grads.values()))
        assert num_losses > 0, "register_gradients() first"
        last_device = list(self._dev_grads)[-1]
        ops = []

        scope = tfutil.absolute_name_scope(self.scope)
        with scope:
            summed = self._sum_per_device()
            if len(summed) > 1:
                self._sum_across_devices(summed)
            for index, (device, pairs) in enumerate(summed.items()):
                with tf.name_scope("ApplyGrads%d" % index), tf.device(device):
                    if self.use_loss_scaling or num_losses > 1:
                        with tf.name_scope("Scale"):
                            factor = self.undo_loss_scaling(tf.constant(np.float32(1 / num_losses), name="coef"))
                            pairs = [(g * factor, v) for g, v in pairs]
                    with tf.name_scope("CheckOverflow"):
                        finite = tf.reduce_all(tf.stack([tf.reduce_all(tf.math.is_finite(g)) for g, _ in pairs]))
                    with tf.name_scope("UpdateWeights"):
                        ops.append(self._guarded_update(device, pairs, finite))
                    if device == last_device:
                        with tf.name_scope("Statistics"):
                            ops.append(autosummary.autosummary("%s/learning_rate" % self.id, self.learning_rate))
                            ops.append(autosummary.autosummary("%s/overflow_frequency" % self.id, tf.where(finite, 0, 1)))
                            ops.append(self._count_skipped(finite))
                            if self.use_loss_scaling:
                                ops.append(autosummary.autosummary("%s/loss_scaling_log2" % self.id, self.get_loss_scaling_var(device)))
            self.reset_optimizer_state()
            tfutil.init_uninitialized_vars(list(self._dev_ls_var.values()) + [self.skipped_in_a_row])
            training_op = tf.group(*ops, name="TrainingOp")
        return training_op

    def _count_skipped(self, finite):
        """Track how many steps in a row were skipped: a loss that stays NaN would otherwise stall training silently."""
        with tf.control_dependencies(None):
            self.skipped_in_a_row = tf.Variable(np.int64(0), name="skipped_in_a_row", trainable=False)
        return tf.assign(self.skipped_in_a_row, tf.where(finite, np.int64(0), self.skipped_in_a_row + 1))

    def _guarded_update(self, device, pairs, finite):
        """Apply the gradients only when all are finite; move the loss scale up or down accordingly."""
        optimizer = self._dev_opt[device]
        if not self.use_loss_scaling:
            return tf.cond(finite, lambda: optimizer.apply_gradients(pairs), tf.no_op)
        scale = self.get_loss_scaling_var(device)

        def step():
            return tf.group(optimizer.apply_gradients(pairs), tf.assign_add(scale, self.loss_scaling_inc))

        def back_off():
            return tf.group(tf.assign_sub(scale, self.loss_scaling_dec))
        return tf.cond(finite, step, back_off)

    def reset_optimizer_state(self):
        """Re-initialize the optimizer slots (e.g. Adam moments) on every device."""
        tfutil.assert_tf_initialized()
        slots = [var for optimizer in self._dev_opt.values() for var in optimizer.variables()]
        tfutil.run([var.initializer for var in slots])

    def get_loss_scaling_var(self, device):
        """The log2 loss scale of a device, created on first use; None without loss scaling."""
        if not self.use_loss_scaling:
            return None
        if device not in self._dev_ls_var:
            with tfutil.absolute_name_scope("%s/LossScalingVars" % self.scope), tf.control_dependencies(None):
                initial = np.float32(self.loss_scaling_init)
                self._dev_ls_var[device] = tf.Variable(initial, name="loss_scaling_var")
        return self._dev_ls_var[device]

    def _scaled(self, value, sign):
        assert tfutil.is_tf_expression(value)
        if not self.use_loss_scaling:
            return value
        return value * tfutil.exp2(sign * self.get_loss_scaling_var(value.device))

    def apply_loss_scaling(self, value):
        """value * 2^scale (identity without loss scaling)."""
        return self._scaled(value, 1.0)

    def undo_loss_scaling(self, value):
        """value * 2^-scale (identity without loss scaling)."""
        return self._scaled(value, -1.0)
