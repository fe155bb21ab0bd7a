set terminal pngcairo enhanced font 'sans,10' size 1500,700
set output 'ousterhout_2cpus.png'
set grid lc rgb '#dddddd'
set border lc rgb '#444444'
set datafile missing 'NaN'
set multiplot title 'Events against threads: plaintext keep-alive, server on CPUs 0-1' font ',12'
set logscale x 2
set xtics (100, 1000)
set xlabel 'concurrent connections (log scale)'
set xrange [66.6667:1500]
unset key
set lmargin at screen 0.0520
set rmargin at screen 0.3582
set tmargin at screen 0.9114
set bmargin at screen 0.5643
set title 'processes and kernel threads' noenhanced
set ylabel 'server CPU µs per request'
set format y '%g'
unset xlabel
set format x ''
unset logscale y
set yrange [0:21.0415]
plot 'plotdata/ousterhout_2cpus__thread.dat' using 1:21:22:23 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6  notitle
unset label 1
unset label 2
set lmargin at screen 0.3676
set rmargin at screen 0.6738
set tmargin at screen 0.9114
set bmargin at screen 0.5643
set title 'readiness loops' noenhanced
unset ylabel
set format y ''
unset xlabel
set format x ''
unset logscale y
set yrange [0:21.0415]
plot 'plotdata/ousterhout_2cpus__epoll.dat' using 1:21:22:23 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout_2cpus__epoll_reactors2.dat' using 1:21:22:23 with yerrorlines lc rgb '#74c476' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout_2cpus__epoll.dat' using 1:($11 > 0 ? $21 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout_2cpus__epoll_reactors2.dat' using 1:($11 > 0 ? $21 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle
unset label 1
unset label 2
set lmargin at screen 0.6831
set rmargin at screen 0.9893
set tmargin at screen 0.9114
set bmargin at screen 0.5643
set title 'user-level threads' noenhanced
unset ylabel
set format y ''
unset xlabel
set format x ''
unset logscale y
set yrange [0:21.0415]
plot 'plotdata/ousterhout_2cpus__pth.dat' using 1:21:22:23 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout_2cpus__st.dat' using 1:21:22:23 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout_2cpus__uthread.dat' using 1:21:22:23 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout_2cpus__uthread_schedulers2.dat' using 1:21:22:23 with yerrorlines lc rgb '#9edae5' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout_2cpus__st.dat' using 1:($11 > 0 ? $21 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout_2cpus__uthread.dat' using 1:($11 > 0 ? $21 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout_2cpus__uthread_schedulers2.dat' using 1:($11 > 0 ? $21 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle
unset label 1
unset label 2
set lmargin at screen 0.0520
set rmargin at screen 0.3582
set tmargin at screen 0.5414
set bmargin at screen 0.1943
unset title
set ylabel 'requests per second'
set format y '%.0s%c'
set xlabel 'concurrent connections (log scale)'
set format x '%g'
unset logscale y
set yrange [0:207109]
plot 'plotdata/ousterhout_2cpus__thread.dat' using 1:2:3:4 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6  notitle
unset label 1
unset label 2
set lmargin at screen 0.3676
set rmargin at screen 0.6738
set tmargin at screen 0.5414
set bmargin at screen 0.1943
unset title
unset ylabel
set format y ''
set xlabel 'concurrent connections (log scale)'
set format x '%g'
unset logscale y
set yrange [0:207109]
plot 'plotdata/ousterhout_2cpus__epoll.dat' using 1:2:3:4 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout_2cpus__epoll_reactors2.dat' using 1:2:3:4 with yerrorlines lc rgb '#74c476' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout_2cpus__epoll.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout_2cpus__epoll_reactors2.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle
unset label 1
unset label 2
set lmargin at screen 0.6831
set rmargin at screen 0.9893
set tmargin at screen 0.5414
set bmargin at screen 0.1943
unset title
unset ylabel
set format y ''
set xlabel 'concurrent connections (log scale)'
set format x '%g'
unset logscale y
set yrange [0:207109]
plot 'plotdata/ousterhout_2cpus__pth.dat' using 1:2:3:4 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout_2cpus__st.dat' using 1:2:3:4 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout_2cpus__uthread.dat' using 1:2:3:4 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout_2cpus__uthread_schedulers2.dat' using 1:2:3:4 with yerrorlines lc rgb '#9edae5' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/ousterhout_2cpus__st.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout_2cpus__uthread.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout_2cpus__uthread_schedulers2.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle
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
set rmargin at screen 0.3582
set tmargin at screen 0.1343
set bmargin at screen 0.0314
plot NaN with linespoints lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6 title 'thread'
set lmargin at screen 0.3676
set rmargin at screen 0.6738
set tmargin at screen 0.1343
set bmargin at screen 0.0314
plot NaN with linespoints lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 title 'epoll', NaN with linespoints lc rgb '#74c476' lw 1.5 pt 7 ps 0.6 title 'epoll reactors2'
set lmargin at screen 0.6831
set rmargin at screen 0.9893
set tmargin at screen 0.1343
set bmargin at screen 0.0314
plot NaN with linespoints lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6 title 'pth', NaN with linespoints lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 title 'st', NaN with linespoints lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 title 'uthread', NaN with linespoints lc rgb '#9edae5' lw 1.5 pt 7 ps 0.6 title 'uthread schedulers2'
set lmargin at screen 0.0520
set rmargin at screen 0.9893
set tmargin at screen 0.0314
set bmargin at screen 0
set key inside center center horizontal maxrows 1
plot NaN with points pt 6 ps 2 lw 1.5 lc rgb 'black' title 'client-bound (the load generator was the limit)'
unset multiplot
unset multiplot
set output
