"""Synthetic certificate images with ground truth, for testing and benchmarking certguard.

Cards are rendered from the kind files in `verification/kinds` (any kind file, including new ones),
captured as scans, phone photos or low-resolution copies, and forged one finding code at a time.
Entry points: `samples.generate.generate_set` and `python -m samples.generate`; see README.md.
"""
