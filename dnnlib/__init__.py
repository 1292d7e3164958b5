"""dnnlib: run submission, EasyDict and the TensorFlow network library (dnnlib.tflib).

Importing dnnlib does not import TensorFlow; `import dnnlib.tflib` does.
"""

from . import submission
from .submission.run_context import RunContext
from .submission.submit import SubmitTarget
from .submission.submit import PathType
from .submission.submit import SubmitConfig
from .submission.submit import get_path_from_template
from .submission.submit import submit_run
from .util import EasyDict

submit_config: SubmitConfig = None  # The config of the run in progress, set only while run_wrapper runs it.
