set terminal pngcairo enhanced font 'sans,10' size 1500,860
set output 'seda_all.png'
set grid lc rgb '#dddddd'
set border lc rgb '#444444'
set datafile missing 'NaN'
set multiplot title 'SEDA task: 8 KB file over keep-alive HTTP, by family of models (figure 2: first panel; figure 4: the others)' font ',12'
set logscale x 2
set xtics (16, 1024, 16384)
set xlabel 'concurrent connections (log scale)'
set xrange [10.6667:24576]
unset key
set lmargin at screen 0.0520
set rmargin at screen 0.2793
set tmargin at screen 0.9279
set bmargin at screen 0.5523
set title 'processes and kernel threads' noenhanced
set ylabel 'requests per second'
set format y '%.0s%c'
unset xlabel
set format x ''
unset logscale y
set yrange [0:110001]
plot 'plotdata/seda_all__thread.dat' using 1:2:3:4 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__thread_pool.dat' using 1:2:3:4 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__fork.dat' using 1:2:3:4 with yerrorlines lc rgb '#d62728' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__fork_prefork.dat' using 1:2:3:4 with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__thread_pool.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/seda_all__fork.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/seda_all__fork_prefork.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/seda_all__thread.dat' using 1:($20 > 0 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/seda_all__thread_pool.dat' using 1:($20 > 0 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/seda_all__fork.dat' using 1:($20 > 0 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/seda_all__fork_prefork.dat' using 1:($20 > 0 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle
unset label 1
unset label 2
set lmargin at screen 0.2887
set rmargin at screen 0.5160
set tmargin at screen 0.9279
set bmargin at screen 0.5523
set title 'readiness loops' noenhanced
unset ylabel
set format y ''
unset xlabel
set format x ''
unset logscale y
set yrange [0:110001]
plot 'plotdata/seda_all__select.dat' using 1:2:3:4 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__epoll.dat' using 1:2:3:4 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__libevent.dat' using 1:2:3:4 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__select.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/seda_all__epoll.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle
unset label 1
unset label 2
set lmargin at screen 0.5253
set rmargin at screen 0.7527
set tmargin at screen 0.9279
set bmargin at screen 0.5523
set title 'completion' noenhanced
unset ylabel
set format y ''
unset xlabel
set format x ''
unset logscale y
set yrange [0:110001]
plot 'plotdata/seda_all__iocp-emul.dat' using 1:2:3:4 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__uring.dat' using 1:2:3:4 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6  notitle
unset label 1
unset label 2
set lmargin at screen 0.7620
set rmargin at screen 0.9893
set tmargin at screen 0.9279
set bmargin at screen 0.5523
set title 'user-level threads' noenhanced
unset ylabel
set format y ''
unset xlabel
set format x ''
unset logscale y
set yrange [0:110001]
plot 'plotdata/seda_all__pth.dat' using 1:2:3:4 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__st.dat' using 1:2:3:4 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__uthread.dat' using 1:2:3:4 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6  notitle
unset label 1
unset label 2
set lmargin at screen 0.0520
set rmargin at screen 0.2793
set tmargin at screen 0.5337
set bmargin at screen 0.1581
unset title
set ylabel 'latency, ms (log scale)'
set format y '%g'
set xlabel 'concurrent connections (log scale)'
set format x '%g'
set logscale y
set yrange [0.102143:546.202]
set label 1 'solid: p50   dashed: p99' at graph 0.03, graph 0.92 front
plot 'plotdata/seda_all__thread.dat' using 1:5:6:7 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__thread_pool.dat' using 1:5:6:7 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__fork.dat' using 1:5:6:7 with yerrorlines lc rgb '#d62728' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__fork_prefork.dat' using 1:5:6:7 with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__thread.dat' using 1:8:9:10 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/seda_all__thread_pool.dat' using 1:8:9:10 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/seda_all__fork.dat' using 1:8:9:10 with yerrorlines lc rgb '#d62728' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/seda_all__fork_prefork.dat' using 1:8:9:10 with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/seda_all__thread_pool.dat' using 1:($18 >= 0.01 ? $8 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/seda_all__fork.dat' using 1:($18 >= 0.01 ? $8 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/seda_all__fork_prefork.dat' using 1:($18 >= 0.01 ? $8 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/seda_all__thread.dat' using 1:($20 > 0 ? $8 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/seda_all__thread_pool.dat' using 1:($20 > 0 ? $8 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/seda_all__fork.dat' using 1:($20 > 0 ? $8 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/seda_all__fork_prefork.dat' using 1:($20 > 0 ? $8 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle
unset label 1
unset label 2
set lmargin at screen 0.2887
set rmargin at screen 0.5160
set tmargin at screen 0.5337
set bmargin at screen 0.1581
unset title
unset ylabel
set format y ''
set xlabel 'concurrent connections (log scale)'
set format x '%g'
set logscale y
set yrange [0.102143:546.202]
plot 'plotdata/seda_all__select.dat' using 1:5:6:7 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__epoll.dat' using 1:5:6:7 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__libevent.dat' using 1:5:6:7 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__select.dat' using 1:8:9:10 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/seda_all__epoll.dat' using 1:8:9:10 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/seda_all__libevent.dat' using 1:8:9:10 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/seda_all__select.dat' using 1:($11 > 0 ? $8 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/seda_all__epoll.dat' using 1:($11 > 0 ? $8 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle
unset label 1
unset label 2
set lmargin at screen 0.5253
set rmargin at screen 0.7527
set tmargin at screen 0.5337
set bmargin at screen 0.1581
unset title
unset ylabel
set format y ''
set xlabel 'concurrent connections (log scale)'
set format x '%g'
set logscale y
set yrange [0.102143:546.202]
plot 'plotdata/seda_all__iocp-emul.dat' using 1:5:6:7 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__uring.dat' using 1:5:6:7 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__iocp-emul.dat' using 1:8:9:10 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/seda_all__uring.dat' using 1:8:9:10 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 dt 2 notitle
unset label 1
unset label 2
set lmargin at screen 0.7620
set rmargin at screen 0.9893
set tmargin at screen 0.5337
set bmargin at screen 0.1581
unset title
unset ylabel
set format y ''
set xlabel 'concurrent connections (log scale)'
set format x '%g'
set logscale y
set yrange [0.102143:546.202]
plot 'plotdata/seda_all__pth.dat' using 1:5:6:7 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__st.dat' using 1:5:6:7 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__uthread.dat' using 1:5:6:7 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/seda_all__pth.dat' using 1:8:9:10 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/seda_all__st.dat' using 1:8:9:10 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/seda_all__uthread.dat' using 1:8:9:10 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 dt 2 notitle
unset label 1
unset label 2
unset logscale
unset border
unset tics
unset grid
unset title
unset xlabel
unset ylabel
set xrange [0:1]
set yrange [0:1]
set key inside center top vertical noenhanced
set lmargin at screen 0.0520
set rmargin at screen 0.2793
set tmargin at screen 0.1093
set bmargin at screen 0.0256
plot NaN with linespoints lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6 title 'thread', NaN with linespoints lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 title 'thread pool', NaN with linespoints lc rgb '#d62728' lw 1.5 pt 7 ps 0.6 title 'fork', NaN with linespoints lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6 title 'fork prefork'
set lmargin at screen 0.2887
set rmargin at screen 0.5160
set tmargin at screen 0.1093
set bmargin at screen 0.0256
plot NaN with linespoints lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6 title 'select', NaN with linespoints lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 title 'epoll', NaN with linespoints lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6 title 'libevent'
set lmargin at screen 0.5253
set rmargin at screen 0.7527
set tmargin at screen 0.1093
set bmargin at screen 0.0256
plot NaN with linespoints lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 title 'iocp-emul', NaN with linespoints lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 title 'uring'
set lmargin at screen 0.7620
set rmargin at screen 0.9893
set tmargin at screen 0.1093
set bmargin at screen 0.0256
plot NaN with linespoints lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6 title 'pth', NaN with linespoints lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 title 'st', NaN with linespoints lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 title 'uthread'
set lmargin at screen 0.0520
set rmargin at screen 0.9893
set tmargin at screen 0.0256
set bmargin at screen 0
set key inside center center horizontal maxrows 1
plot NaN with points pt 6 ps 2 lw 1.5 lc rgb 'black' title 'client-bound (the load generator was the limit)', NaN with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' title '>= 1% errors', NaN with points pt 8 ps 2.2 lw 2 lc rgb 'black' title 'starved (< 99% of connections served)'
unset multiplot
unset multiplot
set output
