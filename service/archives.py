"""Archive uploads (ZIP, multi-page PDF, multi-page TIFF) expanded into single images.

Archive clerks send ZIPs of scans, multi-page PDFs and TIFFs, not one photo at a time. Each upload
becomes a list of *items*, one per image, named by an origin such as `batch.zip!/2024/p1.pdf#page=3`.
`expand` plans the origins first (every check that needs no rendering), so a job knows its size
before any OCR, and then produces the items lazily from the same extraction, one page in memory at
a time, skipping origins a resumed job has finished.

Containers are hostile input (security checklist C3, C4):

* ZIP: nothing is ever written under a member's name. The listing is checked first: a path that
  could escape (absolute, drive letter, backslash, `..`), a symlink, an encrypted member, a repeated
  name or too many members refuses the whole archive. Members are then streamed into numbered files
  under `work_dir`, counting the bytes actually inflated against per-member, total and ratio caps.
  An archive inside the archive is refused; a PDF or TIFF inside is expanded.
* PDF: page count and each page's size at the rendering DPI are checked before anything is drawn.
  Pages are rendered in a child Python process with an address-space limit and a per-page
  wall-clock timeout, so a PDF bomb costs a failed page, not the worker.
* TIFF: opened with Pillow's TIFF decoder only; frame count and each frame's size are checked
  before any pixel is decoded.
* Every image that comes out is re-validated by `ocr.load.load_image`, like an upload of its own.

A broken member, page or frame fails alone (an `ArchiveItem` with an error). A hostile or unreadable
container fails whole (`ArchiveRejected`, with a code and the stage that refused it). A page larger
than `max_page_pixels` fails alone without being rendered, so one oversized fold-out does not cost
the rest of its document. Inside a ZIP, a PDF or TIFF that is refused (password,
too many pages, unreadable) is one failed item: the container around it is still sound.
"""

from __future__ import annotations

import io
import lzma
import math
import os
import re
import resource
import selectors
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import warnings
import zipfile
import zlib
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from itertools import groupby
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps, UnidentifiedImageError

from ocr.load import _DECODE_ERRORS, DEFAULT_MAX_BYTES, ImageRejected, load_image, sniff_format, to_rgb

MIB = 2**20
CHUNK_BYTES = MIB  # ZIP members are streamed in pieces of this size
RATIO_GRACE_BYTES = MIB  # small members may compress very well legitimately; the ratio cap starts here
HEAD_BYTES = 16  # enough to tell a ZIP, PDF, TIFF, JPEG, PNG or WEBP apart
EXIT_GRACE_S = 5.0  # how long a renderer that closed its output may take to exit before it is killed

ZIP_ENCRYPTED_FLAG = 0x1
ZIP_UTF8_NAME_FLAG = 0x800
OS_JUNK_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})
# gzip, bzip2, xz, zstd, 7z, RAR: refused inside a ZIP like a ZIP is (tar is recognised at offset 257).
OTHER_ARCHIVE_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"(\xb5/\xfd", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07")
# Office and OpenDocument files are ZIPs too; their first member gives them away. They are documents,
# not archives, so such a member is an unsupported file rather than a reason to refuse the whole ZIP.
OFFICE_FIRST_MEMBERS = (b"[Content_Types].xml", b"mimetype")

IMAGE, PDF_PAGE, TIFF_FRAME, FAILED = "image", "pdf_page", "tiff_frame", "failed"
ARCHIVE_KINDS = frozenset({"zip", "pdf", "tiff"})  # what `sniff_archive` calls the containers of several images

# What Pillow and its codecs raise on malformed data: ocr.load's list, plus struct.error from TIFF tags.
_PILLOW_ERRORS = (*_DECODE_ERRORS, struct.error)
# What zipfile and its decompressors raise on a damaged member.
_INFLATE_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, NotImplementedError, OSError)
# PDFium is not thread-safe, and the preflight runs in the caller's (possibly threaded) process.
_PDFIUM_LOCK = threading.Lock()
_IMPORT_ROOT = Path(__file__).resolve().parents[1]  # where the render child finds the `ocr` package


@dataclass(frozen=True)
class ArchiveLimits:
    """Caps on what one upload may expand into; the defaults are safe on one machine."""

    max_members: int = 2000  # ZIP entries
    max_member_bytes: int = 50 * MIB  # actual bytes inflated per member
    max_total_bytes: int = 1024 * MIB  # actual bytes inflated in all
    max_ratio: float = 100.0  # inflated / compressed, per member
    max_pages: int = 1000  # per PDF or TIFF
    max_items: int = 2000  # per upload
    dpi: int = 200  # PDF rendering
    max_page_pixels: int = 40_000_000  # a PDF page at `dpi`, a TIFF frame
    render_timeout_s: float = 60.0  # per PDF page
    render_memory_bytes: int = 1024 * MIB  # RLIMIT_AS of the rendering child process

    def __post_init__(self) -> None:
        for field in fields(self):
            if not getattr(self, field.name) > 0:
                raise ValueError(f"ArchiveLimits.{field.name} must be positive.")

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> ArchiveLimits:
        """The defaults, overridden by any `CERTGUARD_ARCHIVE_<FIELD>` key, e.g. `CERTGUARD_ARCHIVE_MAX_PAGES`."""
        defaults = cls()
        overrides = {}
        for field in fields(cls):
            value = config.get(f"CERTGUARD_ARCHIVE_{field.name.upper()}")
            if value is not None:
                overrides[field.name] = type(getattr(defaults, field.name))(value)
        return replace(defaults, **overrides)


class ArchiveRejected(ValueError):
    """The whole upload is refused. `code` is stable and meant for programs, `message` for people,
    `stage` says where it was refused, `origin` names the member at fault when there is one.

    Codes by stage:
    open: corrupt, unsupported_type, encrypted (a PDF with a password), page_too_large (a TIFF whose
        first page alone exceeds Pillow's pixel limit);
    list: zip_slip, encrypted (a ZIP member), too_many_members, duplicate_member, empty;
    extract: zip_bomb, nested_archive;
    preflight: too_many_pages, too_many_items, empty (a PDF without pages), corrupt (a TIFF's page list).
    Rendering problems never refuse the upload: they fail their page.
    """

    def __init__(self, code: str, message: str, stage: str, origin: str | None = None) -> None:
        super().__init__(f"{code} ({stage}): {message}")
        self.code = code
        self.message = message
        self.stage = stage
        self.origin = origin


@dataclass(frozen=True)
class ArchiveItem:
    """One image of an upload: its validated bytes, or why it could not be had.

    Item error codes: those of `ocr.load.ImageRejected` (empty, too_large, unsupported_type, corrupt,
    too_many_pixels); corrupt and unsupported_type for a ZIP member; page_too_large for a page or frame;
    render_memory, render_timeout, render_crashed, render_failed for a PDF page; encrypted, too_many_pages,
    empty for a PDF or TIFF inside a ZIP.
    """

    origin: str
    data: bytes | None  # JPEG/PNG/WEBP that passed ocr.load.load_image; None when the item failed
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class _Source:
    """A planned item: which file holds it and how to read it, or why it already failed."""

    origin: str
    kind: str  # IMAGE, PDF_PAGE, TIFF_FRAME or FAILED
    file: Path | None = None
    index: int = 0  # page or frame, from 0
    error_code: str | None = None
    error_message: str | None = None


def sniff_archive(data_head: bytes) -> str | None:
    """What the first bytes announce: "zip", "pdf", "tiff", "image" (JPEG, PNG, WEBP) or None; HEAD_BYTES suffice."""
    if data_head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if data_head.startswith(b"%PDF-"):
        return "pdf"
    if data_head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return "tiff"
    if sniff_format(data_head) is not None:
        return "image"
    return None


def sniff_file(path: Path) -> str | None:
    """`sniff_archive` of a file's first bytes."""
    with path.open("rb") as handle:
        return sniff_archive(handle.read(HEAD_BYTES))


@dataclass(frozen=True)
class Expansion:
    """An upload's plan and its items: every origin in order, and the items not skipped, one at a time."""

    origins: list[str]
    items: Iterator[ArchiveItem]


@contextmanager
def expand(path: Path, name: str, limits: ArchiveLimits, work_dir: Path, *,
           skip: Collection[str] = ()) -> Iterator[Expansion]:
    """Plan the upload — raising ArchiveRejected on entry, before any item — and produce its items.

    `name` is only a label, the first part of every origin, used as given: a client's filename is made
    safe first (`service.pipeline.upload_source`). `work_dir` (which must exist) holds the extracted
    members and rendered pages until the block ends, and is left as it was found.
    """
    with _scratch_dir(work_dir) as scratch:
        sources = _plan_file(path, name, limits, scratch)
        items = _items(sources, set(skip), limits, scratch)
        try:
            yield Expansion([source.origin for source in sources], items)
        finally:
            items.close()  # stops a renderer still waiting for its next page


# Planning ------------------------------------------------------------------------------------------


def _plan_file(path: Path, origin: str, limits: ArchiveLimits, scratch: Path) -> list[_Source]:
    """Sources for one file by its sniffed type; raises ArchiveRejected when the file as a whole is refused."""
    kind = sniff_file(path)
    if kind == "zip":
        sources = _plan_zip(path, origin, limits, scratch)
    elif kind in ("pdf", "tiff"):
        sources = _plan_document(kind, path, origin, limits)
    elif kind == "image":
        sources = [_Source(origin, IMAGE, path)]
    else:
        raise ArchiveRejected("unsupported_type", "Send a ZIP archive, a PDF, a TIFF or a JPEG, PNG or WEBP image.",
                              "open")
    _check_item_count(len(sources), limits)
    return sources


def _plan_document(kind: str, path: Path, origin: str, limits: ArchiveLimits) -> list[_Source]:
    return _plan_pdf(path, origin, limits) if kind == "pdf" else _plan_tiff(path, origin, limits)


def _plan_zip(path: Path, origin: str, limits: ArchiveLimits, scratch: Path) -> list[_Source]:
    """Check the listing, then extract every member into `scratch` and plan its items."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise ArchiveRejected("corrupt", "The ZIP archive could not be read.", "open") from exc
    with archive:
        members = _listed_members(archive, origin, limits)
        extractor = _MemberExtractor(archive, limits)
        sources: list[_Source] = []
        for number, (name, info) in enumerate(members):
            sources += _plan_member(extractor, info, f"{origin}!/{name}", scratch / f"member-{number:05d}")
            _check_item_count(len(sources), limits)
    return sources


def _listed_members(archive: zipfile.ZipFile, origin: str,
                    limits: ArchiveLimits) -> list[tuple[str, zipfile.ZipInfo]]:
    """The members to expand, with their names, in the archive's order; directories and OS junk left out.

    Raises ArchiveRejected for any entry that refuses the whole archive.
    """
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise ArchiveRejected("too_many_members",
                              f"The archive has {len(infos):,} entries; the limit is {limits.max_members:,}.", "list")
    names: set[str] = set()
    members = []
    for info in infos:
        name = _member_name(info)
        _check_entry(info, name, f"{origin}!/{name}")
        if name in names:
            raise ArchiveRejected("duplicate_member", "Two members of the archive have the same name.", "list",
                                  f"{origin}!/{name}")
        names.add(name)
        if not info.is_dir() and not _is_os_junk(name):
            members.append((name, info))
    if not members:
        raise ArchiveRejected("empty", "The archive holds no files.", "list")
    return members


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name. zipfile reads names stored without the UTF-8 flag as CP437, which turns Chinese
    into mojibake: such names are tried as UTF-8 (macOS omits the flag) and then as GB18030 (Chinese Windows)."""
    if info.flag_bits & ZIP_UTF8_NAME_FLAG or info.filename.isascii():
        return info.filename
    stored = info.filename.encode("cp437")
    for encoding in ("utf-8", "gb18030"):
        try:
            return stored.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _check_entry(info: zipfile.ZipInfo, name: str, origin: str) -> None:
    """Refuse the archive for an entry that could write outside a target directory, or that needs a password."""
    if stat.S_ISLNK(info.external_attr >> 16):
        raise ArchiveRejected("zip_slip", "The archive contains a symbolic link.", "list", origin)
    if _is_unsafe_path(name):
        raise ArchiveRejected("zip_slip", "A path in the archive points outside it (absolute, a drive letter, "
                              "a backslash or '..').", "list", origin)
    if info.flag_bits & ZIP_ENCRYPTED_FLAG:
        raise ArchiveRejected("encrypted", "The archive is password-protected; send it without a password.", "list",
                              origin)


def _is_unsafe_path(name: str) -> bool:
    return (name.startswith("/") or "\\" in name or re.match(r"[A-Za-z]:", name) is not None
            or ".." in name.split("/"))


def _is_os_junk(name: str) -> bool:
    """Files that operating systems add to folders and archives on their own: skipped without a word."""
    parts = name.rstrip("/").split("/")
    return "__MACOSX" in parts or parts[-1].lower() in OS_JUNK_NAMES or parts[-1].startswith("._")


def _plan_member(extractor: _MemberExtractor, info: zipfile.ZipInfo, origin: str, target: Path) -> list[_Source]:
    """Sources for one ZIP member: an image, a document's pages, or one failed item."""
    try:
        kind = extractor.extract(info, origin, target)
    except _CorruptMember as exc:
        return [_failed_source(origin, "corrupt", f"The file could not be decompressed ({exc}).")]
    if kind is None:
        return [_failed_source(origin, "unsupported_type", "Not a JPEG, PNG, WEBP, PDF or TIFF file.")]
    if kind == "image":
        return [_Source(origin, IMAGE, target)]
    try:
        return _plan_document(kind, target, origin, extractor.limits)
    except ArchiveRejected as refusal:
        return [_failed_source(origin, refusal.code, refusal.message)]


class _CorruptMember(Exception):
    """A ZIP member whose data cannot be inflated."""


class _MemberExtractor:
    """Streams ZIP members into files, counting the bytes actually inflated against the caps."""

    def __init__(self, archive: zipfile.ZipFile, limits: ArchiveLimits) -> None:
        self.archive = archive
        self.limits = limits
        self.total_bytes = 0

    def extract(self, info: zipfile.ZipInfo, origin: str, target: Path) -> str | None:
        """Write the member to `target` and return its sniffed type; None, with nothing written, if unsupported.

        Raises ArchiveRejected for a nested archive or a broken cap, _CorruptMember for damaged data.
        """
        with self._open(info) as stream:
            chunk = self._read(stream)
            kind = sniff_archive(chunk)
            if _is_nested_archive(chunk):
                raise ArchiveRejected("nested_archive", "The archive contains another archive; send its files "
                                      "directly.", "extract", origin)
            if kind not in ("image", "pdf", "tiff"):
                return None
            written = 0
            with target.open("wb") as out:
                while chunk:
                    written += len(chunk)
                    self.total_bytes += len(chunk)
                    self._check_caps(info, origin, written)
                    out.write(chunk)
                    chunk = self._read(stream)
        return kind

    def _open(self, info: zipfile.ZipInfo) -> zipfile.ZipExtFile:
        try:
            return self.archive.open(info)
        except _INFLATE_ERRORS as exc:
            raise _CorruptMember(exc) from exc

    @staticmethod
    def _read(stream: zipfile.ZipExtFile) -> bytes:
        try:
            return stream.read(CHUNK_BYTES)
        except _INFLATE_ERRORS as exc:
            raise _CorruptMember(exc) from exc

    def _check_caps(self, info: zipfile.ZipInfo, origin: str, written: int) -> None:
        limits = self.limits
        if written > limits.max_member_bytes:
            raise ArchiveRejected("zip_bomb", f"A file in the archive inflates to more than "
                                  f"{_megabytes(limits.max_member_bytes)}.", "extract", origin)
        if self.total_bytes > limits.max_total_bytes:
            raise ArchiveRejected("zip_bomb", f"The archive inflates to more than "
                                  f"{_megabytes(limits.max_total_bytes)} in all.", "extract", origin)
        if written > RATIO_GRACE_BYTES and written > limits.max_ratio * max(info.compress_size, 1):
            raise ArchiveRejected("zip_bomb", f"A file in the archive inflates to more than {limits.max_ratio:g} "
                                  "times its compressed size.", "extract", origin)


def _is_nested_archive(head: bytes) -> bool:
    if sniff_archive(head) == "zip":
        return not head[30:].startswith(OFFICE_FIRST_MEMBERS)
    return head.startswith(OTHER_ARCHIVE_MAGIC) or head[257:262] == b"ustar"


def _plan_pdf(path: Path, origin: str, limits: ArchiveLimits) -> list[_Source]:
    """One source per page, each page's size checked at the rendering DPI; nothing is rendered."""
    with _PDFIUM_LOCK:
        document = _open_pdf(path)
        try:
            page_count = len(document)
            if page_count > limits.max_pages:
                raise ArchiveRejected("too_many_pages", f"The PDF has {page_count:,} pages; the limit is "
                                      f"{limits.max_pages:,}.", "preflight", origin)
            if page_count == 0:
                raise ArchiveRejected("empty", "The PDF has no pages.", "preflight", origin)
            return [_pdf_page_source(document, path, f"{origin}#page={index + 1}", index, limits)
                    for index in range(page_count)]
        finally:
            document.close()


def _open_pdf(path: Path) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise ArchiveRejected("encrypted", "The PDF is password-protected; send it without a password.",
                                  "open") from exc
        raise ArchiveRejected("corrupt", "The PDF could not be read.", "open") from exc


def _pdf_page_source(document: pdfium.PdfDocument, path: Path, origin: str, index: int,
                     limits: ArchiveLimits) -> _Source:
    """A page to render, or a failed one when its size cannot be read or it would have too many pixels."""
    try:
        width, height = document.get_page_size(index)  # from the page's boxes; its content is not parsed
    except pdfium.PdfiumError:
        return _Source(origin, PDF_PAGE, path, index, "corrupt", "The page's size could not be read.")
    pixels = _rendered_pixels(width, height, limits.dpi)
    if pixels > limits.max_page_pixels:
        return _Source(origin, PDF_PAGE, path, index, "page_too_large",
                       f"At {limits.dpi} dpi the page would have {pixels:,} pixels; the limit is "
                       f"{limits.max_page_pixels:,}.")
    return _Source(origin, PDF_PAGE, path, index)


def _rendered_pixels(width_pt: float, height_pt: float, dpi: int) -> float:
    """Pixels of a page of this size rendered at `dpi`, as PDFium rounds them; infinite for a nonsense size."""
    if not (math.isfinite(width_pt) and math.isfinite(height_pt)):
        return math.inf
    scale = dpi / 72
    return math.ceil(abs(width_pt) * scale) * math.ceil(abs(height_pt) * scale)


def _plan_tiff(path: Path, origin: str, limits: ArchiveLimits) -> list[_Source]:
    """One source per frame, each frame's size checked from its header; nothing is decoded."""
    with _open_tiff(path, origin) as image:
        frame_count = _count_frames(image, origin, limits)
        return [_tiff_frame_source(image, path, f"{origin}#page={index + 1}", index, limits)
                for index in range(frame_count)]


def _open_tiff(path: Path, origin: str) -> Image.Image:
    """The TIFF opened with Pillow's TIFF decoder and no other."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(path, formats=["TIFF"])
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise ArchiveRejected("page_too_large", "The TIFF's first page has too many pixels.", "open",
                                  origin) from exc
        except (UnidentifiedImageError, *_PILLOW_ERRORS) as exc:
            raise ArchiveRejected("corrupt", "The TIFF could not be read.", "open", origin) from exc


def _count_frames(image: Image.Image, origin: str, limits: ArchiveLimits) -> int:
    """The number of frames, found by walking no more than `max_pages` + 1 of them, one at a time
    (`n_frames` would walk them all, and a far seek makes Pillow miscount)."""
    for index in range(1, limits.max_pages + 1):
        try:
            image.seek(index)
        except EOFError:
            return index
        except _PILLOW_ERRORS as exc:
            raise ArchiveRejected("corrupt", "The TIFF's list of pages is damaged.", "preflight", origin) from exc
    raise ArchiveRejected("too_many_pages", f"The TIFF has more than {limits.max_pages:,} pages.", "preflight", origin)


def _tiff_frame_source(image: Image.Image, path: Path, origin: str, index: int, limits: ArchiveLimits) -> _Source:
    try:
        image.seek(index)
    except _PILLOW_ERRORS:
        return _Source(origin, TIFF_FRAME, path, index, "corrupt", "The page could not be read.")
    width, height = image.size
    if width * height > limits.max_page_pixels:
        return _Source(origin, TIFF_FRAME, path, index, "page_too_large",
                       f"The page is {width}×{height} pixels; the limit is {limits.max_page_pixels:,} pixels.")
    return _Source(origin, TIFF_FRAME, path, index)


def _check_item_count(count: int, limits: ArchiveLimits) -> None:
    if count > limits.max_items:
        raise ArchiveRejected("too_many_items", f"The upload holds more than {limits.max_items:,} images and pages.",
                              "preflight")


def _failed_source(origin: str, code: str, message: str) -> _Source:
    return _Source(origin, FAILED, error_code=code, error_message=message)


# Producing items -----------------------------------------------------------------------------------


def _items(sources: list[_Source], skip: set[str], limits: ArchiveLimits, scratch: Path) -> Iterator[ArchiveItem]:
    """Items for the sources not in `skip`, in order; a run of one document's pages shares one reader."""
    wanted = [source for source in sources if source.origin not in skip]
    for (kind, file), run in groupby(wanted, key=lambda source: (source.kind, source.file)):
        if kind == PDF_PAGE:
            yield from _pdf_page_items(file, list(run), limits, scratch)
        elif kind == TIFF_FRAME:
            yield from _tiff_frame_items(file, list(run))
        else:
            yield from map(_image_item, run)


def _image_item(source: _Source) -> ArchiveItem:
    if source.error_code:
        return _failed_item(source)
    with source.file.open("rb") as handle:
        data = handle.read(DEFAULT_MAX_BYTES + 1)  # load_image refuses anything longer
    return _validated_item(source.origin, data)


def _tiff_frame_items(tiff: Path, sources: list[_Source]) -> Iterator[ArchiveItem]:
    with _open_tiff(tiff, sources[0].origin) as image:
        for source in sources:
            yield _failed_item(source) if source.error_code else _tiff_frame_item(image, source)


def _tiff_frame_item(image: Image.Image, source: _Source) -> ArchiveItem:
    """The frame decoded, turned upright, flattened to RGB and encoded as PNG."""
    try:
        image.seek(source.index)
        image.load()
        frame = to_rgb(ImageOps.exif_transpose(image))
    except _PILLOW_ERRORS:
        return ArchiveItem(source.origin, None, "corrupt", "The page's image data is damaged or truncated.")
    encoded = io.BytesIO()
    frame.save(encoded, format="PNG", compress_level=1)
    return _validated_item(source.origin, encoded.getvalue())


def _pdf_page_items(pdf: Path, sources: list[_Source], limits: ArchiveLimits, scratch: Path) -> Iterator[ArchiveItem]:
    with _PageRenderer(pdf, scratch, limits) as renderer:
        for source in sources:
            yield _failed_item(source) if source.error_code else renderer.render(source)


def _validated_item(origin: str, data: bytes) -> ArchiveItem:
    """The item, or why it is no usable image. A full decode, though whoever checks the item decodes it again:
    in a batch that is another job, which gets bytes, and ocr.load has no header-only check; it costs a few
    per cent of an item's reading (2-40 ms against about 760 ms)."""
    try:
        load_image(data)
    except ImageRejected as rejected:
        return ArchiveItem(origin, None, rejected.code, rejected.message)
    return ArchiveItem(origin, data)


def _failed_item(source: _Source) -> ArchiveItem:
    return ArchiveItem(source.origin, None, source.error_code, source.error_message)


# Rendering PDF pages in a child process --------------------------------------------------------------


class _PageRenderer:
    """Renders one PDF's pages in a child process, one page per request, so each page can be bounded.

    The child is this module run as a script: it caps its own address space, opens the PDF, and answers
    each page index written to its stdin with one line, "ok" (the PNG is in the pages directory) or
    "error <code> <message>". A child that dies or overruns the timeout is killed and costs only the
    page it was rendering; the next page starts a fresh child.
    """

    def __init__(self, pdf: Path, pages_dir: Path, limits: ArchiveLimits) -> None:
        self._pdf = pdf
        self._pages_dir = pages_dir
        self._limits = limits
        self._child: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> _PageRenderer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop()

    def render(self, source: _Source) -> ArchiveItem:
        child = self._child or self._start()
        try:
            child.stdin.write(f"{source.index}\n".encode())
        except BrokenPipeError:
            pass  # the child has died; reading its reply says so
        try:
            reply = _read_reply(child, self._limits.render_timeout_s)
        except TimeoutError:
            self._stop()
            return ArchiveItem(source.origin, None, "render_timeout",
                               f"Rendering the page took longer than {self._limits.render_timeout_s:g} s.")
        if reply is None:
            status = self._stop(grace_s=EXIT_GRACE_S)
            return ArchiveItem(source.origin, None, "render_crashed",
                               f"The renderer stopped ({_describe_exit(status)}) while drawing the page; it may "
                               f"need more than {_megabytes(self._limits.render_memory_bytes)} of memory.")
        verdict, _, detail = reply.partition(" ")
        if verdict != "ok":
            code, _, message = detail.partition(" ")
            return ArchiveItem(source.origin, None, code, message)
        page_file = _page_file(self._pages_dir, source.index)
        data = page_file.read_bytes()
        page_file.unlink()
        return _validated_item(source.origin, data)

    def _start(self) -> subprocess.Popen[bytes]:
        # -P: the script's own directory (service/) must not shadow top-level modules in the child.
        command = [sys.executable, "-P", str(Path(__file__).resolve()), str(self._pdf), str(self._pages_dir),
                   str(self._limits.dpi), str(self._limits.render_memory_bytes), str(self._limits.render_timeout_s)]
        python_path = os.pathsep.join(filter(None, [str(_IMPORT_ROOT), os.environ.get("PYTHONPATH")]))
        self._child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0,
                                       env={**os.environ, "PYTHONPATH": python_path})
        return self._child

    def _stop(self, grace_s: float = 0.0) -> int | None:
        """End the child, killing it unless it exits within `grace_s`, and return its exit status."""
        child, self._child = self._child, None
        if child is None:
            return None
        try:
            child.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        child.stdin.close()
        child.stdout.close()
        return child.returncode


def _read_reply(child: subprocess.Popen[bytes], timeout_s: float) -> str | None:
    """The child's next reply line, or None if it closed its output first; TimeoutError if none came in time."""
    deadline = time.monotonic() + timeout_s
    received = b""
    with selectors.DefaultSelector() as selector:
        selector.register(child.stdout, selectors.EVENT_READ)
        while not received.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise TimeoutError
            chunk = os.read(child.stdout.fileno(), 4096)
            if not chunk:
                return None
            received += chunk
    return received.decode("utf-8", "replace").strip()


def _describe_exit(status: int | None) -> str:
    if status is not None and status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return f"exit status {status}"


def _page_file(pages_dir: Path, index: int) -> Path:
    return pages_dir / f"page-{index:05d}.png"


def _serve_render_requests(pdf: str, pages_dir: Path, dpi: int, memory_bytes: int, timeout_s: float) -> None:
    """In the child: cap the address space, then render each page index read from stdin."""
    _limit_address_space(memory_bytes)
    document = pdfium.PdfDocument(pdf)
    for line in sys.stdin:
        _allow_cpu_seconds(timeout_s)
        print(_render_page(document, int(line), pages_dir, dpi), flush=True)


def _limit_address_space(memory_bytes: int) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _allow_cpu_seconds(seconds: float) -> None:
    """Let the child use `seconds` more CPU time, then SIGXCPU ends it: the parent's timeout does that
    while the parent lives, this does it for a child orphaned mid-page by a killed worker."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def _render_page(document: pdfium.PdfDocument, index: int, pages_dir: Path, dpi: int) -> str:
    """Render one page into `pages_dir` as PNG and say how it went, as one reply line."""
    try:
        page = document[index]
        try:
            page.render(scale=dpi / 72).to_pil().save(_page_file(pages_dir, index), format="PNG", compress_level=1)
        finally:
            page.close()
    except MemoryError:
        return "error render_memory The page needs more memory than the renderer is allowed."
    except pdfium.PdfiumError as exc:
        return "error render_failed The page could not be rendered: " + " ".join(str(exc).split())
    return "ok"


# Small helpers ---------------------------------------------------------------------------------------


@contextmanager
def _scratch_dir(work_dir: Path) -> Iterator[Path]:
    """A fresh directory under `work_dir` for extracted members and rendered pages, removed afterwards."""
    scratch = Path(tempfile.mkdtemp(prefix="archive-", dir=work_dir))
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _megabytes(size: int) -> str:
    return f"{size / MIB:g} MB"


if __name__ == "__main__":
    _serve_render_requests(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
