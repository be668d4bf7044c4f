"""Batches: an uploaded ZIP, multi-page PDF or TIFF, or a single image, checked item by item by workers.

The state lives in the database; a job carries nothing but an id, so a lost job loses no work:

1. `create_batch` keeps the upload in the batch's workspace (a private temporary directory under
   the data directory) and adds a queued Batch.
2. `expand_batch` reads the upload with `service.archives`. Planning comes first and refuses a
   hostile or unreadable upload as a whole, before any item exists, so nothing of it is stored
   outside the workspace; the planned origins set `total`. Each page or image is then written to
   the workspace with a queued BatchItem row and handed out to the workers at once (a page that
   cannot be read is a failed item instead).
3. `complete_item` reads and judges one item, then records its Check, the item's state and the
   batch's counter in one transaction that claims the item only while it is still queued: an item
   is recorded exactly once, however often its job is delivered or re-run.
4. Once the upload is read, the item that completes the count marks the batch done; the workspace
   is removed.

A worker killed mid-job takes its job with it, not the rows: every job process that starts queues the
unfinished batches again (`service.jobs`), and `expand_batch` then hands out the items still queued and
reads on from the origins already recorded. An item handed out again while its first job waits or runs
costs a lookup, not a second reading: its row, or the lock its reader holds, says there is nothing to do.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO, Any

from flask import abort, current_app
from sqlalchemy import select, update
from werkzeug.datastructures import FileStorage

from ocr.load import ImageRejected
from service.archives import HEAD_BYTES, ArchiveItem, ArchiveLimits, ArchiveRejected, expand, sniff_archive
from service.db import db_session
from service.masking import mask_numbers
from service.models import Batch, BatchItem, BatchState, ItemState, User, utcnow
from service.pipeline import Analysis, analyse_image, new_check, settle_check, upload_source
from service.storage import LocalStorage, get_storage

log = logging.getLogger(__name__)

UNFINISHED = (BatchState.queued, BatchState.running)


class Workspace:
    """A batch's private temporary directory: the upload, the archive reader's scratch space and the
    extracted items. Only a checked item's image leaves it, into storage with its Check.

    Items wait there, sealed under the storage key like stored originals, until they are checked; the
    upload and the scratch space, which the archive readers need as plain files, go once the upload is
    read (`forget_upload`)."""

    def __init__(self, root: Path, batch_id: int, storage: LocalStorage) -> None:
        self.path = root / str(batch_id)
        self.upload = self.path / "upload"
        self.work_dir = self.path / "work"
        self.items = self.path / "items"
        self._storage = storage

    def create(self) -> None:
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)

    def item_path(self, seq: int) -> Path:
        return self.items / f"{seq:06d}"

    def write_item(self, seq: int, data: bytes) -> None:
        """Write an item's image, sealed, completely or not at all: a reader killed half-way leaves no half image."""
        self.items.mkdir(mode=0o700, exist_ok=True)
        partial = self.item_path(seq).with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(self._storage.seal(data))
        partial.replace(self.item_path(seq))

    def read_item(self, seq: int) -> bytes:
        return self._storage.unseal(self.item_path(seq).read_bytes())

    def forget_upload(self) -> None:
        """Remove the upload and the reader's scratch space once every item is out of them."""
        self.upload.unlink(missing_ok=True)
        shutil.rmtree(self.work_dir, ignore_errors=True)

    @contextmanager
    def reading_lock(self) -> Iterator[bool]:
        """Yields whether this process may read the upload: False while another live process does.

        The scratch space is emptied once the lock is held, since a killed reader may have left files there.
        """
        self.create()
        with open(self.path / "reading.lock", "w") as lock:
            if not _try_lock(lock):
                yield False
                return
            shutil.rmtree(self.work_dir, ignore_errors=True)
            self.work_dir.mkdir(mode=0o700)
            yield True

    @contextmanager
    def checking_lock(self, seq: int) -> Iterator[bool]:
        """Yields whether this process may check item `seq`: False while another live process does.

        The lock is on the item's file, as `reading_lock`'s is on a file of its own. An item without a
        file (recorded meanwhile, or its batch ended) has nothing to lock; its row says what is left to do.
        """
        try:
            item_file = self.item_path(seq).open("rb")
        except FileNotFoundError:
            yield True
            return
        with item_file:
            yield _try_lock(item_file)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _try_lock(file: IO[Any]) -> bool:
    """Take an advisory lock on an open file if no one holds it. The kernel releases it when the file is
    closed or its holder dies, SIGKILL included."""
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def workspace(batch_id: int) -> Workspace:
    return Workspace(Path(current_app.config["CERTGUARD_DATA_DIR"]) / "batches", batch_id, get_storage())


def archive_limits() -> ArchiveLimits:
    """Caps from the CERTGUARD_ARCHIVE_* settings (see ArchiveLimits): the app's config over the environment."""
    return ArchiveLimits.from_config({**os.environ, **current_app.config})


def create_batch(upload: FileStorage, *, user: User, unit_id: int | None = None) -> Batch:
    """Keep an upload as a queued batch of the using unit `unit_id`; the caller queues `expand_batch` for it.

    Raises `ocr.load.ImageRejected` (empty, unsupported_type) when the upload's bytes are none of
    the kinds a batch reads; nothing is kept then. Its name is taken only as a label.
    """
    head = upload.stream.read(HEAD_BYTES)
    if not head:
        raise ImageRejected("empty", "The upload is empty.")
    if sniff_archive(head) is None:
        raise ImageRejected("unsupported_type", "Send a ZIP archive, a PDF, a TIFF or a JPEG, PNG or WEBP image.")
    upload.stream.seek(0)
    session = db_session()
    batch = Batch(user_id=user.id, source=upload_source(upload.filename), as_of=date.today(),
                  state=BatchState.queued, done=0, failed=0, unit_id=unit_id)
    session.add(batch)
    session.commit()
    space = workspace(batch.id)
    try:
        space.create()
        upload.save(space.upload)
    except OSError:
        refuse_batch(batch, "internal", "The upload could not be kept.", "upload")
        raise
    log.info("batch %d: %s queued", batch.id, mask_numbers(batch.source))  # a file may be named after a holder
    return batch


def submit_batch(upload: FileStorage, *, user: User, enqueue: Callable[[int], object],
                 unit_id: int | None = None) -> Batch:
    """Keep an upload as a batch (see `create_batch`) and queue it with `enqueue`. A queue that cannot be
    reached fails the batch at the stage "queue", so nobody waits for a job never queued."""
    batch = create_batch(upload, user=user, unit_id=unit_id)
    try:
        enqueue(batch.id)
    except Exception:  # whatever the broker raised
        refuse_batch(batch, "queue_unavailable", "The job queue could not be reached; try again later.", "queue")
    return batch


def batch_or_404(batch_id: int) -> Batch:
    batch = db_session().get(Batch, batch_id)
    if batch is None:
        abort(404, "There is no such batch.")
    return batch


def expand_batch(batch_id: int, hand_out: Callable[[int], object]) -> None:
    """Read a batch's upload into items, on from where an earlier run stopped, calling `hand_out` with
    the id of each item to check: those already queued first, then each new one as it is read.

    Handing an item out twice is harmless (see `record_item`); handing none out while another live
    process reads the same upload avoids reading it twice.
    """
    session = db_session()
    batch = session.get(Batch, batch_id)
    if batch is None or batch.finished:
        return
    if batch.expanded_at is not None:
        hand_out_queued(batch, hand_out)
    else:
        space = workspace(batch.id)
        with space.reading_lock() as held:
            if not held:
                return  # a live process is reading this upload and hands its items out
            session.refresh(batch)
            if batch.finished:
                space.remove()  # finished while we waited: taking the lock made the directory again
            elif batch.expanded_at is None:
                hand_out_queued(batch, hand_out)
                read_upload(batch, space, hand_out)
    finish_if_complete(batch.id)  # also when a worker died between the last item and marking the batch


def hand_out_queued(batch: Batch, hand_out: Callable[[int], object]) -> None:
    query = (select(BatchItem.id).where(BatchItem.batch_id == batch.id, BatchItem.state == ItemState.queued)
             .order_by(BatchItem.seq))
    for item_id in db_session().scalars(query).all():
        hand_out(item_id)


def read_upload(batch: Batch, space: Workspace, hand_out: Callable[[int], object]) -> None:
    """Plan the upload's items (setting `total`), then add and hand out each origin not yet recorded."""
    session = db_session()
    if batch.started_at is None:
        batch.started_at = utcnow()
    batch.state = BatchState.running
    session.commit()
    limits = archive_limits()
    try:
        recorded = set(session.scalars(select(BatchItem.origin).where(BatchItem.batch_id == batch.id)))
        with expand(space.upload, batch.source, limits, space.work_dir, skip=recorded) as expansion:
            batch.total = len(expansion.origins)
            session.commit()
            places = {origin: seq for seq, origin in enumerate(expansion.origins, start=1)}
            for item in expansion.items:
                if is_cancelled(batch.id):
                    space.remove()  # the reader may have written after the canceller removed it
                    return
                item_id = add_item(batch, places[item.origin], item, space)
                if item_id is not None:
                    hand_out(item_id)
    except ArchiveRejected as rejected:
        where = f" ({rejected.origin})" if rejected.origin else ""
        refuse_batch(batch, rejected.code, rejected.message + where, rejected.stage)
        return
    except Exception as exc:
        if is_cancelled(batch.id):
            space.remove()
            return
        log.error("batch %d: reading the upload failed with %s", batch.id, type(exc).__name__)
        session.rollback()
        refuse_batch(batch, "internal", "The upload could not be read.", "expand")
        return
    batch.expanded_at = utcnow()
    session.commit()
    space.forget_upload()
    log.info("batch %d: %d items read", batch.id, batch.total)


def add_item(batch: Batch, seq: int, item: ArchiveItem, space: Workspace) -> int | None:
    """One row per item; returns the id of a queued one. An item that could not be extracted fails
    now, counted in the same transaction."""
    session = db_session()
    if item.data is not None:
        space.write_item(seq, item.data)
        row = BatchItem(batch_id=batch.id, seq=seq, origin=item.origin, state=ItemState.queued)
    else:
        row = BatchItem(batch_id=batch.id, seq=seq, origin=item.origin, state=ItemState.failed,
                        error_code=item.error_code, error_message=item.error_message, finished_at=utcnow())
        session.execute(update(Batch).where(Batch.id == batch.id).values(failed=Batch.failed + 1))
    session.add(row)
    session.commit()
    return row.id if row.state == ItemState.queued else None


def complete_item(item_id: int) -> None:
    """Check one queued item and record the outcome exactly once (see `record_item`).

    Its job may run more than once: a queue may deliver it twice, and each job process that starts hands
    the unfinished items out again. A run that finds the item recorded or cancelled, or in the hands of
    another live run, returns without reading it, so an item is read once however often it is handed out.
    """
    session = db_session()
    item = session.get(BatchItem, item_id)
    if item is None:
        return
    with workspace(item.batch_id).checking_lock(item.seq) as held:
        if not held:
            return  # another live run is checking it, and records it
        session.refresh(item)  # a run that held the lock until a moment ago may have recorded it
        if item.state == ItemState.queued and item.batch.state == BatchState.running:
            check_item(item)


def check_item(item: BatchItem) -> None:
    """Read and judge one item, then record its check, or why it failed."""
    session = db_session()
    started = time.perf_counter()
    data = analysis = failure = None
    try:
        data = workspace(item.batch_id).read_item(item.seq)
        analysis = analyse_image(data, item.origin, as_of=item.batch.as_of)
    except ImageRejected as rejected:
        failure = (rejected.code, rejected.message)
    except Exception as exc:
        # The message may quote what was read off the card, so only the exception's type is logged.
        log.error("batch %d item %d: checking failed with %s", item.batch_id, item.seq, type(exc).__name__)
        session.rollback()
        failure = ("internal", "The image could not be analysed.")
    record_item(item, data, analysis, failure, elapsed_ms=round((time.perf_counter() - started) * 1000))


def record_item(item: BatchItem, data: bytes | None, analysis: Analysis | None, failure: tuple[str, str] | None,
                *, elapsed_ms: int) -> None:
    """Claim the item (queued → done or failed), store its Check and count it, all in one transaction.

    The claim is a conditional update: of two runs of one item, or a run racing a cancel, only one
    changes the row and commits; the others roll back without having stored anything.
    """
    session = db_session()
    session.commit()  # end the reads, so on SQLite the write starts afresh rather than upgrading a read lock
    batch = item.batch
    state = ItemState.failed if failure else ItemState.done
    code, message = failure or (None, None)
    claim = (update(BatchItem).where(BatchItem.id == item.id, BatchItem.state == ItemState.queued)
             .values(state=state, error_code=code, error_message=message, elapsed_ms=elapsed_ms,
                     finished_at=utcnow()))
    if session.execute(claim, execution_options={"synchronize_session": False}).rowcount != 1:
        session.rollback()
        return
    check = None
    if analysis is not None and data is not None:
        check = new_check(analysis, data, source=item.origin, original_name=batch.source, user_id=batch.user_id,
                          as_of=batch.as_of, unit_id=batch.unit_id)
        session.add(check)
        session.flush()
        session.execute(update(BatchItem).where(BatchItem.id == item.id).values(check_id=check.id),
                        execution_options={"synchronize_session": False})
    counter = Batch.failed if failure else Batch.done
    session.execute(update(Batch).where(Batch.id == batch.id).values({counter: counter + 1}),
                    execution_options={"synchronize_session": False})
    session.commit()
    workspace(batch.id).item_path(item.seq).unlink(missing_ok=True)  # its bytes are in storage now, or useless
    if check is not None:
        settle_check(check)
    finish_if_complete(batch.id)


def finish_if_complete(batch_id: int) -> None:
    """Mark a fully read batch done once every item has an outcome, and remove its workspace.

    Conditional, so of the items finishing last at once exactly one marks the batch.
    """
    session = db_session()
    finished = (update(Batch)
                .where(Batch.id == batch_id, Batch.state == BatchState.running, Batch.expanded_at.is_not(None),
                       Batch.done + Batch.failed >= Batch.total)
                .values(state=BatchState.done, finished_at=utcnow()))
    if session.execute(finished, execution_options={"synchronize_session": False}).rowcount == 1:
        session.commit()
        workspace(batch_id).remove()
        log.info("batch %d: done", batch_id)
    else:
        session.commit()


def refuse_batch(batch: Batch, code: str, message: str, stage: str) -> None:
    """Fail a batch as a whole (a hostile or unreadable upload, an unreachable queue): items not yet
    checked are cancelled, and the workspace removed. A refused upload is refused while it is
    planned, so it has no items at all."""
    session = db_session()
    failed = (update(Batch).where(Batch.id == batch.id, Batch.state.in_(UNFINISHED))
              .values(state=BatchState.failed, error_code=code, error_message=message, error_stage=stage,
                      finished_at=utcnow()))
    if session.execute(failed, execution_options={"synchronize_session": False}).rowcount == 1:
        session.execute(update(BatchItem).where(BatchItem.batch_id == batch.id, BatchItem.state == ItemState.queued)
                        .values(state=ItemState.cancelled), execution_options={"synchronize_session": False})
        log.info("batch %d: refused at %s (%s)", batch.id, stage, code)
    session.commit()
    session.refresh(batch)
    workspace(batch.id).remove()


def cancel_batch(batch: Batch) -> bool:
    """Stop a queued or running batch: items not yet checked are cancelled, those checked keep their
    results. False when the batch had already finished."""
    session = db_session()
    cancelled = (update(Batch).where(Batch.id == batch.id, Batch.state.in_(UNFINISHED))
                 .values(state=BatchState.cancelled, finished_at=utcnow()))
    if session.execute(cancelled, execution_options={"synchronize_session": False}).rowcount != 1:
        session.rollback()
        return False
    session.execute(update(BatchItem).where(BatchItem.batch_id == batch.id, BatchItem.state == ItemState.queued)
                    .values(state=ItemState.cancelled), execution_options={"synchronize_session": False})
    session.commit()
    session.refresh(batch)
    workspace(batch.id).remove()
    log.info("batch %d: cancelled", batch.id)
    return True


def is_cancelled(batch_id: int) -> bool:
    return db_session().scalar(select(Batch.state).where(Batch.id == batch_id)) == BatchState.cancelled


def unfinished_batches() -> list[int]:
    """Ids of the batches a consumer resumes when it starts: queued or running, oldest first."""
    return list(db_session().scalars(select(Batch.id).where(Batch.state.in_(UNFINISHED)).order_by(Batch.id)))
