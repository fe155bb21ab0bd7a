set terminal svg enhanced dynamic font 'sans,10' size 1100,900
set output 'seda_fig2.svg'
set grid lc rgb '#dddddd'
set border lc rgb '#444444'
set datafile missing 'NaN'
set multiplot layout 2,1 title 'SEDA figure 2: thread-per-connection, thread pool, fork; 8 KB file, keep-alive' font ',12'
set logscale x 2
set xtics (1, 16, 64, 256, 1024, 4096, 16384)
set xlabel 'concurrent connections (log scale)'
set xrange [0.666667:24576]
set key outside right top vertical
set lmargin 12
set rmargin 26
set ylabel 'requests per second'
set yrange [0:*]
set format y '%.0s%c'
plot 'plotdata/seda_fig2__thread.dat' using 1:2:3:4 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6  title 'thread', \
  'plotdata/seda_fig2__thread_pool.dat' using 1:2:3:4 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6  title 'thread pool', \
  'plotdata/seda_fig2__fork.dat' using 1:2:3:4 with yerrorlines lc rgb '#d62728' lw 1.5 pt 7 ps 0.6  title 'fork', \
  'plotdata/seda_fig2__fork_prefork.dat' using 1:2:3:4 with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6  title 'fork prefork', \
  'plotdata/seda_fig2__thread.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' title '>= 1% errors', \
  'plotdata/seda_fig2__thread_pool.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/seda_fig2__fork.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/seda_fig2__fork_prefork.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/seda_fig2__thread.dat' using 1:($1 == 1024 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#1f77b4' title 'starved: 454 of 1024 served (thread)', \
  'plotdata/seda_fig2__thread.dat' using 1:($1 == 4096 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#1f77b4' title 'starved: 347 of 4096 served (thread)', \
  'plotdata/seda_fig2__thread.dat' using 1:($1 == 16384 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#1f77b4' title 'starved: 368 of 16384 served (thread)', \
  'plotdata/seda_fig2__thread_pool.dat' using 1:($1 == 256 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#6baed6' title 'starved: 64 of 256 served (thread pool)', \
  'plotdata/seda_fig2__thread_pool.dat' using 1:($1 == 1024 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#6baed6' title 'starved: 64 of 1024 served (thread pool)', \
  'plotdata/seda_fig2__thread_pool.dat' using 1:($1 == 4096 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#6baed6' title 'starved: 64 of 4096 served (thread pool)', \
  'plotdata/seda_fig2__thread_pool.dat' using 1:($1 == 16384 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#6baed6' title 'starved: 64 of 16384 served (thread pool)', \
  'plotdata/seda_fig2__fork.dat' using 1:($1 == 256 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#d62728' title 'starved: 155 of 256 served (fork)', \
  'plotdata/seda_fig2__fork.dat' using 1:($1 == 1024 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#d62728' title 'starved: 187 of 1024 served (fork)', \
  'plotdata/seda_fig2__fork.dat' using 1:($1 == 4096 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#d62728' title 'starved: 229 of 4096 served (fork)', \
  'plotdata/seda_fig2__fork.dat' using 1:($1 == 16384 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#d62728' title 'starved: 228 of 16384 served (fork)', \
  'plotdata/seda_fig2__fork_prefork.dat' using 1:($1 == 256 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#ff9896' title 'starved: 64 of 256 served (fork prefork)', \
  'plotdata/seda_fig2__fork_prefork.dat' using 1:($1 == 1024 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#ff9896' title 'starved: 64 of 1024 served (fork prefork)', \
  'plotdata/seda_fig2__fork_prefork.dat' using 1:($1 == 4096 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#ff9896' title 'starved: 64 of 4096 served (fork prefork)', \
  'plotdata/seda_fig2__fork_prefork.dat' using 1:($1 == 16384 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#ff9896' title 'starved: 64 of 16384 served (fork prefork)'
set logscale y
set yrange [*:*]
set format y '%g'
set ylabel 'latency, ms (log scale)'
set label 1 'solid: p50   dashed: p99' at graph 0.02, graph 0.93
plot 'plotdata/seda_fig2__thread.dat' using 1:5:6:7 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6  title 'thread', \
  'plotdata/seda_fig2__thread_pool.dat' using 1:5:6:7 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6  title 'thread pool', \
  'plotdata/seda_fig2__fork.dat' using 1:5:6:7 with yerrorlines lc rgb '#d62728' lw 1.5 pt 7 ps 0.6  title 'fork', \
  'plotdata/seda_fig2__fork_prefork.dat' using 1:5:6:7 with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6  title 'fork prefork', \
  'plotdata/seda_fig2__thread.dat' using 1:8:9:10 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/seda_fig2__thread_pool.dat' using 1:8:9:10 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/seda_fig2__fork.dat' using 1:8:9:10 with yerrorlines lc rgb '#d62728' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/seda_fig2__fork_prefork.dat' using 1:8:9:10 with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6 dt 2 notitle
unset label 1
unset logscale y
unset multiplot
set output
