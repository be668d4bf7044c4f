"""Reading certificate photos: image bytes in; text lines, kind and fields, QR payloads out.

Each stage is its own module with typed inputs and outputs (`ocr.types`), testable on its own:

* `ocr.load.load_image(bytes) -> LoadedImage` — sniff, cap, decode, EXIF-rotate, RGB.
* `ocr.engines.get_engine().read(image) -> list[TextLine]` — OCR, boxes in image pixels: PP-OCRv4
  through RapidOCR by default, which finds, rectifies and turns the card first (`ocr.geometry`),
  Tesseract (`ocr.preprocess` prepares images for it) as the other engine; `CERTGUARD_OCR_ENGINE`
  chooses.
* `ocr.fields.read_fields(lines, specs) -> ReadFields` — kind by title, fields by label anchors;
  `ocr.normalise` turns printed values into canonical ones, `ocr.places` re-reads authorities.
* `ocr.second_look.read_card(engine, image, specs) -> (lines, ReadFields)` — the two above, and the
  strip beside each label read without a value detected and read again on its own
  (`OcrEngine.read_strips`): a lone character or faint print under a seal the first reading missed.
* `ocr.qr.decode_qr(image) -> QrReading` — QR payloads exactly as decoded.

Kinds are passed in as `DocumentSpec`s; nothing here imports the verification or service packages.
"""
