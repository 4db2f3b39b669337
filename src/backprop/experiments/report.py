"""``report.md`` of one experiment: the lecture's claim, the setup, the measured result beside it, a verdict.

An experiment fills a ``Report`` as it runs and ``write()`` puts it in its
output directory with its figures (PNG) and ``results.json`` (the measured
figures as plain values, for tests and for comparing runs).

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as out:
...     report = Report("demo", "A demonstration", "1 + 1 = 2.", out)
...     report.setup("Add one and one.")
...     report.table(["sum", "lecture"], [[1 + 1, 2]])
...     report.verdict(1 + 1 == 2, "the sum is 2, as claimed")
...     text = open(report.write()).read()
>>> text.splitlines()[-1]
'**Verdict: reproduced.** the sum is 2, as claimed'
"""
import contextlib
import json
import math
import os

import numpy

__all__ = ["Report", "VERDICT"]

VERDICT = "**Verdict: "


def _plain(value):
    """A JSON-ready copy of ``value``: NumPy scalars and arrays as Python numbers and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, numpy.ndarray):
        return value.tolist()
    if isinstance(value, numpy.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _cell(value):
    if isinstance(value, (float, numpy.floating)):
        return f"{value:.4g}"
    return str(value)


class Report:
    """What one run of an experiment found; ``write()`` makes ``out_dir/report.md`` and ``results.json``."""

    def __init__(self, name, title, claim, out_dir, quick=False):
        self.name, self.title, self.claim, self.out_dir, self.quick = name, title, claim, out_dir, quick
        self.sections, self.results, self.figures = [], {}, []
        self.reproduced, self.summary, self.seconds = None, None, None
        self._setup = []

    def setup(self, markdown):
        """How the experiment was run (data, model, training), as markdown."""
        self._setup.append(markdown.strip())

    def text(self, markdown):
        """A paragraph of the results."""
        self.sections.append(markdown.strip())

    def table(self, header, rows, caption=None):
        """A markdown table; numbers are written to four significant digits."""
        lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
        if caption:
            lines += ["", f"*{caption}*"]
        self.sections.append("\n".join(lines))

    def result(self, key, value):
        """A measured figure kept in ``results.json`` (plain values: numbers, strings, lists, dicts)."""
        self.results[key] = _plain(value)
        return value

    @contextlib.contextmanager
    def figure(self, file, caption, nrows=1, ncols=1, figsize=None):
        """``with report.figure("curves.png", "caption", ncols=2) as axes:`` draw on ``axes`` (a flat list).

        The figure is saved as ``out_dir/file`` when the block ends. Without
        matplotlib the block is skipped and the report says so.
        """
        from backprop.train import plots

        try:
            plt = plots._pyplot()
        except ImportError as error:
            self.sections.append(f"*{file} not drawn: {error}*")
            yield None
            return
        size = figsize or (4.5 * ncols, 3.5 * nrows)
        fig, axes = plt.subplots(nrows, ncols, figsize=size, squeeze=False)
        try:
            yield list(axes.flat)
            os.makedirs(self.out_dir, exist_ok=True)
            plots._save(fig, os.path.join(self.out_dir, file))
        finally:
            plt.close(fig)
        self.figures.append(file)
        self.sections.append(f"![{caption}]({file})\n\n*{caption}*")

    def verdict(self, reproduced, summary):
        """The last line of the report: whether the measured result agrees with the claim, and in what words."""
        self.reproduced, self.summary = bool(reproduced), summary.strip()

    def verdict_line(self):
        if self.reproduced is None:
            return f"{VERDICT}none.** the experiment gave no verdict"
        return f"{VERDICT}{'reproduced' if self.reproduced else 'not reproduced'}.** {self.summary}"

    def markdown(self):
        mode = " (quick mode: fewer seeds and epochs than the full run)" if self.quick else ""
        lines = [f"# {self.title}", "", f"**The lecture's claim.** {self.claim}", "", f"## Setup{mode}", ""]
        lines += ["\n\n".join(self._setup) or "-", "", "## Result", ""]
        lines += ["\n\n".join(self.sections) or "-", ""]
        if self.seconds is not None:
            lines += [f"Ran in {self.seconds:.1f} s.", ""]
        lines.append(self.verdict_line())
        return "\n".join(lines) + "\n"

    def write(self):
        """Write ``report.md`` and ``results.json`` into ``out_dir``; returns the report's path."""
        os.makedirs(self.out_dir, exist_ok=True)
        results = {"name": self.name, "quick": self.quick, "reproduced": self.reproduced, "summary": self.summary,
                   "seconds": self.seconds, "figures": self.figures, "results": self.results}
        with open(os.path.join(self.out_dir, "results.json"), "w") as handle:
            json.dump(results, handle, indent=1)
        path = os.path.join(self.out_dir, "report.md")
        with open(path, "w") as handle:
            handle.write(self.markdown())
        return path
