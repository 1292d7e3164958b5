"""Network: a persistent TF1-style graph template with variables, cloning, running and pickling.

The pickled state uses the original's version-3 keys, so NVIDIA's network
pickles load here and ours load there. Known architectures are rebuilt with
our own modules instead of executing the TF1 source embedded in a pickle.
"""

import ast
import contextlib
import inspect
import re
import sys
import threading
import types
import uuid
from collections import OrderedDict
from typing import Any, List, Tuple, Union

import numpy as np
import tensorflow.compat.v1 as tf

from .. import util
from . import tfutil
from .tfutil import TfExpression, TfExpressionEx

_import_handlers = []       # Functions that rewrite a pickled state before it is restored.
_import_module_src = dict() # Module object -> the source it was created from (executed pickled sources).
_known_architectures = dict()  # Build function name -> our implementation of it.
_architecture_modules = ["training.networks_stylegan", "training.networks_progan"]
_loading = threading.local()   # .safe is True while the safe loader restores networks.

LAYOUT_SCOPES = ("ToNHWC", "ToNCHW")  # Name scopes of NCHW<->NHWC boundary transposes; plumbing, not layers.


def import_handler(handler_func):
    """Function decorator: register a handler that may rewrite pickled network states on load."""
    _import_handlers.append(handler_func)
    return handler_func


def register_architecture(build_func):
    """Function decorator: our implementation of a build function that official pickles name (G_style, D_basic, ...)."""
    _known_architectures[build_func.__name__] = build_func
    return build_func


class UnsafePickleError(RuntimeError):
    """A pickle asked for something the safe loader does not allow."""


def _source_defines(source: str, func_name: str) -> bool:
    """Whether the embedded source has a top-level `def func_name`, found by parsing, never by running it."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any(isinstance(node, ast.FunctionDef) and node.name == func_name for node in tree.body)


def _known_architecture(func_name: str):
    if func_name not in _known_architectures:
        for module_name in _architecture_modules:
            try:
                __import__(module_name)
            except ImportError:
                pass
    return _known_architectures.get(func_name)


def _canonical(obj: Any) -> Any:
    """A repr-stable form of run() arguments: dicts sorted, callables by name."""
    if isinstance(obj, dict):
        return [(key, _canonical(value)) for key, value in sorted(obj.items())]
    if callable(obj):
        return util.get_top_level_function_name(obj)
    return obj


class Network:
    """A network defined by a build function; see 10-dnnlib-tflib.md §5 for the full contract.

    Network(name, func_name, **static_kwargs) builds a template graph once.
    get_output_for() instantiates it on new inputs sharing the variables,
    run() evaluates it on NumPy arrays, and pickling saves the variables.
    """

    def __init__(self, name: str = None, func_name: Any = None, **static_kwargs):
        tfutil.assert_tf_initialized()
        assert isinstance(name, str) or name is None
        assert func_name is not None
        assert isinstance(func_name, str) or util.is_top_level_function(func_name)
        assert util.is_pickleable(static_kwargs)

        self._init_fields()
        self.name = name
        self.static_kwargs = util.EasyDict(static_kwargs)

        if util.is_top_level_function(func_name):
            func_name = util.get_top_level_function_name(func_name)
        module, self._build_func_name = util.get_module_from_obj_name(func_name)
        self._build_func = util.get_obj_from_module(module, self._build_func_name)
        assert callable(self._build_func)
        self._build_module_src = _import_module_src.get(module, None)
        if self._build_module_src is None:
            self._build_module_src = inspect.getsource(module)

        self._init_graph()
        self.reset_own_vars()

    def _init_fields(self) -> None:
        self.name = None
        self.scope = None
        self.static_kwargs = util.EasyDict()
        self.components = util.EasyDict()
        self.num_inputs = 0
        self.num_outputs = 0
        self.input_shapes = [[]]
        self.output_shapes = [[]]
        self.input_shape = []
        self.output_shape = []
        self.input_templates = []
        self.output_templates = []
        self.input_names = []
        self.output_names = []
        self.own_vars = OrderedDict()
        self.vars = OrderedDict()
        self.trainables = OrderedDict()
        self.var_global_to_local = OrderedDict()

        self._build_func = None
        self._build_func_name = None
        self._build_module_src = None
        self._run_cache = dict()

    def _init_graph(self) -> None:
        params = inspect.signature(self._build_func).parameters.values()
        self.input_names = [p.name for p in params if p.kind == p.POSITIONAL_OR_KEYWORD and p.default is p.empty]
        assert len(self.input_names) >= 1

        if self.name is None:
            self.name = self._build_func_name
        assert re.match("^[A-Za-z0-9_.\\-]*$", self.name)
        with tf.name_scope(None):
            self.scope = tf.get_default_graph().unique_name(self.name, mark_as_used=True)

        build_kwargs = dict(self.static_kwargs)
        build_kwargs["is_template_graph"] = True
        build_kwargs["components"] = self.components

        with tfutil.absolute_variable_scope(self.scope, reuse=tf.AUTO_REUSE), tfutil.absolute_name_scope(self.scope):
            assert tf.get_variable_scope().name == self.scope
            with tf.control_dependencies(None):
                self.input_templates = [tf.placeholder(tf.float32, name=name) for name in self.input_names]
                out_expr = self._build_func(*self.input_templates, **build_kwargs)

        assert tfutil.is_tf_expression(out_expr) or isinstance(out_expr, tuple)
        self.output_templates = [out_expr] if tfutil.is_tf_expression(out_expr) else list(out_expr)
        self.num_inputs = len(self.input_templates)
        self.num_outputs = len(self.output_templates)
        assert self.num_outputs >= 1
        assert all(tfutil.is_tf_expression(t) for t in self.output_templates)

        if any(t.shape.ndims is None for t in self.input_templates):
            raise ValueError("Network input shapes not defined. Please call x.set_shape() for each input.")
        if any(t.shape.ndims is None for t in self.output_templates):
            raise ValueError("Network output shapes not defined. Please call x.set_shape() where applicable.")
        if any(not isinstance(comp, Network) for comp in self.components.values()):
            raise ValueError("Components of a Network must be Networks themselves.")
        if len(self.components) != len(set(comp.name for comp in self.components.values())):
            raise ValueError("Components of a Network must have unique names.")

        self.input_shapes = [tfutil.shape_to_list(t.shape) for t in self.input_templates]
        self.output_shapes = [tfutil.shape_to_list(t.shape) for t in self.output_templates]
        self.input_shape = self.input_shapes[0]
        self.output_shape = self.output_shapes[0]
        self.output_names = [t.name.split("/")[-1].split(":")[0] for t in self.output_templates]

        prefix = self.scope + "/"
        self.own_vars = OrderedDict((var.name[len(prefix):].split(":")[0], var)
                                    for var in tf.global_variables() if var.name.startswith(prefix))
        self.vars = OrderedDict(self.own_vars)
        for comp in self.components.values():
            self.vars.update((comp.name + "/" + name, var) for name, var in comp.vars.items())
        self.trainables = OrderedDict((name, var) for name, var in self.vars.items() if var.trainable)
        self.var_global_to_local = OrderedDict((var.name.split(":")[0], name) for name, var in self.vars.items())

    def reset_own_vars(self) -> None:
        tfutil.run([var.initializer for var in self.own_vars.values()])

    def reset_vars(self) -> None:
        tfutil.run([var.initializer for var in self.vars.values()])

    def reset_trainables(self) -> None:
        tfutil.run([var.initializer for var in self.trainables.values()])

    def get_output_for(self, *in_expr, return_as_list: bool = False, **dynamic_kwargs) -> Union[Any, List[Any]]:
        """Instantiate the network on the given input expressions, sharing this network's variables."""
        assert len(in_expr) == self.num_inputs
        assert not all(expr is None for expr in in_expr)

        build_kwargs = dict(self.static_kwargs)
        build_kwargs.update(dynamic_kwargs)
        build_kwargs["is_template_graph"] = False
        build_kwargs["components"] = self.components

        with tfutil.absolute_variable_scope(self.scope, reuse=True), tf.name_scope(self.name):
            assert tf.get_variable_scope().name == self.scope
            first_valid = next(expr for expr in in_expr if expr is not None)
            final_inputs = []
            for expr, name, shape in zip(in_expr, self.input_names, self.input_shapes):
                if expr is not None:
                    expr = tf.identity(expr, name=name)
                else:
                    expr = tf.zeros([tf.shape(first_valid)[0]] + shape[1:], name=name)
                final_inputs.append(expr)
            out_expr = self._build_func(*final_inputs, **build_kwargs)

        for expr, final in zip(in_expr, final_inputs):
            if isinstance(expr, tf.Tensor):
                expr.set_shape(final.shape)

        assert tfutil.is_tf_expression(out_expr) or isinstance(out_expr, tuple)
        if return_as_list:
            out_expr = [out_expr] if tfutil.is_tf_expression(out_expr) else list(out_expr)
        return out_expr

    def get_var_local_name(self, var_or_global_name: Union[tf.Variable, str]) -> str:
        assert tfutil.is_tf_expression(var_or_global_name) or isinstance(var_or_global_name, str)
        global_name = var_or_global_name if isinstance(var_or_global_name, str) else var_or_global_name.name
        return self.var_global_to_local[global_name]

    def find_var(self, var_or_local_name: Union[tf.Variable, str]) -> tf.Variable:
        assert tfutil.is_tf_expression(var_or_local_name) or isinstance(var_or_local_name, str)
        return self.vars[var_or_local_name] if isinstance(var_or_local_name, str) else var_or_local_name

    def get_var(self, var_or_local_name: Union[tf.Variable, str]) -> np.ndarray:
        return self.find_var(var_or_local_name).eval()

    def set_var(self, var_or_local_name: Union[tf.Variable, str], new_value: Union[int, float, np.ndarray]) -> None:
        tfutil.set_vars({self.find_var(var_or_local_name): new_value})

    # ------------------------------------------------------------------------
    # Pickling.

    def __getstate__(self) -> dict:
        """The original's version-3 state: kwargs, components, module source and own variable values."""
        state = dict()
        state["version"] = 3
        state["name"] = self.name
        state["static_kwargs"] = dict(self.static_kwargs)
        state["components"] = dict(self.components)
        state["build_module_src"] = self._build_module_src
        state["build_func_name"] = self._build_func_name
        state["variables"] = list(zip(self.own_vars.keys(), tfutil.run(list(self.own_vars.values()))))
        return state

    def __setstate__(self, state: dict) -> None:
        tfutil.assert_tf_initialized()
        self._init_fields()

        for handler in _import_handlers:
            state = handler(state)

        if state["version"] not in (2, 3):
            raise UnsafePickleError("Unsupported network pickle state version %r (StyleGAN pickles use 2 or 3)." % (state["version"],))
        self.name = state["name"]
        self.static_kwargs = util.EasyDict(state["static_kwargs"])
        self.components = util.EasyDict(state.get("components", {}))
        self._build_module_src = state["build_module_src"]
        self._build_func_name = state["build_func_name"]
        self._build_func = self._resolve_build_func()

        self._init_graph()
        self.reset_own_vars()
        tfutil.set_vars({self.find_var(name): value for name, value in state["variables"]})

    def _resolve_build_func(self):
        """Our implementation for known architectures; otherwise the embedded source, executed as TF1 code."""
        ours = _known_architecture(self._build_func_name)
        if ours is not None and _source_defines(self._build_module_src, self._build_func_name):
            self._build_module_src = inspect.getsource(sys.modules[ours.__module__])
            return ours
        if getattr(_loading, "safe", False):
            raise UnsafePickleError(
                "Network '%s' uses build function '%s', which is not a known architecture; "
                "the safe loader never runs code embedded in a pickle. Load it with safe=False only if you trust the file."
                % (self.name, self._build_func_name))
        from . import tf1_compat
        module = types.ModuleType("_tflib_network_import_" + uuid.uuid4().hex)
        sys.modules[module.__name__] = module
        _import_module_src[module] = self._build_module_src
        tf1_compat.exec_tf1_source(self._build_module_src, module.__dict__)
        build_func = util.get_obj_from_module(module, self._build_func_name)
        assert callable(build_func)
        return build_func

    # ------------------------------------------------------------------------
    # Copies.

    def clone(self, name: str = None, **new_static_kwargs) -> "Network":
        """A new network with the same build function and a copy of all variables; fresh components."""
        net = object.__new__(Network)
        net._init_fields()
        net.name = name if name is not None else self.name
        net.static_kwargs = util.EasyDict(self.static_kwargs)
        net.static_kwargs.update(new_static_kwargs)
        net._build_module_src = self._build_module_src
        net._build_func_name = self._build_func_name
        net._build_func = self._build_func
        net._init_graph()
        net.copy_vars_from(self)
        return net

    def _copy_named_vars(self, src_vars: dict, dst_vars: dict) -> None:
        names = [name for name in dst_vars.keys() if name in src_vars]
        values = tfutil.run([src_vars[name] for name in names])
        tfutil.set_vars({dst_vars[name]: value for name, value in zip(names, values)})

    def copy_own_vars_from(self, src_net: "Network") -> None:
        self._copy_named_vars(src_net.own_vars, self.own_vars)

    def copy_vars_from(self, src_net: "Network") -> None:
        self._copy_named_vars(src_net.vars, self.vars)

    def copy_trainables_from(self, src_net: "Network") -> None:
        self._copy_named_vars(src_net.trainables, self.trainables)

    def convert(self, new_func_name: str, new_name: str = None, **new_static_kwargs) -> "Network":
        """A network of another build function (or module) with the variables that match by name."""
        if new_name is None:
            new_name = self.name
        static_kwargs = dict(self.static_kwargs)
        static_kwargs.update(new_static_kwargs)
        net = Network(name=new_name, func_name=new_func_name, **static_kwargs)
        net.copy_vars_from(self)
        return net

    def setup_as_moving_average_of(self, src_net: "Network", beta: TfExpressionEx = 0.99, beta_nontrainable: TfExpressionEx = 0.0) -> tf.Operation:
        """An op that moves this network's variables towards src_net's: var = src + (var - src) * beta."""
        with tfutil.absolute_name_scope(self.scope + "/_MovingAvg"):
            ops = []
            for name, var in self.vars.items():
                if name in src_net.vars:
                    cur_beta = beta if name in self.trainables else beta_nontrainable
                    new_value = tfutil.lerp(src_net.vars[name], var, cur_beta)
                    ops.append(var.assign(new_value))
            return tf.group(*ops)

    # ------------------------------------------------------------------------
    # Evaluation on NumPy arrays.

    def run(self, *in_arrays: Tuple[Union[np.ndarray, None], ...], input_transform: dict = None, output_transform: dict = None,
            return_as_list: bool = False, print_progress: bool = False, minibatch_size: int = None, num_gpus: int = 1,
            assume_frozen: bool = False, **dynamic_kwargs) -> Union[np.ndarray, Tuple[np.ndarray, ...], List[np.ndarray]]:
        """Evaluate the network on NumPy arrays in minibatches, optionally split over num_gpus towers."""
        assert len(in_arrays) == self.num_inputs
        assert not all(arr is None for arr in in_arrays)
        assert input_transform is None or util.is_top_level_function(input_transform["func"])
        assert output_transform is None or util.is_top_level_function(output_transform["func"])
        output_transform, dynamic_kwargs = _handle_legacy_output_transforms(output_transform, dynamic_kwargs)
        num_items = in_arrays[0].shape[0]
        if minibatch_size is None:
            minibatch_size = num_items

        in_expr, out_expr = self._get_run_graph(input_transform, output_transform, num_gpus, assume_frozen, dynamic_kwargs)
        out_arrays = [np.empty([num_items] + tfutil.shape_to_list(expr.shape)[1:], expr.dtype.name) for expr in out_expr]

        for mb_begin in range(0, num_items, minibatch_size):
            if print_progress:
                print("\r%d / %d" % (mb_begin, num_items), end="")
            mb_end = min(mb_begin + minibatch_size, num_items)
            mb_num = mb_end - mb_begin
            mb_in = [src[mb_begin:mb_end] if src is not None else np.zeros([mb_num] + shape[1:]) for src, shape in zip(in_arrays, self.input_shapes)]
            mb_out = tf.get_default_session().run(out_expr, dict(zip(in_expr, mb_in)))
            for dst, src in zip(out_arrays, mb_out):
                dst[mb_begin:mb_end] = src

        if print_progress:
            print("\r%d / %d" % (num_items, num_items))
        if not return_as_list:
            out_arrays = out_arrays[0] if len(out_arrays) == 1 else tuple(out_arrays)
        return out_arrays

    def _get_run_graph(self, input_transform, output_transform, num_gpus, assume_frozen, dynamic_kwargs):
        """Placeholders and outputs for one run() configuration, built once and cached."""
        key = dict(input_transform=input_transform, output_transform=output_transform, num_gpus=num_gpus, assume_frozen=assume_frozen, dynamic_kwargs=dynamic_kwargs)
        key = repr(_canonical(key))
        if key in self._run_cache:
            return self._run_cache[key]

        with tfutil.absolute_name_scope(self.scope + "/_Run"), tf.control_dependencies(None):
            with tf.device("/cpu:0"):
                in_expr = [tf.placeholder(tf.float32, name=name) for name in self.input_names]
                in_split = list(zip(*[tf.split(x, num_gpus) for x in in_expr]))
            out_split = []
            for gpu in range(num_gpus):
                with tf.device("/gpu:%d" % gpu):
                    net_gpu = self.clone() if assume_frozen else self
                    in_gpu = in_split[gpu]
                    if input_transform is not None:
                        in_kwargs = dict(input_transform)
                        in_gpu = in_kwargs.pop("func")(*in_gpu, **in_kwargs)
                        in_gpu = [in_gpu] if tfutil.is_tf_expression(in_gpu) else list(in_gpu)
                    assert len(in_gpu) == self.num_inputs
                    out_gpu = net_gpu.get_output_for(*in_gpu, return_as_list=True, **dynamic_kwargs)
                    if output_transform is not None:
                        out_kwargs = dict(output_transform)
                        out_gpu = out_kwargs.pop("func")(*out_gpu, **out_kwargs)
                        out_gpu = [out_gpu] if tfutil.is_tf_expression(out_gpu) else list(out_gpu)
                    assert len(out_gpu) == self.num_outputs
                    out_split.append(out_gpu)
            with tf.device("/cpu:0"):
                out_expr = [tf.concat(outputs, axis=0) for outputs in zip(*out_split)]
        self._run_cache[key] = (in_expr, out_expr)
        return in_expr, out_expr

    # ------------------------------------------------------------------------
    # Introspection.

    def list_ops(self) -> List[TfExpression]:
        include_prefix = self.scope + "/"
        exclude_prefix = include_prefix + "_"
        ops = tf.get_default_graph().get_operations()
        return [op for op in ops if op.name.startswith(include_prefix) and not op.name.startswith(exclude_prefix)]

    def list_layers(self) -> List[Tuple[str, TfExpression, List[TfExpression]]]:
        """(layer name, output expression, trainable variables) for each layer, found from the graph's name scopes."""
        layers = []

        def recurse(scope, parent_ops, parent_vars, level):
            if any(p in scope for p in ["/Shape", "/strided_slice", "/Cast", "/concat", "/Assign"]):
                return
            if scope.split("/")[-1] in LAYOUT_SCOPES:
                return
            global_prefix = scope + "/"
            local_prefix = global_prefix[len(self.scope) + 1:]
            cur_ops = [op for op in parent_ops if op.name.startswith(global_prefix) or op.name == global_prefix[:-1]]
            cur_vars = [(name, var) for name, var in parent_vars if name.startswith(local_prefix) or name == local_prefix[:-1]]
            if not cur_ops and not cur_vars:
                return
            for var in [op for op in cur_ops if op.type.startswith("Variable")]:
                var_prefix = var.name + "/"
                cur_ops = [op for op in cur_ops if not op.name.startswith(var_prefix)]

            contains_direct_ops = any("/" not in op.name[len(global_prefix):] and op.type != "Identity" for op in cur_ops)
            if (level == 0 or not contains_direct_ops) and (len(cur_ops) + len(cur_vars)) > 1:
                visited = set()
                for rel_name in [op.name[len(global_prefix):] for op in cur_ops] + [name[len(local_prefix):] for name, _var in cur_vars]:
                    token = rel_name.split("/")[0]
                    if token not in visited:
                        recurse(global_prefix + token, cur_ops, cur_vars, level + 1)
                        visited.add(token)
                return

            layer_name = scope[len(self.scope) + 1:]
            layer_output = cur_ops[-1].outputs[0] if cur_ops else cur_vars[-1][1]
            layer_trainables = [var for _name, var in cur_vars if var.trainable]
            layers.append((layer_name, layer_output, layer_trainables))

        recurse(self.scope, self.list_ops(), list(self.vars.items()), 0)
        return layers

    def print_layers(self, title: str = None, hide_layers_with_no_params: bool = False) -> None:
        """Print a table of layers with parameter counts and output/weight shapes; the total counts trainables only."""
        rows = [[title if title is not None else self.name, "Params", "OutputShape", "WeightShape"]]
        rows += [["---"] * 4]
        total_params = 0

        for layer_name, layer_output, layer_trainables in self.list_layers():
            num_params = sum(int(np.prod(tfutil.shape_to_list(var.shape))) for var in layer_trainables)
            weights = [var for var in layer_trainables if var.name.endswith("/weight:0")]
            weights.sort(key=lambda x: len(x.name))
            if len(weights) == 0 and len(layer_trainables) == 1:
                weights = layer_trainables
            total_params += num_params
            if not hide_layers_with_no_params or num_params != 0:
                num_params_str = str(num_params) if num_params > 0 else "-"
                output_shape_str = str(_public_shape(layer_output))
                weight_shape_str = str(weights[0].shape) if len(weights) >= 1 else "-"
                rows += [[layer_name, num_params_str, output_shape_str, weight_shape_str]]

        rows += [["---"] * 4]
        rows += [["Total", str(total_params), "", ""]]

        widths = [max(len(cell) for cell in column) for column in zip(*rows)]
        print()
        for row in rows:
            print("  ".join(cell + " " * (width - len(cell)) for cell, width in zip(row, widths)))
        print()

    def setup_weight_histograms(self, title: str = None) -> None:
        """TensorBoard histograms of every trainable variable."""
        if title is None:
            title = self.name
        with tf.name_scope(None), tf.device(None), tf.control_dependencies(None):
            for local_name, var in self.trainables.items():
                if "/" in local_name:
                    parts = local_name.split("/")
                    name = title + "_" + parts[-1] + "/" + "_".join(parts[:-1])
                else:
                    name = title + "_toplevel/" + local_name
                tf.summary.histogram(name, var)


def _public_shape(tensor: TfExpression) -> tf.TensorShape:
    """The shape as the original reports it: 4-D activations computed in NHWC are shown in NCHW."""
    if tensor.shape.ndims == 4 and _computed_in_nhwc(tensor):
        return tf.TensorShape([tensor.shape[i] for i in (0, 3, 1, 2)])
    return tensor.shape


def _computed_in_nhwc(tensor: TfExpression) -> bool:
    """Follow first inputs back to the nearest layout transpose: [0,2,3,1] means NHWC, [0,3,1,2] or a source means NCHW."""
    op = tensor.op
    for _ in range(10000):
        if op.type == "Transpose" and op.inputs[1].op.type == "Const":
            perm = list(tf.make_ndarray(op.inputs[1].op.get_attr("value")))
            if perm in ([0, 2, 3, 1], [0, 3, 1, 2]):
                return perm == [0, 2, 3, 1]
        if len(op.inputs) == 0:
            return False
        op = op.inputs[0].op
    return False


# ----------------------------------------------------------------------------
# Legacy output kwargs of run(): out_mul, out_add, out_shrink, out_dtype.

_print_legacy_warning = True


def _handle_legacy_output_transforms(output_transform, dynamic_kwargs):
    global _print_legacy_warning
    legacy_kwargs = ["out_mul", "out_add", "out_shrink", "out_dtype"]
    if not any(kwarg in dynamic_kwargs for kwarg in legacy_kwargs):
        return output_transform, dynamic_kwargs

    if _print_legacy_warning:
        _print_legacy_warning = False
        print("\nNetwork.run(): out_mul/out_add/out_shrink/out_dtype are deprecated; "
              "pass output_transform=dict(func=tflib.convert_images_to_uint8) instead.\n")
    assert output_transform is None

    new_kwargs = dict(dynamic_kwargs)
    new_transform = {kwarg: new_kwargs.pop(kwarg) for kwarg in legacy_kwargs if kwarg in dynamic_kwargs}
    new_transform["func"] = _legacy_output_transform_func
    return new_transform, new_kwargs


def _legacy_output_transform_func(*expr, out_mul=1.0, out_add=0.0, out_shrink=1, out_dtype=None):
    if out_mul != 1.0:
        expr = [x * out_mul for x in expr]
    if out_add != 0.0:
        expr = [x + out_add for x in expr]
    if out_shrink > 1:
        window = [1, out_shrink, out_shrink, 1]
        expr = [tf.transpose(tf.nn.avg_pool(tf.transpose(x, [0, 2, 3, 1]), ksize=window, strides=window, padding="VALID"), [0, 3, 1, 2]) for x in expr]
    if out_dtype is not None:
        if tf.as_dtype(out_dtype).is_integer:
            expr = [tf.round(x) for x in expr]
        expr = [tf.saturate_cast(x, out_dtype) for x in expr]
    return expr


@contextlib.contextmanager
def safe_loading():
    """While active, restoring a network never executes embedded source."""
    previous = getattr(_loading, "safe", False)
    _loading.safe = True
    try:
        yield
    finally:
        _loading.safe = previous
