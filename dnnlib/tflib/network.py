"""Network: a persistent TF1-style graph template with variables, cloning, running and pickling.

The pickled state uses the original's version-3 keys, so NVIDIA's network
pickles load here and ours load there. Known architectures are rebuilt with
our own modules instead of executing the TF1 source embedded in a pickle.
"""

import ast
import contextlib
import importlib
import inspect
import re
import reprlib
import sys
import threading
import types
import uuid
from collections import OrderedDict
from typing import Any, List, Tuple, Union

import numpy as np
import tensorflow.compat.v1 as tf

from .. import architectures, util
from . import tfutil
from .tfutil import TfExpression

_import_handlers = []           # functions that may rewrite a pickled state before it is restored
_import_module_src = dict()     # module object -> the source it was executed from
_known_architectures = dict()   # build function name -> our implementation of it
_loading = threading.local()    # .safe is True while the safe loader restores networks

_SKIPPED_SCOPE_PARTS = ("/Shape", "/strided_slice", "/Cast", "/concat", "/Assign")
_layer_display = dict(hidden_scopes=(), public_shape=None)  # set by the architectures' modules


def import_handler(handler_func):
    """Decorator: register a function that may rewrite pickled network states on load."""
    _import_handlers.append(handler_func)
    return handler_func


def register_architecture(build_func):
    """Decorator: our implementation of a build function that official pickles name (G_style, D_basic, ...)."""
    _known_architectures[build_func.__name__] = build_func
    return build_func


def register_layer_display(hidden_scopes=(), public_shape=None):
    """How print_layers shows networks: name scopes that are plumbing (e.g. layout transposes), and a function
    giving the shape to report for a layer's output (e.g. NCHW for tensors computed in NHWC)."""
    _layer_display.update(hidden_scopes=tuple(hidden_scopes), public_shape=public_shape)


class UnsafePickleError(RuntimeError):
    """A pickle asked for something the safe loader does not allow."""


@contextlib.contextmanager
def safe_loading():
    """While active, restoring a network never executes embedded source."""
    previous = getattr(_loading, "safe", False)
    _loading.safe = True
    try:
        yield
    finally:
        _loading.safe = previous


class NetworkStateError(ValueError):
    """A pickled network state is incomplete or inconsistent (missing or misshapen variables, non-finite weights, ...)."""


_STATE_KEYS = {"version": int, "name": str, "static_kwargs": dict, "build_module_src": str, "build_func_name": str, "variables": list}


def _checked_state(state) -> "OrderedDict[str, np.ndarray]":
    """The variables of a pickled state, after checking its structure: real, finite floating-point arrays by name."""
    if not isinstance(state, dict):
        raise NetworkStateError("a pickled network's state is a %s, not a dict" % type(state).__name__)
    if state.get("version") not in (2, 3):
        raise UnsafePickleError("unsupported network pickle state version %r (StyleGAN pickles use 2 or 3)" % (state.get("version"),))
    wanted = dict(_STATE_KEYS, components=dict) if state["version"] == 3 else _STATE_KEYS
    for key, kind in wanted.items():
        if key not in state:
            raise NetworkStateError("a pickled network's state lacks '%s'" % key)
        if not isinstance(state[key], kind) or isinstance(state[key], bool):
            raise NetworkStateError("a pickled network's '%s' is a %s, not a %s" % (key, type(state[key]).__name__, kind.__name__))
    name = state["name"]
    for key, value in state["static_kwargs"].items():
        if not _plain_setting(value):
            raise NetworkStateError("network '%s' has a setting %s=%s that is not a finite number or plain value" % (name, key, _short_repr(value)))
    if not all(isinstance(comp, Network) for comp in state.get("components", {}).values()):
        raise NetworkStateError("the components of network '%s' are not networks" % name)
    values = OrderedDict()
    for item in state["variables"]:
        if not (isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str)):
            raise NetworkStateError("network '%s' stores a variable that is not a (name, value) pair" % name)
        var_name, value = item[0], np.asarray(item[1]) if np.isscalar(item[1]) else item[1]
        if not isinstance(value, np.ndarray) or not np.issubdtype(value.dtype, np.floating):
            kind = value.dtype if isinstance(value, np.ndarray) else type(value).__name__
            raise NetworkStateError("variable '%s' of network '%s' is %s, not a real floating-point array" % (var_name, name, kind))
        if var_name in values:
            raise NetworkStateError("network '%s' stores variable '%s' twice" % (name, var_name))
        if not np.all(np.isfinite(value)):
            raise NetworkStateError("variable '%s' of network '%s' holds NaN or infinite values" % (var_name, name))
        if value.dtype.itemsize > 4 and value.size and np.max(np.abs(value)) > np.finfo(np.float32).max:
            raise NetworkStateError("variable '%s' of network '%s' holds values beyond float32's range" % (var_name, name))
        values[var_name] = value
    return values


def _plain_setting(value) -> bool:
    """Settings become graph constants and sizes: None, bools, strings, finite numbers within int32's range (floats
    below 1e30), small numeric arrays of those, and lists, tuples and dicts of all these. Nothing else."""
    if value is None or isinstance(value, (bool, np.bool_, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain_setting(item) for item in value)
    if isinstance(value, dict):
        return all(_plain_setting(item) for item in value.values())
    if isinstance(value, (int, np.integer)):
        return abs(int(value)) < 2 ** 31
    if isinstance(value, (float, np.floating)):
        return bool(np.isfinite(value)) and abs(value) < 1e30
    if isinstance(value, np.ndarray):
        return value.size <= 4096 and value.dtype.kind in "biuf" and _plain_setting(value.tolist())
    return False


def _short_repr(value) -> str:
    try:
        return reprlib.repr(value)
    except ValueError:  # e.g. an int too long to print
        return "<%s>" % type(value).__name__


def _settings_text(static_kwargs) -> str:
    text = ", ".join("%s=%s" % (key, _short_repr(value)) for key, value in sorted(static_kwargs.items()))
    return "(%s)" % (text if len(text) <= 200 else text[:197] + "...")


@contextlib.contextmanager
def _only_variables_from(values, net):
    """While a pickled network is rebuilt, create only the variables the pickle holds, with the shapes it holds.

    So a pickle cannot make the loader build or allocate more than the file
    contains (a huge declared resolution stops at its first missing variable).
    """
    def create(next_creator, **kwargs):
        full_name = kwargs.get("name") or ""
        local_name = full_name[len(net.scope) + 1:] if net.scope and full_name.startswith(net.scope + "/") else None
        if local_name is None:
            raise NetworkStateError("network '%s' (%s) would build a component the pickle does not hold (variable '%s')"
                                    % (net.name, net._build_func_name, full_name))
        if local_name not in values:
            raise NetworkStateError("network '%s' (%s) needs variable '%s', which the pickle does not hold" % (net.name, net._build_func_name, local_name))
        var = next_creator(**kwargs)
        stored = tuple(values[local_name].shape)
        if tuple(tfutil.shape_to_list(var.shape)) != stored:
            raise NetworkStateError("variable '%s' of network '%s' has shape %s in the pickle; the architecture needs %s"
                                    % (local_name, net.name, list(stored), tfutil.shape_to_list(var.shape)))
        return var
    with tf.variable_creator_scope(create):
        yield


def _source_defines(source: str, func_name: str) -> bool:
    """Whether the embedded source has a top-level `def func_name`, found by parsing, never by running it."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return func_name in [node.name for node in body if isinstance(node, ast.FunctionDef)]


def _known_architecture(func_name: str):
    if func_name not in _known_architectures:
        module_name = architectures.module_for(func_name)
        if module_name is not None:
            importlib.import_module(module_name)
    return _known_architectures.get(func_name)


def _canonical(obj: Any) -> Any:
    """A repr-stable form of run() arguments: dicts as sorted pairs, callables by qualified name."""
    if isinstance(obj, dict):
        return [(key, _canonical(obj[key])) for key in sorted(obj)]
    return util.get_top_level_function_name(obj) if callable(obj) else obj


def _as_list(expr) -> list:
    """A build function's result (one expression or a tuple) as a list."""
    return [expr] if tfutil.is_tf_expression(expr) else list(expr)


def _apply_transform(transform: dict, exprs: list) -> list:
    """Call transform['func'](*exprs, **other keys) and return a list."""
    kwargs = {key: value for key, value in transform.items() if key != "func"}
    return _as_list(transform["func"](*exprs, **kwargs))


class Network:
    """A network defined by a build function: a template graph built once, with variables, cloning and pickling.

    Network(name, func_name, **static_kwargs) builds the template graph.
    get_output_for() instantiates it on new inputs sharing the variables,
    run() evaluates it on NumPy arrays, and pickling saves the variables.

    The build function takes the inputs (positional arguments without a
    default) and keyword arguments: the static_kwargs, plus dynamic ones per
    get_output_for() call, plus is_template_graph and components. It creates
    variables with tf.get_variable and returns one output or a tuple.

    Attributes:
        name            user-given name, or the build function's name
        scope           unique TF scope of the network's variables
        static_kwargs   EasyDict of the build function's fixed keyword arguments
        components      EasyDict of sub-networks (e.g. mapping, synthesis)
        num_inputs, num_outputs
        input_shapes, output_shapes     shapes as lists, None for unknown dimensions
        input_shape, output_shape       the first of each
        input_templates, output_templates   the template graph's placeholders and outputs
        input_names, output_names
        own_vars        OrderedDict local name -> variable, this network only
        vars            own_vars plus every component's, prefixed by its name
        trainables      the trainable ones of vars
        var_global_to_local     global variable name -> local name
    """

    def __init__(self, name=None, func_name=None, **static_kwargs):
        tfutil.assert_tf_initialized()
        if name is not None and not isinstance(name, str):
            raise TypeError("Network name must be a string, not %r" % (name,))
        if func_name is None:
            raise ValueError("Network needs func_name: the build function or its qualified name")
        if not util.is_pickleable(static_kwargs):
            raise ValueError("The static keyword arguments of a Network must be picklable")
        if not isinstance(func_name, str):
            if not util.is_top_level_function(func_name):
                raise TypeError("func_name must be a top-level function or its qualified name")
            func_name = "%s.%s" % (func_name.__module__, func_name.__name__)

        self._reset_fields()
        self.name = name
        self.static_kwargs = util.EasyDict(**static_kwargs)
        module, local_name = util.get_module_from_obj_name(func_name)
        self._set_build_func(util.get_obj_from_module(module, local_name), local_name, _import_module_src.get(module) or inspect.getsource(module))
        self._init_graph()
        self.reset_own_vars()

    def _reset_fields(self) -> None:
        """Every attribute, in its state before the template graph is built."""
        self.name = self.scope = None
        self.static_kwargs, self.components = util.EasyDict(), util.EasyDict()
        self.num_inputs = self.num_outputs = 0
        self.input_shapes, self.output_shapes = [[]], [[]]
        self.input_shape, self.output_shape = [], []
        self.input_templates, self.output_templates = [], []
        self.input_names, self.output_names = [], []
        self.own_vars, self.vars, self.trainables, self.var_global_to_local = OrderedDict(), OrderedDict(), OrderedDict(), OrderedDict()
        self._build_func = self._build_func_name = self._build_module_src = None
        self._run_cache = dict()

    def _set_build_func(self, func, local_name: str, module_src: str) -> None:
        if not callable(func):
            raise TypeError("Build function '%s' is not callable" % local_name)
        self._build_func, self._build_func_name, self._build_module_src = func, local_name, module_src

    def _init_graph(self) -> None:
        """Build the template graph in a fresh root scope and collect its inputs, outputs and variables."""
        signature = inspect.signature(self._build_func).parameters.values()
        self.input_names = [p.name for p in signature if p.kind == p.POSITIONAL_OR_KEYWORD and p.default is p.empty]
        assert self.input_names, "a build function takes at least one input"
        self.name = self.name or self._build_func_name
        if not re.fullmatch(r"[A-Za-z0-9_.\-]*", self.name):
            raise ValueError("Network name %r may only contain letters, digits, '_', '.' and '-'" % self.name)
        graph = tf.get_default_graph()
        with tf.name_scope(None):
            self.scope = graph.unique_name(self.name)  # marks the name used: the next network of this name gets _1

        kwargs = dict(self.static_kwargs, is_template_graph=True, components=self.components)
        variable_scope = tfutil.absolute_variable_scope(self.scope, reuse=tf.AUTO_REUSE)
        with variable_scope, tfutil.absolute_name_scope(self.scope), tf.control_dependencies(None):
            self.input_templates = [tf.placeholder(tf.float32, name=input_name) for input_name in self.input_names]
            result = self._build_func(*self.input_templates, **kwargs)
        if not (tfutil.is_tf_expression(result) or isinstance(result, tuple)):
            raise TypeError("A build function returns a TF expression or a tuple of them, not %s" % type(result).__name__)
        self.output_templates = _as_list(result)
        self._check_template()
        self._collect_shapes_and_names()
        self._collect_vars()

    def _check_template(self) -> None:
        if not self.output_templates or not all(tfutil.is_tf_expression(t) for t in self.output_templates):
            raise TypeError("Network outputs must be TF expressions")
        for kind, templates in (("input", self.input_templates), ("output", self.output_templates)):
            if any(t.shape.ndims is None for t in templates):
                raise ValueError("Network %s shapes not defined: the build function must call set_shape()" % kind)
        if not all(isinstance(comp, Network) for comp in self.components.values()):
            raise ValueError("Network components must be Networks")
        names = [comp.name for comp in self.components.values()]
        if len(set(names)) != len(names):
            raise ValueError("Network components need distinct names: %s" % names)

    def _collect_shapes_and_names(self) -> None:
        self.num_inputs, self.num_outputs = len(self.input_templates), len(self.output_templates)
        self.input_shapes, self.output_shapes = [[tfutil.shape_to_list(t.shape) for t in group] for group in (self.input_templates, self.output_templates)]
        self.input_shape, self.output_shape = self.input_shapes[0], self.output_shapes[0]
        self.output_names = [re.sub(r":\d+$", "", t.name).rsplit("/", 1)[-1] for t in self.output_templates]

    def _collect_vars(self) -> None:
        """own_vars from our root scope; vars adds each component's, prefixed by the component's name."""
        prefix = self.scope + "/"
        self.own_vars = OrderedDict()
        for var in tf.global_variables():
            if var.name.startswith(prefix):
                self.own_vars[re.sub(r":0$", "", var.name[len(prefix):])] = var
        self.vars = OrderedDict(self.own_vars)
        for comp in self.components.values():
            for local_name, var in comp.vars.items():
                self.vars["%s/%s" % (comp.name, local_name)] = var
        self.trainables = OrderedDict(item for item in self.vars.items() if item[1].trainable)
        self.var_global_to_local = OrderedDict((re.sub(r":0$", "", var.name), local_name) for local_name, var in self.vars.items())

    def _initialize(self, variables) -> None:
        tfutil.run([var.initializer for var in variables])

    def reset_own_vars(self) -> None:
        self._initialize(self.own_vars.values())

    def reset_vars(self) -> None:
        self._initialize(self.vars.values())

    def reset_trainables(self) -> None:
        self._initialize(self.trainables.values())

    def get_output_for(self, *in_expr, return_as_list: bool = False, **dynamic_kwargs) -> Union[Any, List[Any]]:
        """Instantiate the network on the given input expressions, sharing this network's variables."""
        if len(in_expr) != self.num_inputs:
            raise ValueError("%s takes %d inputs, got %d" % (self.name, self.num_inputs, len(in_expr)))
        given = [expr for expr in in_expr if expr is not None]
        if not given:
            raise ValueError("At least one input of %s must be given" % self.name)
        kwargs = dict(self.static_kwargs)
        kwargs.update(dynamic_kwargs)
        kwargs.update(is_template_graph=False, components=self.components)

        shared_variables = tfutil.absolute_variable_scope(self.scope, reuse=True)
        with shared_variables, tf.name_scope(self.name):
            inputs = []
            for expr, input_name, shape in zip(in_expr, self.input_names, self.input_shapes):
                if expr is None:  # zeros with the batch size of the first given input
                    inputs.append(tf.zeros([tf.shape(given[0])[0]] + shape[1:], name=input_name))
                else:
                    inputs.append(tf.identity(expr, name=input_name))
            result = self._build_func(*inputs, **kwargs)

        for expr, final in zip(in_expr, inputs):
            if isinstance(expr, tf.Tensor):
                expr.set_shape(final.shape)
        if not (tfutil.is_tf_expression(result) or isinstance(result, tuple)):
            raise TypeError("A build function returns a TF expression or a tuple of them")
        return _as_list(result) if return_as_list else result

    def get_var_local_name(self, var_or_global_name: Union[tf.Variable, str]) -> str:
        key = var_or_global_name if isinstance(var_or_global_name, str) else var_or_global_name.name
        return self.var_global_to_local[key]

    def find_var(self, var_or_local_name: Union[tf.Variable, str]) -> tf.Variable:
        if isinstance(var_or_local_name, str):
            return self.vars[var_or_local_name]
        assert tfutil.is_tf_expression(var_or_local_name)
        return var_or_local_name

    def get_var(self, var_or_local_name: Union[tf.Variable, str]) -> np.ndarray:
        var = self.find_var(var_or_local_name)
        return var.eval()

    def set_var(self, var_or_local_name: Union[tf.Variable, str], new_value: Union[int, float, np.ndarray]) -> None:
        var = self.find_var(var_or_local_name)
        tfutil.set_vars({var: new_value})

    # ------------------------------------------------------------------------
    # Pickling.

    def __getstate__(self) -> dict:
        """The original's version-3 state: kwargs, components, module source and own variable values."""
        values = tfutil.run(list(self.own_vars.values()))
        return {
            "version": 3,
            "name": self.name,
            "static_kwargs": dict(self.static_kwargs),
            "components": dict(self.components),
            "build_module_src": self._build_module_src,
            "build_func_name": self._build_func_name,
            "variables": list(zip(self.own_vars.keys(), values)),
        }

    def __setstate__(self, state):
        tfutil.assert_tf_initialized()
        self._reset_fields()
        for handler in _import_handlers:
            state = handler(state)
        values = _checked_state(state)
        self.name = state["name"]
        self.static_kwargs = util.EasyDict(**state["static_kwargs"])
        self.components = util.EasyDict(**state.get("components", {}))  # version 2 has no components
        func_name, module_src = state["build_func_name"], state["build_module_src"]
        self._set_build_func(*self._resolve_build_func(func_name, module_src))
        try:
            with _only_variables_from(values, self):
                self._init_graph()
        except (NetworkStateError, UnsafePickleError):
            raise
        except (ValueError, TypeError, AssertionError, KeyError, IndexError, ArithmeticError) as err:
            raise NetworkStateError("network '%s' (%s) cannot be built with its stored settings %s: %s"
                                    % (self.name, func_name, _settings_text(self.static_kwargs), str(err) or type(err).__name__)) from err
        unused = [name for name in values if name not in self.own_vars]
        if unused:
            raise NetworkStateError("network '%s' (%s) holds variable '%s', which its architecture does not have" % (self.name, func_name, unused[0]))
        tfutil.set_vars({self.own_vars[name]: value for name, value in values.items()})  # every variable: no initialiser runs

    def _resolve_build_func(self, func_name: str, module_src: str):
        """(function, name, source): ours for known architectures; otherwise the embedded source, executed as TF1 code."""
        ours = _known_architecture(func_name)
        if ours is not None and _source_defines(module_src, func_name):
            return ours, func_name, inspect.getsource(sys.modules[ours.__module__])
        if getattr(_loading, "safe", False):
            raise UnsafePickleError(
                "Network '%s' uses build function '%s', which is not a known architecture; the safe loader never runs "
                "code embedded in a pickle. Load it with safe=False only if you trust the file." % (self.name, func_name))
        from . import tf1_compat
        module = types.ModuleType("_tflib_network_import_" + uuid.uuid4().hex)
        sys.modules[module.__name__] = module
        _import_module_src[module] = module_src
        tf1_compat.exec_tf1_source(module_src, module.__dict__)
        return util.get_obj_from_module(module, func_name), func_name, module_src

    # ------------------------------------------------------------------------
    # Copies.

    def clone(self, name=None, **new_static_kwargs):
        """A new network with the same build function and a copy of all variables; fresh components."""
        twin = object.__new__(Network)
        twin._reset_fields()
        twin.name = self.name if name is None else name
        twin.static_kwargs = util.EasyDict(self.static_kwargs, **new_static_kwargs)
        twin._set_build_func(self._build_func, self._build_func_name, self._build_module_src)
        twin._init_graph()
        twin.copy_vars_from(self)
        return twin

    def _copy_matching(self, source: dict, target: dict) -> None:
        """Copy values for the local names present in both dicts, in one read and one write."""
        shared = [key for key in target if key in source]
        values = tfutil.run([source[key] for key in shared])
        tfutil.set_vars(dict(zip([target[key] for key in shared], values)))

    def copy_own_vars_from(self, src_net):
        self._copy_matching(src_net.own_vars, self.own_vars)

    def copy_vars_from(self, src_net):
        self._copy_matching(src_net.vars, self.vars)

    def copy_trainables_from(self, src_net):
        self._copy_matching(src_net.trainables, self.trainables)

    def convert(self, new_func_name: str, new_name: str = None, **new_static_kwargs):
        """A network of another build function (or module) with the variables that match by name."""
        kwargs = dict(self.static_kwargs, **new_static_kwargs)
        converted = Network(name=new_name or self.name, func_name=new_func_name, **kwargs)
        converted.copy_vars_from(self)
        return converted

    def setup_as_moving_average_of(self, src_net, beta=0.99, beta_nontrainable=0.0):
        """An op moving this network's variables towards src_net's: var <- src + (var - src) * beta."""
        updates = []
        with tfutil.absolute_name_scope("%s/_MovingAvg" % self.scope):
            for local_name, var in self.vars.items():
                if local_name not in src_net.vars:
                    continue
                decay = beta if local_name in self.trainables else beta_nontrainable
                updates.append(var.assign(tfutil.lerp(src_net.vars[local_name], var, decay)))
            return tf.group(*updates)

    # ------------------------------------------------------------------------
    # Evaluation on NumPy arrays.

    def run(self, *in_arrays: Tuple[Union[np.ndarray, None], ...], input_transform: dict = None, output_transform: dict = None,
            return_as_list: bool = False, print_progress: bool = False, minibatch_size: int = None, num_gpus: int = 1,
            assume_frozen: bool = False, **dynamic_kwargs) -> Union[np.ndarray, Tuple[np.ndarray, ...], List[np.ndarray]]:
        """Evaluate the network on NumPy arrays in minibatches, optionally split over num_gpus towers."""
        if len(in_arrays) != self.num_inputs or all(arr is None for arr in in_arrays):
            raise ValueError("%s.run() takes %d input arrays, not all None" % (self.name, self.num_inputs))
        for transform in (input_transform, output_transform):
            assert transform is None or util.is_top_level_function(transform["func"]), "transform funcs must be top-level functions"
        output_transform, dynamic_kwargs = _handle_legacy_output_transforms(output_transform, dict(dynamic_kwargs))
        total = in_arrays[0].shape[0]
        step = total if minibatch_size is None else minibatch_size

        placeholders, outputs = self._get_run_graph(input_transform, output_transform, num_gpus, assume_frozen, dynamic_kwargs)
        results = [np.empty([total] + tfutil.shape_to_list(out.shape)[1:], out.dtype.name) for out in outputs]
        session = tf.get_default_session()
        for begin in range(0, total, step):
            if print_progress:
                print("\r%d / %d" % (begin, total), end="")
            end = min(begin + step, total)
            feed = {}
            for placeholder, array, shape in zip(placeholders, in_arrays, self.input_shapes):
                feed[placeholder] = array[begin:end] if array is not None else np.zeros([end - begin] + shape[1:])
            for result, value in zip(results, session.run(outputs, feed)):
                result[begin:end] = value
        if print_progress:
            print("\r%d / %d" % (total, total))

        if return_as_list:
            return results
        return results[0] if len(results) == 1 else tuple(results)

    def _get_run_graph(self, input_transform, output_transform, num_gpus, assume_frozen, dynamic_kwargs):
        """Placeholders and outputs for one run() configuration, built once and cached."""
        key = repr(_canonical(dict(input_transform=input_transform, output_transform=output_transform, num_gpus=num_gpus,
                                   assume_frozen=assume_frozen, dynamic_kwargs=dynamic_kwargs)))
        if key not in self._run_cache:
            self._run_cache[key] = self._build_run_graph(input_transform, output_transform, num_gpus, assume_frozen, dynamic_kwargs)
        return self._run_cache[key]

    def _build_run_graph(self, input_transform, output_transform, num_gpus, assume_frozen, dynamic_kwargs):
        with tfutil.absolute_name_scope("%s/_Run" % self.scope), tf.control_dependencies(None):
            with tf.device("/cpu:0"):
                placeholders = [tf.placeholder(tf.float32, name=input_name) for input_name in self.input_names]
                per_tower_inputs = list(zip(*[tf.split(p, num_gpus) for p in placeholders]))
            per_tower_outputs = []
            for tower, tower_inputs in enumerate(per_tower_inputs):
                with tf.device("/gpu:%d" % tower):
                    net = self.clone() if assume_frozen else self
                    tower_inputs = list(tower_inputs)
                    if input_transform is not None:
                        tower_inputs = _apply_transform(input_transform, tower_inputs)
                    assert len(tower_inputs) == self.num_inputs
                    tower_outputs = net.get_output_for(*tower_inputs, return_as_list=True, **dynamic_kwargs)
                    if output_transform is not None:
                        tower_outputs = _apply_transform(output_transform, tower_outputs)
                    assert len(tower_outputs) == self.num_outputs
                    per_tower_outputs.append(tower_outputs)
            with tf.device("/cpu:0"):
                outputs = [tf.concat(list(parts), axis=0) for parts in zip(*per_tower_outputs)]
        return placeholders, outputs

    # ------------------------------------------------------------------------
    # Introspection.

    def list_ops(self):
        """The ops of this network's scope, without the hidden helper scopes (_Run, _MovingAvg)."""
        prefix = self.scope + "/"
        return [op for op in tf.get_default_graph().get_operations() if op.name.startswith(prefix) and not op.name.startswith(prefix + "_")]

    def list_layers(self):
        """(layer name, output expression, trainable variables) per layer, found by walking the graph's name scopes."""
        layers = []
        base = self.scope + "/"

        def visit(scope, ops, variables, depth):
            if any(part in scope for part in _SKIPPED_SCOPE_PARTS) or scope.rsplit("/", 1)[-1] in _layer_display["hidden_scopes"]:
                return
            inner = scope + "/"
            local = inner[len(base):]
            ops = [op for op in ops if op.name == scope or op.name.startswith(inner)]
            variables = [(n, v) for n, v in variables if n.startswith(local) or n == local[:-1]]
            if not ops and not variables:
                return
            var_prefixes = tuple(op.name + "/" for op in ops if op.type.startswith("Variable"))
            if var_prefixes:
                ops = [op for op in ops if not op.name.startswith(var_prefixes)]

            has_direct_op = any(op.type != "Identity" and "/" not in op.name[len(inner):] for op in ops)
            if len(ops) + len(variables) > 1 and (depth == 0 or not has_direct_op):
                children = OrderedDict()
                for rest in [op.name[len(inner):] for op in ops] + [n[len(local):] for n, _ in variables]:
                    children.setdefault(rest.split("/", 1)[0], None)
                for child in children:
                    visit(inner + child, ops, variables, depth + 1)
                return
            output = ops[-1].outputs[0] if ops else variables[-1][1]
            layers.append((scope[len(base):], output, [v for _, v in variables if v.trainable]))

        visit(self.scope, self.list_ops(), list(self.vars.items()), 0)
        return layers

    def print_layers(self, title=None, hide_layers_with_no_params=False):
        """A table of layers with parameter counts and output/weight shapes; the total counts trainables only."""
        table = [[self.name if title is None else title, "Params", "OutputShape", "WeightShape"], ["---"] * 4]
        total = 0
        for layer_name, output, trainables in self.list_layers():
            count = sum(int(np.prod(tfutil.shape_to_list(v.shape))) for v in trainables)
            total += count
            if hide_layers_with_no_params and count == 0:
                continue
            weights = sorted((v for v in trainables if v.name.endswith("/weight:0")), key=lambda v: len(v.name))
            if not weights and len(trainables) == 1:
                weights = trainables
            table.append([layer_name, str(count) if count else "-", str(_public_shape(output)), str(weights[0].shape) if weights else "-"])
        table += [["---"] * 4, ["Total", str(total), "", ""]]

        widths = [max(map(len, column)) for column in zip(*table)]
        print()
        for row in table:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))
        print()

    def setup_weight_histograms(self, title=None):
        """TensorBoard histograms of every trainable variable, named <title>_<var>/<scope path>."""
        title = self.name if title is None else title
        with tf.control_dependencies(None), tf.device(None), tf.name_scope(None):
            for var_name, var in self.trainables.items():
                *path, leaf = var_name.split("/")
                tag = "%s_%s/%s" % (title, leaf, "_".join(path)) if path else "%s_toplevel/%s" % (title, leaf)
                tf.summary.histogram(tag, var)


def _public_shape(tensor: TfExpression) -> tf.TensorShape:
    public_shape = _layer_display["public_shape"]
    return tensor.shape if public_shape is None else public_shape(tensor)


# ----------------------------------------------------------------------------
# The legacy output keyword arguments of run(): out_mul, out_add, out_shrink, out_dtype.

_LEGACY_OUTPUT_KWARGS = ("out_mul", "out_add", "out_shrink", "out_dtype")
_legacy_warning_pending = True


def _handle_legacy_output_transforms(output_transform, kwargs):
    """Move legacy output kwargs into an output_transform that applies them (with a one-time notice)."""
    global _legacy_warning_pending
    legacy = {key: value for key, value in kwargs.items() if key in _LEGACY_OUTPUT_KWARGS}
    if not legacy:
        return output_transform, kwargs
    if _legacy_warning_pending:
        _legacy_warning_pending = False
        print("\nNetwork.run(): out_mul/out_add/out_shrink/out_dtype are deprecated; "
              "pass output_transform=dict(func=tflib.convert_images_to_uint8) instead.\n")
    assert output_transform is None, "legacy output kwargs cannot be combined with output_transform"
    remaining = {key: value for key, value in kwargs.items() if key not in legacy}
    return dict(legacy, func=_legacy_output_transform_func), remaining


def _legacy_output_transform_func(*outputs, out_mul=1.0, out_add=0.0, out_shrink=1, out_dtype=None):
    def transform(x):
        if out_mul != 1.0:
            x = x * out_mul
        if out_add != 0.0:
            x = x + out_add
        if out_shrink > 1:
            window = [1, out_shrink, out_shrink, 1]
            x = tf.transpose(tf.nn.avg_pool(tf.transpose(x, [0, 2, 3, 1]), ksize=window, strides=window, padding="VALID"), [0, 3, 1, 2])
        if out_dtype is not None:
            if tf.as_dtype(out_dtype).is_integer:
                x = tf.round(x)
            x = tf.saturate_cast(x, out_dtype)
        return x
    return [transform(x) for x in outputs]
