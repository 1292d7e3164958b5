"""dnnlib: run submission, EasyDict and the TensorFlow network library (dnnlib.tflib).

Importing dnnlib does not import TensorFlow; `import dnnlib.tflib` does.
"""

import os
import platform

from . import tf_startup

if not tf_startup.verbose():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # set before TensorFlow loads: hides its C++ info chatter
# oneDNN's CPU kernels on every x86 CPU, not only where TensorFlow turns them on by itself (AVX-512 VNNI/BF16,
# AMX): with AVX2 alone, TensorFlow's own kernels generate and train up to 2.7x slower (README, "Benchmarks").
# Read once, when TensorFlow loads; TF_ENABLE_ONEDNN_OPTS=0 keeps TensorFlow's own kernels.
if platform.machine().lower() in ("x86_64", "amd64"):
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
tf_startup.install()  # ... and its start-up lines, which come before that setting is read

from . import submission  # noqa: E402
from .submission.run_context import RunContext  # noqa: E402
from .submission.submit import SubmitTarget  # noqa: E402
from .submission.submit import PathType  # noqa: E402
from .submission.submit import SubmitConfig  # noqa: E402
from .submission.submit import get_path_from_template  # noqa: E402
from .submission.submit import submit_run  # noqa: E402
from .util import EasyDict  # noqa: E402

submit_config: SubmitConfig = None  # The config of the run in progress, set only while run_wrapper runs it.
