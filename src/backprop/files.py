"""Writing a file so that nothing is ever lost: the one atomic writer of backprop.

A file is written to a temporary file in the same directory (``.tmp-NAME.XXXX.EXT``,
EXT the target's extension, so that a cleanup can find it by pattern),
flushed and ``fsync``-ed to the disk, renamed onto its final name with
``os.replace`` (atomic on POSIX and Windows), and the directory is ``fsync``-ed
too (where the OS allows), so that the rename itself survives a power cut. On
any failure on the way (an exception, a full disk, Ctrl-C) the temporary file
is removed and the exception goes on: the final name holds the old file or the
whole new one, never half of one.

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> with atomic_write(os.path.join(folder, "notes.txt"), "w") as f:
...     _ = f.write("hello")
>>> os.listdir(folder), open(os.path.join(folder, "notes.txt")).read()
(['notes.txt'], 'hello')
"""
import contextlib
import fnmatch
import os
import tempfile

__all__ = ["atomic_write", "atomic_path", "files_of", "remove_files", "temporary_pattern"]


@contextlib.contextmanager
def atomic_path(path, suffix=None):
    """A temporary path beside ``path`` to write to, for writers that take a path (``safetensors.save_file``);
    after the block it is flushed to disk and renamed onto ``path``; on any failure it is removed (an OSError
    that names no file, or the temporary one, is raised again naming ``path``). ``suffix`` ends the temporary
    name (default: ``path``'s extension)."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    name = os.path.basename(path)
    suffix = os.path.splitext(name)[1][:20] if suffix is None else suffix
    # the temporary name stays within the 255 bytes of a file name
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=temporary_pattern(name)[:-1], suffix=suffix)
    try:
        os.close(handle)
        yield temporary
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp made it private; the file gets a normal file's mode
        _fsync(temporary)
        os.replace(temporary, path)
    except BaseException as error:  # KeyboardInterrupt and a full disk too: no temporary file stays behind
        with contextlib.suppress(OSError):
            os.remove(temporary)
        if isinstance(error, OSError) and error.errno is not None and error.filename in (None, temporary):
            # a write to a full disk names no file, or the temporary one: the error names the file being written
            raise OSError(error.errno, error.strerror or os.strerror(error.errno), path) from error
        raise
    _fsync_directory(directory)


def temporary_pattern(name):
    """The ``fnmatch`` pattern of the temporary files ``atomic_path`` writes for the target ``name``: what a writer
    killed mid-write leaves behind, for a cleanup to find.

    >>> temporary_pattern("history.json")
    '.tmp-history.json.*'
    """
    return f".tmp-{name[:40]}.*"  # the name cut so that the temporary one stays within 255 bytes


def files_of(directory, names=(), patterns=()):
    """The plain files of ``directory`` that ``names`` lists or one of ``patterns`` (``fnmatch``) matches, sorted;
    none when ``directory`` is no directory."""
    if not os.path.isdir(directory):
        return []
    return sorted(name for name in os.listdir(directory) if os.path.isfile(os.path.join(directory, name))
                  and (name in names or any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)))


def remove_files(directory, names=(), patterns=()):
    """Remove the files ``files_of(directory, names, patterns)`` lists (other files and folders stay); returns their
    names."""
    removed = files_of(directory, names, patterns)
    for name in removed:
        os.remove(os.path.join(directory, name))
    return removed


@contextlib.contextmanager
def atomic_write(path, mode="wb", suffix=None, **open_options):
    """``with atomic_write(path, "wb") as f: f.write(...)``: an open file ("w" text or "wb" bytes;
    ``open_options`` such as ``encoding`` go to ``open``) whose content replaces ``path`` only when the block
    ends without an exception."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write: mode must be 'w' or 'wb', got {mode!r}")
    with atomic_path(path, suffix) as temporary:
        with open(temporary, mode, **open_options) as file:
            yield file


def _umask():
    """The process's umask (read by setting it: ``os.umask`` has no getter)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def _fsync(path):
    """Flush a file's bytes to the disk; an error (EIO, a full disk found late) stops the rename."""
    handle = os.open(path, os.O_RDWR)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _fsync_directory(directory):
    """Flush a directory's list of entries, so that a rename survives a power cut, where the OS allows."""
    try:
        handle = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:  # Windows opens no directories
        return
    try:
        os.fsync(handle)
    except OSError:  # nor do some file systems fsync them
        pass
    finally:
        os.close(handle)
