"""Making runs fast and measuring them: the training recipes (``profiles``), how a batch splits over processes
(``batches``), bfloat16 on the hardware at hand (``bfloat16``) and comparing timings (``timing``).

Used by ``scripts/train_sentiment.py``, the deep-dive notebooks in ``notebooks/extras/``, the offline kit's
builder and ``make bench``. The core lessons need none of it: they use ``helpers``, which never imports this
package.
"""
