"""F1: the harmonic mean of precision and recall.

A local evaluate module written by quicktour-notebooks for offline use; it computes the same
quantity as the Hub's evaluate-metric/f1 (binary by default; average="macro", "micro" or
"weighted" for several classes).
"""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = "F1 = 2 * (precision * recall) / (precision + recall)."
_KWARGS = """
Args:
    predictions (list of int): predicted labels.
    references (list of int): true labels.
    pos_label (int): the positive class when average="binary". Defaults to 1.
    average (str): "binary" (default), "macro", "micro" or "weighted".
Returns:
    f1 (float).
Example:
    >>> metric = evaluate.load("path/to/f1")
    >>> metric.compute(predictions=[0, 1, 1], references=[0, 1, 0])
    {'f1': 0.6666666666666666}
"""


def _f1(predictions, references, label):
    tp = np.sum((predictions == label) & (references == label))
    fp = np.sum((predictions == label) & (references != label))
    fn = np.sum((predictions != label) & (references == label))
    return 0.0 if tp == 0 else float(2 * tp / (2 * tp + fp + fn))


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class F1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS,
            features=datasets.Features(
                {"predictions": datasets.Value("int32"), "references": datasets.Value("int32")}
            ),
        )

    def _compute(self, predictions, references, pos_label=1, average="binary"):
        predictions = np.asarray(predictions)
        references = np.asarray(references)
        if average == "binary":
            return {"f1": _f1(predictions, references, pos_label)}
        labels = np.unique(np.concatenate([predictions, references]))
        if average == "micro":
            return {"f1": float(np.mean(predictions == references))}
        scores = np.array([_f1(predictions, references, label) for label in labels])
        if average == "macro":
            return {"f1": float(scores.mean())}
        if average == "weighted":
            support = np.array([np.sum(references == label) for label in labels])
            return {"f1": float(np.sum(scores * support) / np.sum(support))}
        raise ValueError(f"average must be 'binary', 'macro', 'micro' or 'weighted', not {average!r}")
