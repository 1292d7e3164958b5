"""Run submission: numbered result directories, log tee, config snapshots."""

from . import run_context
from . import submit
