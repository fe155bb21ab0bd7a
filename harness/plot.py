#!/usr/bin/env python3
"""plot.py - the plots of a results folder, drawn by gnuplot, as PNG and SVG.

    python3 harness/plot.py results/latest

Each plot shows the figure its experiment's verdict uses (sections/<name>.py), the median
of the repetitions with min/max error bars; a point where the client, not the server, was the
limit in any repetition is circled in black ("client-bound"), one where at least 1 % of the
requests failed gets a red cross, a starved one a triangle; one legend entry per model and per
marker kind, and a figure with more than six models is drawn as panels by family.  The data
gnuplot reads and the .gp scripts are kept in <folder>/plotdata/ so a plot can be redrawn or
restyled by hand.
PNG uses the pngcairo terminal when gnuplot has it, else png (libgd).
"""

import os
import shutil
import sys

import runs
from plot_lib import terminals
from sections import SECTIONS


def make_all(folder):
    """Every plot the folder's runs.csv has data for; returns the files written."""
    if not shutil.which("gnuplot"):
        raise RuntimeError("gnuplot not found (apt-get install gnuplot-nox)")
    points = runs.aggregate(runs.load(os.path.join(folder, "runs.csv")))
    terms = terminals()
    made = []
    for sec in SECTIONS:
        made += sec.plot(folder, points, terms)
    return made


def main(argv):
    if len(argv) != 1:
        print("usage: plot.py RESULTS_FOLDER", file=sys.stderr)
        return 2
    for path in make_all(argv[0]):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
