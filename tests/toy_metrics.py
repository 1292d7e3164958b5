"""A metric that fails, to prove that training outlives a broken metric."""

from metrics import metric_base


class FailingMetric(metric_base.MetricBase):
    def _evaluate(self, Gs, num_gpus):
        raise RuntimeError("the feature network exploded")


class MetricWithABug(metric_base.MetricBase):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        len(5)  # a TypeError of the metric's own, not of its caller's arguments
