set terminal svg enhanced dynamic font 'sans,10' size 1500,1160
set output 'ousterhout.svg'
set grid lc rgb '#dddddd'
set border lc rgb '#444444'
set datafile missing 'NaN'
set multiplot title 'Events against threads: plaintext keep-alive, server on CPU 0' font ',12'
set logscale x 2
set xtics (100, 1000)
set xlabel 'concurrent connections (log scale)'
set xrange [66.6667:1500]
unset key
set lmargin at screen 0.0520
set rmargin at screen 0.2793
set tmargin at screen 0.9466
set bmargin at screen 0.7461
set title 'processes and kernel threads' noenhanced
set ylabel 'server CPU µs per request'
set format y '%g'
unset xlabel
set format x ''
unset logscale y
set yrange [0:27.3525]
plot 'plotdata/ousterhout__thread.dat' using 1:21:22:23 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6  notitle
unset label 1
unset label 2
set lmargin at screen 0.2887
set rmargin at screen 0.5160
set tmargin at screen 0.9466
set bmargin at screen 0.7461
set title 'readiness loops' noenhanced
unset ylabel
set format y ''
unset xlabel
set format x ''
unset logscale y
set yrange [0:27.3525]
plot 'plotdata/ousterhout__select.dat' using 1:21:22:23 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__epoll.dat' using 1:21:22:23 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__libevent.dat' using 1:21:22:23 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__select.dat' using 1:($11 > 0 ? $21 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout__epoll.dat' using 1:($11 > 0 ? $21 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout__libevent.dat' using 1:($11 > 0 ? $21 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle
unset label 1
unset label 2
set lmargin at screen 0.5253
set rmargin at screen 0.7527
set tmargin at screen 0.9466
set bmargin at screen 0.7461
set title 'completion' noenhanced
unset ylabel
set format y ''
unset xlabel
set format x ''
unset logscale y
set yrange [0:27.3525]
plot 'plotdata/ousterhout__uring.dat' using 1:21:22:23 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__uring.dat' using 1:($11 > 0 ? $21 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle
unset label 1
unset label 2
set lmargin at screen 0.7620
set rmargin at screen 0.9893
set tmargin at screen 0.9466
set bmargin at screen 0.7461
set title 'user-level threads' noenhanced
unset ylabel
set format y ''
unset xlabel
set format x ''
unset logscale y
set yrange [0:27.3525]
plot 'plotdata/ousterhout__pth.dat' using 1:21:22:23 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__st.dat' using 1:21:22:23 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__uthread.dat' using 1:21:22:23 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__st.dat' using 1:($11 > 0 ? $21 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout__uthread.dat' using 1:($11 > 0 ? $21 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle
unset label 1
unset label 2
set lmargin at screen 0.0520
set rmargin at screen 0.2793
set tmargin at screen 0.7323
set bmargin at screen 0.5319
unset title
set ylabel 'requests per second'
set format y '%.0s%c'
unset xlabel
set format x ''
unset logscale y
set yrange [0:208492]
plot 'plotdata/ousterhout__thread.dat' using 1:2:3:4 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6  notitle
unset label 1
unset label 2
set lmargin at screen 0.2887
set rmargin at screen 0.5160
set tmargin at screen 0.7323
set bmargin at screen 0.5319
unset title
unset ylabel
set format y ''
unset xlabel
set format x ''
unset logscale y
set yrange [0:208492]
plot 'plotdata/ousterhout__select.dat' using 1:2:3:4 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__epoll.dat' using 1:2:3:4 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__libevent.dat' using 1:2:3:4 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__select.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout__epoll.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout__libevent.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle
unset label 1
unset label 2
set lmargin at screen 0.5253
set rmargin at screen 0.7527
set tmargin at screen 0.7323
set bmargin at screen 0.5319
unset title
unset ylabel
set format y ''
unset xlabel
set format x ''
unset logscale y
set yrange [0:208492]
plot 'plotdata/ousterhout__uring.dat' using 1:2:3:4 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__uring.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle
unset label 1
unset label 2
set lmargin at screen 0.7620
set rmargin at screen 0.9893
set tmargin at screen 0.7323
set bmargin at screen 0.5319
unset title
unset ylabel
set format y ''
unset xlabel
set format x ''
unset logscale y
set yrange [0:208492]
plot 'plotdata/ousterhout__pth.dat' using 1:2:3:4 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__st.dat' using 1:2:3:4 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__uthread.dat' using 1:2:3:4 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__st.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout__uthread.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle
unset label 1
unset label 2
set lmargin at screen 0.0520
set rmargin at screen 0.2793
set tmargin at screen 0.5181
set bmargin at screen 0.3177
unset title
set ylabel 'context switches per request'
set format y '%g'
unset xlabel
set format x ''
unset logscale y
set yrange [0:1.12657]
plot 'plotdata/ousterhout__thread.dat' using 1:12:13:14 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6  notitle
unset label 1
unset label 2
set lmargin at screen 0.2887
set rmargin at screen 0.5160
set tmargin at screen 0.5181
set bmargin at screen 0.3177
unset title
unset ylabel
set format y ''
unset xlabel
set format x ''
unset logscale y
set yrange [0:1.12657]
plot 'plotdata/ousterhout__select.dat' using 1:12:13:14 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__epoll.dat' using 1:12:13:14 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__libevent.dat' using 1:12:13:14 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6  notitle
unset label 1
unset label 2
set lmargin at screen 0.5253
set rmargin at screen 0.7527
set tmargin at screen 0.5181
set bmargin at screen 0.3177
unset title
unset ylabel
set format y ''
unset xlabel
set format x ''
unset logscale y
set yrange [0:1.12657]
plot 'plotdata/ousterhout__uring.dat' using 1:12:13:14 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6  notitle
unset label 1
unset label 2
set lmargin at screen 0.7620
set rmargin at screen 0.9893
set tmargin at screen 0.5181
set bmargin at screen 0.3177
unset title
unset ylabel
set format y ''
unset xlabel
set format x ''
unset logscale y
set yrange [0:1.12657]
plot 'plotdata/ousterhout__pth.dat' using 1:12:13:14 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__st.dat' using 1:12:13:14 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__uthread.dat' using 1:12:13:14 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6  notitle
unset label 1
unset label 2
set lmargin at screen 0.0520
set rmargin at screen 0.2793
set tmargin at screen 0.3039
set bmargin at screen 0.1034
unset title
set ylabel 'server peak RSS, MiB'
set format y '%g'
set xlabel 'concurrent connections (log scale)'
set format x '%g'
unset logscale y
set yrange [0:17.8917]
plot 'plotdata/ousterhout__thread.dat' using 1:15:16:17 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6  notitle
unset label 1
unset label 2
set lmargin at screen 0.2887
set rmargin at screen 0.5160
set tmargin at screen 0.3039
set bmargin at screen 0.1034
unset title
unset ylabel
set format y ''
set xlabel 'concurrent connections (log scale)'
set format x '%g'
unset logscale y
set yrange [0:17.8917]
plot 'plotdata/ousterhout__select.dat' using 1:15:16:17 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__epoll.dat' using 1:15:16:17 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__libevent.dat' using 1:15:16:17 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6  notitle
unset label 1
unset label 2
set lmargin at screen 0.5253
set rmargin at screen 0.7527
set tmargin at screen 0.3039
set bmargin at screen 0.1034
unset title
unset ylabel
set format y ''
set xlabel 'concurrent connections (log scale)'
set format x '%g'
unset logscale y
set yrange [0:17.8917]
plot 'plotdata/ousterhout__uring.dat' using 1:15:16:17 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6  notitle
unset label 1
unset label 2
set lmargin at screen 0.7620
set rmargin at screen 0.9893
set tmargin at screen 0.3039
set bmargin at screen 0.1034
unset title
unset ylabel
set format y ''
set xlabel 'concurrent connections (log scale)'
set format x '%g'
unset logscale y
set yrange [0:17.8917]
plot 'plotdata/ousterhout__pth.dat' using 1:15:16:17 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__st.dat' using 1:15:16:17 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout__uthread.dat' using 1:15:16:17 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6  notitle
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
set tmargin at screen 0.0672
set bmargin at screen 0.0190
plot NaN with linespoints lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6 title 'thread'
set lmargin at screen 0.2887
set rmargin at screen 0.5160
set tmargin at screen 0.0672
set bmargin at screen 0.0190
plot NaN with linespoints lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6 title 'select', NaN with linespoints lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 title 'epoll', NaN with linespoints lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6 title 'libevent'
set lmargin at screen 0.5253
set rmargin at screen 0.7527
set tmargin at screen 0.0672
set bmargin at screen 0.0190
plot NaN with linespoints lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 title 'uring'
set lmargin at screen 0.7620
set rmargin at screen 0.9893
set tmargin at screen 0.0672
set bmargin at screen 0.0190
plot NaN with linespoints lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6 title 'pth', NaN with linespoints lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 title 'st', NaN with linespoints lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 title 'uthread'
set lmargin at screen 0.0520
set rmargin at screen 0.9893
set tmargin at screen 0.0190
set bmargin at screen 0
set key inside center center horizontal maxrows 1
plot NaN with points pt 6 ps 2 lw 1.5 lc rgb 'black' title 'client-bound (the load generator was the limit)'
unset multiplot
unset multiplot
set output
