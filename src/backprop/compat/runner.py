"""``backprop run PROGRAM.py [ARGS...]``: a PyTorch program run as ``python PROGRAM.py ARGS`` would run it,
with ``torch`` resolved to backprop.

As Python does: ``sys.argv`` is ``[PROGRAM.py, *ARGS]``, ``__name__`` is
``"__main__"``, ``__file__`` the program's absolute path, ``sys.path[0]`` its
directory (so its own modules import), relative paths are relative to the
current directory, and ``sys.exit(code)`` gives the exit code. ``error_line``
turns an uncaught exception into the one line the command prints:
``PROGRAM.py:LINE: ErrorType: message``, LINE the innermost line of the
program's own files that the error passed through.
"""
import builtins
import os
import site
import sys
import sysconfig
import tokenize
import types

from backprop.compat import hook

__all__ = ["run_program", "error_line", "exit_code"]


def run_program(program, args=()):
    """Run ``program`` with the hook installed; returns when it ends, raises what it raises (SystemExit too).

    sys.argv, sys.path and the hook are as before afterwards.
    """
    path = os.path.abspath(program)
    saved_argv, saved_path, had_hook = sys.argv, list(sys.path), hook.is_installed()
    hook.install()
    sys.argv = [program, *args]
    directory = os.path.dirname(os.path.realpath(path))
    if sys.path:
        sys.path[0] = directory
    else:
        sys.path.append(directory)
    saved_main = sys.modules.get("__main__")
    try:
        _execute(path)
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
        if not had_hook:
            hook.uninstall()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass


def _execute(path):
    """Run the file at ``path`` as the ``__main__`` module (what ``python PATH`` does once sys.argv and
    sys.path are set; runpy.run_path would change sys.argv[0] to ``path``)."""
    with tokenize.open(path) as file:  # the encoding its coding line or BOM declares, as Python reads it
        source = file.read()
    code = compile(source, path, "exec")
    main = types.ModuleType("__main__")
    main.__file__, main.__builtins__, main.__cached__ = path, builtins, None
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


def exit_code(error):
    """The exit code of ``SystemExit(code)`` as Python gives it, and the message it prints (or None)."""
    code = error.code
    if code is None:
        return 0, None
    if isinstance(code, int):
        return code, None
    return 1, str(code)


def _outside_dirs():
    """Directories whose files are not the program's: installed packages and backprop itself."""
    dirs = {sys.prefix, sys.base_prefix, sysconfig.get_paths()["stdlib"], os.path.dirname(os.path.dirname(hook.__file__))}
    dirs.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    return [os.path.realpath(d) for d in dirs if d]


def _inside(path, directory):
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _shown(filename, program):
    if os.path.realpath(filename) == os.path.realpath(program):
        return program
    relative = os.path.relpath(filename)
    return filename if relative.startswith("..") else relative


def error_line(error, program):
    """``PROGRAM.py:LINE: ErrorType: message`` for an exception the program raised (one line)."""
    message = " ".join(str(error).split("\n")).strip()
    kind = type(error).__name__
    text = f"{kind}: {message}" if message else kind
    own = os.path.dirname(os.path.realpath(program))
    outside = _outside_dirs()
    where = None
    tb = error.__traceback__
    while tb is not None:
        filename = os.path.realpath(tb.tb_frame.f_code.co_filename)
        if _inside(filename, own) and not any(_inside(filename, d) and not _inside(own, d) for d in outside):
            where = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    if where is None and isinstance(error, SyntaxError) and error.filename and error.lineno:
        where = (error.filename, error.lineno)
        text = f"{kind}: {error.msg}"
    if where is None:
        return f"{program}: {text}"
    return f"{_shown(where[0], program)}:{where[1]}: {text}"
