"""sections - one module per experiment: its plots and its REPORT.md section.

Every module exposes
    NAME                          the experiment's name in experiments.py
    plot(folder, points, terms)   draws its plots into folder (points: runs.aggregate()
                                  of runs.csv, terms: plot_lib.terminals()); returns the
                                  files written, [] when runs.csv has no data for it
    section(run, made)            its markdown (run: report_lib.Run, made: every plot
                                  file written); "" when runs.csv has no data for it
SECTIONS is the order of the plots and of the sections in REPORT.md; a new
experiment's module gets one line below and one entry in SECTIONS.
"""

from sections import seda
from sections import ousterhout
from sections import blocking
from sections import daytime
from sections import crosscheck
from sections import peers
from sections import readiness
from sections import think
from sections import slowclients
from sections import cost
from sections import hassles

SECTIONS = [
    seda,
    ousterhout,
    blocking,
    daytime,
    crosscheck,
    peers,
    readiness,
    think,
    slowclients,
    cost,
    hassles,
]
