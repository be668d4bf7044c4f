"""service.archives: ZIPs, PDFs, TIFFs and folders become single-image items; hostile input is refused whole.

Every fixture is built in tmp_path at test time: images from Pillow, PDFs from pypdfium2 (encrypted
ones from pikepdf), ZIPs from zipfile with headers edited by hand where an attack needs it.
"""

from __future__ import annotations

import gzip
import io
import os
import signal
import stat
import subprocess
import time
import zipfile
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image

from ocr.load import load_image
from service.archives import ArchiveLimits, ArchiveRejected, expand, sniff_archive

MIB = 2**20
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DEFAULTS = ArchiveLimits()


# Fixture builders ----------------------------------------------------------------------------------


def image_bytes(size: tuple[int, int], fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def pdf_bytes(*page_sizes_pt: tuple[float, float]) -> bytes:
    document = pdfium.PdfDocument.new()
    for width, height in page_sizes_pt:
        document.new_page(width, height)
    buffer = io.BytesIO()
    document.save(buffer)
    document.close()
    return buffer.getvalue()


def tiff_bytes(*frame_sizes: tuple[int, int]) -> bytes:
    frames = [Image.new("RGB", size, "white") for size in frame_sizes]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def zip_bytes(members: list[tuple[str | zipfile.ZipInfo, bytes]],
              compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def encrypted_pdf(user_password: str) -> bytes:
    document = pikepdf.new()
    document.add_blank_page(page_size=(144, 144))
    buffer = io.BytesIO()
    document.save(buffer, encryption=pikepdf.Encryption(owner="owner-secret", user=user_password))
    return buffer.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def tree(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


def renderer_pids() -> list[int]:
    """Live render children of this process."""
    pids = []
    for status_file in Path("/proc").glob("[0-9]*/status"):
        try:
            status = status_file.read_text()
            command = (status_file.parent / "cmdline").read_bytes()
        except OSError:
            continue  # the process ended while we looked
        if f"\nPPid:\t{os.getpid()}\n" in status and b"archives.py" in command:
            pids.append(int(status_file.parent.name))
    return pids


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


def expand_all(path: Path, work_dir: Path, limits: ArchiveLimits = DEFAULTS, **kwargs):
    """The plan and every item of one upload; the items must follow the plan, and nothing may stay behind."""
    with expand(path, path.name, limits, work_dir, **kwargs) as expansion:
        planned, items = expansion.origins, list(expansion.items)
    assert [item.origin for item in items] == [origin for origin in planned if origin not in kwargs.get("skip", ())]
    assert tree(work_dir) == []
    return planned, items


def outcomes(items) -> dict[str, str | None]:
    return {item.origin: item.error_code for item in items}


def refusal(path: Path, work_dir: Path, tmp_path: Path, limits: ArchiveLimits = DEFAULTS) -> ArchiveRejected:
    """The refusal of `expand` (raised on entering it, before any item), after checking that the refused
    upload left no file anywhere under tmp_path, work_dir included."""
    before = tree(tmp_path)
    with pytest.raises(ArchiveRejected) as refused, expand(path, path.name, limits, work_dir):
        pytest.fail("the upload was planned instead of refused")
    assert tree(tmp_path) == before
    return refused.value


def mixed_zip(path: Path) -> tuple[list[str], list[tuple[int, int]]]:
    """20 items: 15 JPEG/PNG photos in subfolders, a 3-page PDF and a 2-page TIFF, plus OS junk and
    directory entries. Returns the expected origins and pixel sizes, in archive order."""
    members: list[tuple[str, bytes]] = [("scans/", b""), ("scans/2024/", b"")]
    expected: list[tuple[str, tuple[int, int]]] = []
    for number in range(15):
        size = (40 + number, 30)
        fmt, suffix = ("JPEG", "jpg") if number % 2 == 0 else ("PNG", "png")
        name = f"scans/2024/card-{number:02d}.{suffix}" if number < 8 else f"scans/card-{number:02d}.{suffix}"
        members.append((name, image_bytes(size, fmt)))
        expected.append((name, size))
        if number == 4:  # pages are 1.5, 2 and 2.5 inches wide, 2 inches high: 300, 400, 500 × 400 px at 200 dpi
            members.append(("docs/p1.pdf", pdf_bytes((108, 144), (144, 144), (180, 144))))
            expected += [(f"docs/p1.pdf#page={page}", (100 * (page + 2), 400)) for page in (1, 2, 3)]
        if number == 9:
            members.append(("docs/scan.tif", tiff_bytes((60, 45), (61, 45))))
            expected += [("docs/scan.tif#page=1", (60, 45)), ("docs/scan.tif#page=2", (61, 45))]
    members += [("__MACOSX/scans/._card-00.jpg", b"\x00\x05\x16\x07"), ("scans/.DS_Store", b"\x00\x00\x00\x01Bud1"),
                ("Thumbs.db", b"\xd0\xcf\x11\xe0")]
    write(path, zip_bytes(members))
    return [f"{path.name}!/{name}" for name, _ in expected], [size for _, size in expected]


# Expansion -------------------------------------------------------------------------------------------


def test_mixed_zip_gives_twenty_loadable_items_in_archive_order(tmp_path: Path, work_dir: Path) -> None:
    origins, sizes = mixed_zip(tmp_path / "batch.zip")
    planned, items = expand_all(tmp_path / "batch.zip", work_dir)
    assert planned == origins
    assert len(items) == 20
    assert [item.error_code for item in items] == [None] * 20
    assert [load_image(item.data).image.size for item in items] == sizes


@pytest.mark.parametrize(("name", "data", "origins"), [
    ("photo.jpg", image_bytes((50, 40), "JPEG"), ["photo.jpg"]),
    ("scan.pdf", pdf_bytes((72, 72), (72, 144)), ["scan.pdf#page=1", "scan.pdf#page=2"]),
    ("扫描 1.tif", tiff_bytes((30, 20), (31, 20)), ["扫描 1.tif#page=1", "扫描 1.tif#page=2"]),
])
def test_single_files_expand_under_the_name_given(tmp_path: Path, work_dir: Path, name: str, data: bytes,
                                                        origins: list[str]) -> None:
    upload = write(tmp_path / "upload", data)
    with expand(upload, name, ArchiveLimits(), work_dir) as expansion:
        assert expansion.origins == origins
        items = list(expansion.items)
    assert [(item.origin, item.error_code) for item in items] == [(origin, None) for origin in origins]


def test_broken_members_and_pages_fail_alone(tmp_path: Path, work_dir: Path) -> None:
    jpeg = image_bytes((64, 48), "JPEG")
    flipped = bytearray(image_bytes((20, 20)))
    office = zip_bytes([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")])
    members = [("01-good.png", image_bytes((10, 10))), ("02-cut.jpg", jpeg[: len(jpeg) // 2]),
               ("03-notes.txt", "证书清单".encode()), ("04-flipped.png", bytes(flipped)),
               ("05-locked.pdf", encrypted_pdf("secret")), ("06-list.docx", office),
               ("07-scan.tif", tiff_bytes((60, 40), (61, 40), (62, 40))[:-500]), ("08-good.jpg", jpeg)]
    archive = bytearray(zip_bytes(members, zipfile.ZIP_STORED))
    flipped_at = archive.index(bytes(flipped)) + len(flipped) // 2
    archive[flipped_at] ^= 0xFF  # the stored bytes no longer match the member's CRC
    upload = write(tmp_path / "batch.zip", bytes(archive))

    _, items = expand_all(upload, work_dir)

    assert outcomes(items) == {
        "batch.zip!/01-good.png": None,
        "batch.zip!/02-cut.jpg": "corrupt",
        "batch.zip!/03-notes.txt": "unsupported_type",
        "batch.zip!/04-flipped.png": "corrupt",
        "batch.zip!/05-locked.pdf": "encrypted",
        "batch.zip!/06-list.docx": "unsupported_type",  # a ZIP inside, but a document rather than an archive
        "batch.zip!/07-scan.tif#page=1": None,
        "batch.zip!/07-scan.tif#page=2": None,
        "batch.zip!/07-scan.tif#page=3": "corrupt",  # its pixel data was cut off
        "batch.zip!/08-good.jpg": None,
    }
    assert all(item.error_message for item in items if item.error_code)
    assert all(item.data is None for item in items if item.error_code)


def test_pdf_page_too_large_fails_alone_before_rendering(tmp_path: Path, work_dir: Path) -> None:
    # 200 × 200 inches at 200 dpi would be 40000 × 40000 pixels (1.6 gigapixels): drawing it would not end well.
    upload = write(tmp_path / "plans.pdf", pdf_bytes((144, 144), (14400, 14400), (144, 144)))
    _, items = expand_all(upload, work_dir)
    assert outcomes(items) == {"plans.pdf#page=1": None, "plans.pdf#page=2": "page_too_large",
                               "plans.pdf#page=3": None}
    assert "1,600,000,000 pixels" in items[1].error_message


def test_pdf_with_only_an_owner_password_is_read(tmp_path: Path, work_dir: Path) -> None:
    upload = write(tmp_path / "restricted.pdf", encrypted_pdf(""))
    _, items = expand_all(upload, work_dir)
    assert outcomes(items) == {"restricted.pdf#page=1": None}


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8"])  # Chinese Windows; macOS, which omits the flag
def test_member_names_without_the_utf8_flag_are_not_mojibake(tmp_path: Path, work_dir: Path, encoding: str) -> None:
    name = "证书.png".encode(encoding)
    placeholder = b"x" * (len(name) - 4) + b".png"  # as long as the name, so the headers stay valid
    archive = zip_bytes([(placeholder.decode(), image_bytes((10, 10)))]).replace(placeholder, name)
    planned, items = expand_all(write(tmp_path / "batch.zip", archive), work_dir)
    assert planned == ["batch.zip!/证书.png"]
    assert items[0].error_code is None


# Refusals --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["../evil.jpg", "ok/../../evil.jpg", "/tmp/evil.jpg", "C:/evil.jpg",
                                  "..\\evil.jpg"])
def test_paths_escaping_the_archive_refuse_it_whole(tmp_path: Path, work_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                    name: str) -> None:
    monkeypatch.chdir(work_dir)  # a relative write would land inside tmp_path and show in its listing
    upload = write(tmp_path / "in" / "batch.zip", zip_bytes([("good.png", image_bytes((10, 10))),
                                                             (name, image_bytes((10, 10)))]))
    refused = refusal(upload, work_dir, tmp_path)
    assert (refused.code, refused.stage) == ("zip_slip", "list")
    assert refused.origin == f"batch.zip!/{name}"
    assert not Path("/tmp/evil.jpg").exists() and not (tmp_path.parent / "evil.jpg").exists()


def test_symlink_member_refuses_the_archive(tmp_path: Path, work_dir: Path) -> None:
    link = zipfile.ZipInfo("card.jpg")
    link.create_system = 3  # Unix, whose mode bits sit in the high half of external_attr
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    upload = write(tmp_path / "in" / "batch.zip", zip_bytes([(link, b"/etc/passwd")]))
    refused = refusal(upload, work_dir, tmp_path)
    assert (refused.code, refused.stage) == ("zip_slip", "list")


@pytest.mark.parametrize(("members", "limits", "reason"), [
    # 20 MB of zeros deflate to about 20 KB: caught by the ratio after the first megabytes.
    ([("zeros.png", PNG_MAGIC + bytes(20 * MIB))], ArchiveLimits(), "times its compressed size"),
    ([("zeros.png", PNG_MAGIC + bytes(3 * MIB))], ArchiveLimits(max_member_bytes=MIB, max_ratio=1e9),
     "inflates to more than 1 MB"),
    ([(f"noise-{n}.png", PNG_MAGIC + os.urandom(400_000)) for n in range(3)], ArchiveLimits(max_total_bytes=MIB),
     "more than 1 MB in all"),
])
def test_zip_bombs_are_refused_while_streaming(tmp_path: Path, work_dir: Path, members, limits: ArchiveLimits,
                                               reason: str) -> None:
    upload = write(tmp_path / "in" / "bomb.zip", zip_bytes(members))
    refused = refusal(upload, work_dir, tmp_path, limits)
    assert (refused.code, refused.stage) == ("zip_bomb", "extract")
    assert reason in refused.message


def test_too_many_members_refuses_the_archive_before_extracting(tmp_path: Path, work_dir: Path) -> None:
    upload = write(tmp_path / "in" / "batch.zip", zip_bytes([(f"{n}.png", image_bytes((8, 8))) for n in range(6)]))
    refused = refusal(upload, work_dir, tmp_path, ArchiveLimits(max_members=5))
    assert (refused.code, refused.stage) == ("too_many_members", "list")


def test_too_many_items_in_all_refuses_the_upload(tmp_path: Path, work_dir: Path) -> None:
    members = [("a.png", image_bytes((8, 8))), ("b.pdf", pdf_bytes((72, 72), (72, 72))), ("c.png", image_bytes((8, 8)))]
    upload = write(tmp_path / "in" / "batch.zip", zip_bytes(members))
    refused = refusal(upload, work_dir, tmp_path, ArchiveLimits(max_items=3))
    assert (refused.code, refused.stage) == ("too_many_items", "preflight")


@pytest.mark.parametrize("inner", [zip_bytes([("a.png", image_bytes((8, 8)))]), gzip.compress(b"x" * 1000)])
def test_nested_archive_refuses_the_archive(tmp_path: Path, work_dir: Path, inner: bytes) -> None:
    upload = write(tmp_path / "in" / "batch.zip", zip_bytes([("a.png", image_bytes((8, 8))), ("more", inner)]))
    refused = refusal(upload, work_dir, tmp_path)
    assert (refused.code, refused.stage, refused.origin) == ("nested_archive", "extract", "batch.zip!/more")


def test_encrypted_zip_member_refuses_the_archive(tmp_path: Path, work_dir: Path) -> None:
    archive = bytearray(zip_bytes([("a.png", image_bytes((8, 8)))]))
    archive[archive.index(b"PK\x03\x04") + 6] |= 0x1  # general-purpose flag bit 0: encrypted
    archive[archive.index(b"PK\x01\x02") + 8] |= 0x1
    upload = write(tmp_path / "in" / "locked.zip", bytes(archive))
    refused = refusal(upload, work_dir, tmp_path)
    assert (refused.code, refused.stage) == ("encrypted", "list")


def test_duplicate_member_names_refuse_the_archive(tmp_path: Path, work_dir: Path) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        archive = zip_bytes([("a.png", image_bytes((8, 8))), ("a.png", image_bytes((9, 9)))])
    refused = refusal(write(tmp_path / "in" / "batch.zip", archive), work_dir, tmp_path)
    assert (refused.code, refused.stage) == ("duplicate_member", "list")


def test_archive_of_nothing_but_junk_is_refused_as_empty(tmp_path: Path, work_dir: Path) -> None:
    upload = write(tmp_path / "in" / "batch.zip", zip_bytes([("docs/", b""), (".DS_Store", b"Bud1")]))
    refused = refusal(upload, work_dir, tmp_path)
    assert (refused.code, refused.stage) == ("empty", "list")


def test_password_protected_pdf_is_refused_with_a_clear_reason(tmp_path: Path, work_dir: Path) -> None:
    upload = write(tmp_path / "in" / "locked.pdf", encrypted_pdf("secret"))
    refused = refusal(upload, work_dir, tmp_path)
    assert (refused.code, refused.stage) == ("encrypted", "open")
    assert "password" in refused.message


def test_pdf_with_5000_pages_is_refused_at_preflight_quickly(tmp_path: Path, work_dir: Path) -> None:
    upload = write(tmp_path / "in" / "long.pdf", pdf_bytes(*[(72, 72)] * 5000))
    started = time.monotonic()
    refused = refusal(upload, work_dir, tmp_path)
    assert (refused.code, refused.stage) == ("too_many_pages", "preflight")
    assert time.monotonic() - started < 5  # page count only: no page is loaded, let alone rendered


def test_tiff_with_too_many_pages_is_refused_at_preflight(tmp_path: Path, work_dir: Path) -> None:
    upload = write(tmp_path / "in" / "scan.tif", tiff_bytes(*[(20, 20)] * 4))
    refused = refusal(upload, work_dir, tmp_path, ArchiveLimits(max_pages=3))
    assert (refused.code, refused.stage) == ("too_many_pages", "preflight")


@pytest.mark.parametrize("data", [b"MZ\x90\x00\x03\x00\x00\x00" + bytes(64), "姓名,证书编号\n".encode(), b""])
def test_other_file_types_are_refused(tmp_path: Path, work_dir: Path, data: bytes) -> None:
    refused = refusal(write(tmp_path / "in" / "cert.jpg", data), work_dir, tmp_path)
    assert (refused.code, refused.stage) == ("unsupported_type", "open")


@pytest.mark.parametrize(("head", "kind"), [
    (b"PK\x03\x04\x14\x00", "zip"), (b"%PDF-1.7\n", "pdf"), (b"II*\x00\x08\x00", "tiff"), (b"MM\x00*\x00\x00", "tiff"),
    (image_bytes((4, 4), "JPEG")[:16], "image"), (PNG_MAGIC, "image"), (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image"),
    (b"GIF89a", None), (b"\x1f\x8b\x08", None), (b"", None),
])
def test_sniff_archive_reads_magic_bytes(head: bytes, kind: str | None) -> None:
    assert sniff_archive(head) == kind


# Rendering -------------------------------------------------------------------------------------------


def test_renderer_over_its_memory_limit_fails_only_that_page(tmp_path: Path, work_dir: Path) -> None:
    # 2000 pt at 200 dpi is 5556 × 5556 pixels (within max_page_pixels): about 90 MB of bitmap, over 64 MiB.
    upload = write(tmp_path / "big.pdf", pdf_bytes((2000, 2000), (144, 144), (2000, 2000)))
    _, items = expand_all(upload, work_dir, ArchiveLimits(render_memory_bytes=64 * MIB))
    assert outcomes(items) == {"big.pdf#page=1": "render_memory", "big.pdf#page=2": None,
                               "big.pdf#page=3": "render_memory"}
    assert renderer_pids() == []


def test_renderer_that_does_not_answer_in_time_is_killed_and_fails_its_page(tmp_path: Path, work_dir: Path) -> None:
    # The timeout counts from the request, so 10 ms is less than a child Python needs just to start.
    upload = write(tmp_path / "scan.pdf", pdf_bytes((144, 144), (144, 144)))
    _, items = expand_all(upload, work_dir, ArchiveLimits(render_timeout_s=0.01))
    assert outcomes(items) == {"scan.pdf#page=1": "render_timeout", "scan.pdf#page=2": "render_timeout"}
    assert renderer_pids() == []


def test_renderer_killed_mid_document_fails_only_the_current_page(tmp_path: Path, work_dir: Path) -> None:
    upload = write(tmp_path / "scan.pdf", pdf_bytes((144, 144), (144, 144), (144, 144)))
    with expand(upload, upload.name, ArchiveLimits(), work_dir) as expansion:
        items = expansion.items
        first = next(items)
        [renderer] = renderer_pids()
        os.kill(renderer, signal.SIGKILL)  # as the kernel's OOM killer would
        second, third = next(items), next(items)
        assert [first.error_code, second.error_code, third.error_code] == [None, "render_crashed", None]
        assert "SIGKILL" in second.error_message
        assert list(items) == []
    assert renderer_pids() == [] and tree(work_dir) == []


def test_leaving_an_expansion_half_read_stops_its_renderer_and_clears_its_scratch(tmp_path: Path,
                                                                                   work_dir: Path) -> None:
    upload = write(tmp_path / "scan.pdf", pdf_bytes((144, 144), (144, 144), (144, 144)))
    with expand(upload, upload.name, ArchiveLimits(), work_dir) as expansion:
        assert next(expansion.items).error_code is None
        assert len(renderer_pids()) == 1 and tree(work_dir) != []
    assert renderer_pids() == [] and tree(work_dir) == []


def test_skip_resumes_without_redoing_finished_items(tmp_path: Path, work_dir: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    origins, _ = mixed_zip(tmp_path / "batch.zip")
    finished = origins[:9]  # the photos before the PDF, the PDF's three pages, and one photo after it
    started: list[list[str]] = []
    real_popen = subprocess.Popen

    def recording_popen(command, *args, **kwargs):
        started.append(command)
        return real_popen(command, *args, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    _, items = expand_all(tmp_path / "batch.zip", work_dir, skip=set(finished))
    assert [item.origin for item in items] == origins[9:]
    assert all(item.error_code is None for item in items)
    assert started == []  # the PDF's pages were all done, so no renderer was started


# Configuration -----------------------------------------------------------------------------


def test_limits_from_config_read_certguard_archive_keys() -> None:
    limits = ArchiveLimits.from_config({"CERTGUARD_ARCHIVE_MAX_PAGES": "12", "CERTGUARD_ARCHIVE_MAX_RATIO": 50,
                                        "CERTGUARD_ARCHIVE_DPI": None, "MAX_CONTENT_LENGTH": 1})
    assert (limits.max_pages, limits.max_ratio, limits.dpi) == (12, 50.0, 200)
    assert limits.max_members == ArchiveLimits().max_members
    with pytest.raises(ValueError, match="render_timeout_s"):
        ArchiveLimits.from_config({"CERTGUARD_ARCHIVE_RENDER_TIMEOUT_S": "0"})
