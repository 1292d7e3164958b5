"""dnnlib.tflib: TF1-style network library running on TensorFlow 2 (graph mode via tf.compat.v1)."""

from . import autosummary
from . import network
from . import optimizer
from . import tfutil
from . import loader

from .tfutil import *  # noqa: F401,F403 (the original exports every tfutil name here)

from .network import Network
from .optimizer import Optimizer
from .loader import load_network_pkl
