"""Reading benchmark: field exact-match and speed per OCR engine on generated and committed samples.

`make bench` (or `python -m bench`) writes `bench/REPORT.md`; see `bench.reading` for how fields are
counted and `bench.whole` for the whole-image Tesseract reference.
"""
