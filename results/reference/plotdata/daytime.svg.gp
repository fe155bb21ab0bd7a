set terminal svg enhanced dynamic font 'sans,10' size 1100,900
set output 'daytime.svg'
set grid lc rgb '#dddddd'
set border lc rgb '#444444'
set datafile missing 'NaN'
set multiplot layout 2,1 title 'Daytime: a new connection per request' font ',12'
set logscale x 2
set xtics (1, 16, 1024)
set xlabel 'concurrent connections (log scale)'
set xrange [0.666667:1536]
set key outside right top vertical
set lmargin 12
set rmargin 26
set ylabel 'connections per second'
set yrange [0:*]
set format y '%.0s%c'
plot 'plotdata/daytime__iterative.dat' using 1:2:3:4 with yerrorlines lc rgb '#7f7f7f' lw 1.5 pt 7 ps 0.6  title 'iterative', \
  'plotdata/daytime__fork.dat' using 1:2:3:4 with yerrorlines lc rgb '#d62728' lw 1.5 pt 7 ps 0.6  title 'fork', \
  'plotdata/daytime__fork_prefork.dat' using 1:2:3:4 with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6  title 'fork prefork', \
  'plotdata/daytime__thread.dat' using 1:2:3:4 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6  title 'thread', \
  'plotdata/daytime__thread_pool.dat' using 1:2:3:4 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6  title 'thread pool', \
  'plotdata/daytime__select.dat' using 1:2:3:4 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6  title 'select', \
  'plotdata/daytime__epoll.dat' using 1:2:3:4 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  title 'epoll', \
  'plotdata/daytime__libevent.dat' using 1:2:3:4 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6  title 'libevent', \
  'plotdata/daytime__iocp-emul.dat' using 1:2:3:4 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6  title 'iocp-emul', \
  'plotdata/daytime__pth.dat' using 1:2:3:4 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6  title 'pth', \
  'plotdata/daytime__st.dat' using 1:2:3:4 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6  title 'st', \
  'plotdata/daytime__uthread.dat' using 1:2:3:4 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6  title 'uthread', \
  'plotdata/daytime__iterative.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' title 'client-bound', \
  'plotdata/daytime__fork_prefork.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__thread_pool.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__select.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__epoll.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__libevent.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__iocp-emul.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__pth.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__st.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__uthread.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle
set logscale y
set yrange [*:*]
set format y '%g'
set ylabel 'latency, ms (log scale)'
set label 1 'solid: p50   dashed: p99' at graph 0.02, graph 0.93
plot 'plotdata/daytime__iterative.dat' using 1:5:6:7 with yerrorlines lc rgb '#7f7f7f' lw 1.5 pt 7 ps 0.6  title 'iterative', \
  'plotdata/daytime__fork.dat' using 1:5:6:7 with yerrorlines lc rgb '#d62728' lw 1.5 pt 7 ps 0.6  title 'fork', \
  'plotdata/daytime__fork_prefork.dat' using 1:5:6:7 with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6  title 'fork prefork', \
  'plotdata/daytime__thread.dat' using 1:5:6:7 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6  title 'thread', \
  'plotdata/daytime__thread_pool.dat' using 1:5:6:7 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6  title 'thread pool', \
  'plotdata/daytime__select.dat' using 1:5:6:7 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6  title 'select', \
  'plotdata/daytime__epoll.dat' using 1:5:6:7 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  title 'epoll', \
  'plotdata/daytime__libevent.dat' using 1:5:6:7 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6  title 'libevent', \
  'plotdata/daytime__iocp-emul.dat' using 1:5:6:7 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6  title 'iocp-emul', \
  'plotdata/daytime__pth.dat' using 1:5:6:7 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6  title 'pth', \
  'plotdata/daytime__st.dat' using 1:5:6:7 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6  title 'st', \
  'plotdata/daytime__uthread.dat' using 1:5:6:7 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6  title 'uthread', \
  'plotdata/daytime__iterative.dat' using 1:8:9:10 with yerrorlines lc rgb '#7f7f7f' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/daytime__fork.dat' using 1:8:9:10 with yerrorlines lc rgb '#d62728' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/daytime__fork_prefork.dat' using 1:8:9:10 with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/daytime__thread.dat' using 1:8:9:10 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/daytime__thread_pool.dat' using 1:8:9:10 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/daytime__select.dat' using 1:8:9:10 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/daytime__epoll.dat' using 1:8:9:10 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/daytime__libevent.dat' using 1:8:9:10 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/daytime__iocp-emul.dat' using 1:8:9:10 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/daytime__pth.dat' using 1:8:9:10 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/daytime__st.dat' using 1:8:9:10 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/daytime__uthread.dat' using 1:8:9:10 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 dt 2 notitle
unset label 1
unset logscale y
unset multiplot
set output
