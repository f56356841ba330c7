"""Speech recognition plumbing for the offline kit and notebook 01's speech half.

- ``ct2_whisper``: reads CTranslate2's ``model.bin`` and rebuilds a Transformers Whisper model;
- ``speech``: synthesizes a small MINDS-14-style speech set with espeak-ng;
- ``audio``: reads and resamples audio without torchcodec.
"""
