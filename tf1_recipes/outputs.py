"""Output paths the user names: ``--out``, ``--plot``, ``--report``, migrate-ckpt's OUT_DIR, the benchmark's files.

A path that cannot take the output (a file where a folder is wanted, a folder under a
file, a place this user cannot write) is found before any work starts
(:func:`check_folder`, :func:`check_file`: reads only), so a typo costs one line, not a
finished run. Where the output is written, every OS error of making the folder or the
file is one line too (:func:`make_folder`, :func:`write_text`, :func:`staged_folder`, :func:`writing`), and a
file or a folder's files are written through a temporary one beside it, so they are never half-written.

Every error is an :class:`OutputPathError` whose message names the flag, the path, the
cause and what to do; the command line prints it as one line and exits 2.
"""

import contextlib
import errno
import itertools
import os
import shutil
from pathlib import Path


class OutputPathError(ValueError):
    """An output path that is not, and cannot become, a directory (or file) this process can write."""


def _where(path, flag):
    return f"{flag} {path}" if flag else str(path)


def _nearest_existing(path):
    """``path`` made absolute, or its nearest ancestor that exists."""
    path = Path(os.path.abspath(path))
    return next(p for p in (path, *path.parents) if p.exists())


def _check_creatable_under(path, where, purpose):
    """OutputPathError unless the nearest existing ancestor of ``path`` is a directory this user can write."""
    base = _nearest_existing(path)
    if not base.is_dir():
        raise OutputPathError(f"{where}: {base} is a file, not a directory; give a directory for {purpose}")
    if not os.access(base, os.W_OK | os.X_OK):
        raise OutputPathError(f"{where}: {base} is not writable by this user; give a directory you can write to "
                              f"for {purpose}")


def check_folder(path, flag=None, purpose="the output"):
    """Check, before any work, that ``path`` is or can become a directory this process can write.

    Args:
        path: the directory the user named (str or Path; relative to the working directory).
        flag: how the user named it (``"--out"``), the start of the message; None: the path alone.
        purpose: what goes there (``"the run's output"``), the end of the message.

    Returns:
        ``path`` as a Path. Nothing is created.

    Raises:
        OutputPathError: ``path`` exists and is not a directory; or the nearest ancestor that
            exists is a file, or is a directory this user may not write into.
    """
    path = Path(path)
    where = _where(path, flag)
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{where}: exists and is not a directory; give a directory for {purpose}")
    _check_creatable_under(path, where, purpose)
    return path


def check_entries(folder, entries, flag=None):
    """Check, before any work, that ``folder`` holds nothing of the wrong kind where the work writes.

    Args:
        folder: an output directory (it need not exist yet).
        entries: (name, what is written there, whether it is a directory) of each thing written
            in ``folder``, e.g. ``("runs.jsonl", "its record", False)``.
        flag: how the user named ``folder`` (``"--out"``), the start of the message.

    Raises:
        OutputPathError: an entry is a directory where a file is written, or a file where a directory is.
    """
    folder = Path(folder)
    for name, what, is_folder in entries:
        entry = folder / name
        if entry.exists() and entry.is_dir() != is_folder:
            found, wanted = ("file", "a directory is made") if is_folder else ("directory", "a file is written")
            raise OutputPathError(f"{_where(folder, flag)}: {entry} is a {found} where {wanted} ({what}); move it away "
                                  "or give another directory")


def make_folder(path, flag=None, purpose="the output"):
    """:func:`check_folder`, then create ``path`` with its parents; a Path.

    Raises:
        OutputPathError: as :func:`check_folder`, or the OS refused to create it (a read-only
            or virtual file system: the OS's reason is in the message).
    """
    path = check_folder(path, flag, purpose)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputPathError(f"{_where(path, flag)}: cannot be created ({err.strerror or err}); "
                              f"give a directory you can write to for {purpose}") from None
    return path


def check_file(path, flag=None, purpose="the output"):
    """Check, before any work, that a file can be written at ``path`` (its folders are made when it is written).

    Returns:
        ``path`` as a Path. Nothing is created.

    Raises:
        OutputPathError: ``path`` is a directory; or its nearest existing ancestor is a file, or a
            directory this user may not write into.
    """
    path = Path(path)
    where = _where(path, flag)
    if path.is_dir():
        raise OutputPathError(f"{where}: is a directory; give a file name for {purpose}")
    _check_creatable_under(path.parent, where, purpose)
    return path


def write_remedy(err, purpose):
    """What to do about an OSError writing a file: free space for a full disk or quota, another path otherwise."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"free space on that disk, or give a path on another one for {purpose}"
    if err.errno == errno.EROFS:
        return f"that file system is read-only; give a path you can write to for {purpose}"
    return f"give a path you can write to for {purpose}"


@contextlib.contextmanager
def writing(path, flag=None, purpose="the output"):
    """A block that writes ``path``: an OSError raised inside (a full, read-only or virtual file
    system) leaves it as an OutputPathError naming ``path``, the OS's reason and what to do."""
    try:
        yield
    except OSError as err:
        raise OutputPathError(f"{_where(path, flag)}: cannot be written ({err.strerror or err}); "
                              f"{write_remedy(err, purpose)}") from None


def _first_free(home, prefix, suffix, create):
    """``create(path)`` for the first ``home/<prefix><pid>.<n><suffix>`` it makes (FileExistsError: the next ``n``)."""
    for attempt in itertools.count():
        try:
            return create(Path(home) / f"{prefix}{os.getpid()}.{attempt}{suffix}")
        except FileExistsError:
            continue


def new_folder_in(home, prefix):
    """A new, uniquely named folder ``home/<prefix><pid>.<n>`` with the permissions ``mkdir`` gives (the umask's).

    A staged output is renamed into place, so it keeps its staging folder's mode: ``tempfile.mkdtemp``'s
    owner-only 0700 would leave a user's OUT_DIR unreadable to the rest of the team.
    """
    def make(path):
        path.mkdir()
        return path

    return _first_free(home, prefix, "", make)


def _new_file_in(home, prefix, suffix):
    """``(descriptor, path)`` of a new, uniquely named file ``home/<prefix><pid>.<n><suffix>``, open for writing,
    with the permissions ``open`` gives (0666 less the umask), unlike ``tempfile.mkstemp``'s owner-only 0600."""
    return _first_free(home, prefix, suffix, lambda path: (os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), str(path)))


def write_text(path, text, flag=None, purpose="the output"):
    """Write ``text`` (UTF-8) to ``path`` through a temporary file beside it, renamed once complete.

    The parent folders are created. On any error the temporary file is removed and a file
    already at ``path`` is left as it was.

    Raises:
        OutputPathError: as :func:`check_file`, or the OS refused a step (its reason in the message).
    """
    path = check_file(path, flag, purpose)
    tmp = None
    try:
        with writing(path, flag, purpose):
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, tmp = _new_file_in(path.parent, f".{path.name}.", ".part")
            with os.fdopen(handle, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    return path


@contextlib.contextmanager
def staged_folder(path, flag=None, purpose="the output", last=None):
    """A block that writes a folder's files into a temporary folder (yielded); they reach ``path`` only
    when the block completes.

    A new ``path`` is the temporary folder, made beside it, renamed; into an existing one (whose parent
    may be read-only) the files are moved one by one from a temporary folder inside it (the one named
    ``last``, e.g. a checkpoint's state file, after the others), and its other files are kept. The
    temporary folder is removed whatever happens; the folder made has the umask's permissions.

    Raises:
        OutputPathError: as :func:`check_folder`, or an OSError inside the block or while moving.
    """
    path = check_folder(path, flag, purpose)
    home = path if path.is_dir() else make_folder(path.parent, flag, purpose)
    staging = None
    try:
        with writing(path, flag, purpose):  # a full, read-only or virtual file system: one line
            staging = new_folder_in(home, f".{path.name}.")
            yield staging
            if not path.exists():
                os.replace(staging, path)
            else:
                for item in sorted(staging.iterdir(), key=lambda p: p.name == last):
                    os.replace(item, path / item.name)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
