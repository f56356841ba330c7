"""Word error rate: (substitutions + deletions + insertions) / words in the references.

A local evaluate module written by quicktour-notebooks for offline use; it computes the same
corpus-level quantity as the Hub's evaluate-metric/wer (errors summed over all pairs, divided by
the total number of reference words), with a word-level edit distance instead of jiwer.
Texts are split on white space and compared as they are: normalize them first.
"""

import datasets
import evaluate

_DESCRIPTION = "WER = (S + D + I) / N over all prediction/reference pairs, N = number of reference words."
_KWARGS = """
Args:
    predictions (list of str): transcriptions to score.
    references (list of str): the correct transcriptions.
    concatenate_texts (bool): ignored; kept for compatibility with evaluate-metric/wer.
Returns:
    wer (float): 0 is perfect; it can exceed 1 when there are many insertions.
Example:
    >>> metric = evaluate.load("path/to/wer")
    >>> metric.compute(predictions=["hello word"], references=["hello world"])
    0.5
"""


def word_edits(prediction, reference):
    """Minimum number of word substitutions, deletions and insertions turning reference into prediction."""
    hyp, ref = prediction.split(), reference.split()
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, hyp_word in enumerate(hyp, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
        previous = current
    return previous[-1]


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS)
class WER(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS,
            features=datasets.Features(
                {"predictions": datasets.Value("string", id="sequence"), "references": datasets.Value("string", id="sequence")}
            ),
        )

    def _compute(self, predictions=None, references=None, concatenate_texts=False):
        words = sum(len(reference.split()) for reference in references)
        if words == 0:
            raise ValueError("the references hold no words: WER is undefined")
        errors = sum(word_edits(p, r) for p, r in zip(predictions, references))
        return errors / words
