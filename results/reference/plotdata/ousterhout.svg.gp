set terminal svg enhanced dynamic font 'sans,10' size 1400,950
set output 'ousterhout.svg'
set grid lc rgb '#dddddd'
set border lc rgb '#444444'
set datafile missing 'NaN'
set multiplot layout 2,2 title 'Events against threads: plaintext keep-alive' font ',12'
set logscale x 2
set xtics (10, 100, 1000)
set xlabel 'concurrent connections (log scale)'
set xrange [6.66667:1500]
set key outside right top vertical
set yrange [0:*]
set format y '%.0s%c'
set title 'throughput, server on CPU 0'
set ylabel 'requests per second'
plot 'plotdata/ousterhout__select_cpus0.dat' using 1:2:3:4 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6  title 'select', \
  'plotdata/ousterhout__epoll_cpus0.dat' using 1:2:3:4 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  title 'epoll', \
  'plotdata/ousterhout__libevent_cpus0.dat' using 1:2:3:4 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6  title 'libevent', \
  'plotdata/ousterhout__thread_cpus0.dat' using 1:2:3:4 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6  title 'thread', \
  'plotdata/ousterhout__pth_cpus0.dat' using 1:2:3:4 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6  title 'pth', \
  'plotdata/ousterhout__st_cpus0.dat' using 1:2:3:4 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6  title 'st', \
  'plotdata/ousterhout__uthread_cpus0.dat' using 1:2:3:4 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6  title 'uthread', \
  'plotdata/ousterhout__uring_cpus0.dat' using 1:2:3:4 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6  title 'uring', \
  'plotdata/ousterhout__select_cpus0.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' title 'client-bound', \
  'plotdata/ousterhout__epoll_cpus0.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout__libevent_cpus0.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout__thread_cpus0.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout__st_cpus0.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout__uthread_cpus0.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout__uring_cpus0.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout__thread_cpus0.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' title '>= 1% errors', \
  'plotdata/ousterhout__thread_cpus0.dat' using 1:($1 == 1000 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#1f77b4' title 'starved: 596 of 1000 served (thread)'
set title 'throughput, server on CPUs 0-1'
set ylabel 'requests per second'
plot 'plotdata/ousterhout__epoll_cpus0-1.dat' using 1:2:3:4 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  title 'epoll', \
  'plotdata/ousterhout__epoll_reactors2_cpus0-1.dat' using 1:2:3:4 with yerrorlines lc rgb '#74c476' lw 1.5 pt 7 ps 0.6  title 'epoll reactors2', \
  'plotdata/ousterhout__thread_cpus0-1.dat' using 1:2:3:4 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6  title 'thread', \
  'plotdata/ousterhout__pth_cpus0-1.dat' using 1:2:3:4 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6  title 'pth', \
  'plotdata/ousterhout__st_cpus0-1.dat' using 1:2:3:4 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6  title 'st', \
  'plotdata/ousterhout__uthread_cpus0-1.dat' using 1:2:3:4 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6  title 'uthread', \
  'plotdata/ousterhout__uthread_schedulers2_cpus0-1.dat' using 1:2:3:4 with yerrorlines lc rgb '#9edae5' lw 1.5 pt 7 ps 0.6  title 'uthread schedulers2', \
  'plotdata/ousterhout__epoll_cpus0-1.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' title 'client-bound', \
  'plotdata/ousterhout__epoll_reactors2_cpus0-1.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout__st_cpus0-1.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/ousterhout__uthread_cpus0-1.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle
set title 'context switches per request (server on CPU 0)'
set ylabel 'switches per request'
set format y '%g'
plot 'plotdata/ousterhout__select_cpus0.dat' using 1:12:13:14 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6  title 'select', \
  'plotdata/ousterhout__epoll_cpus0.dat' using 1:12:13:14 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  title 'epoll', \
  'plotdata/ousterhout__libevent_cpus0.dat' using 1:12:13:14 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6  title 'libevent', \
  'plotdata/ousterhout__thread_cpus0.dat' using 1:12:13:14 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6  title 'thread', \
  'plotdata/ousterhout__pth_cpus0.dat' using 1:12:13:14 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6  title 'pth', \
  'plotdata/ousterhout__st_cpus0.dat' using 1:12:13:14 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6  title 'st', \
  'plotdata/ousterhout__uthread_cpus0.dat' using 1:12:13:14 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6  title 'uthread', \
  'plotdata/ousterhout__uring_cpus0.dat' using 1:12:13:14 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6  title 'uring'
set title 'server memory: peak RSS (server on CPU 0)'
set ylabel 'MiB (log scale)'
set logscale y
set yrange [*:*]
plot 'plotdata/ousterhout__select_cpus0.dat' using 1:15:16:17 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6  title 'select', \
  'plotdata/ousterhout__epoll_cpus0.dat' using 1:15:16:17 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  title 'epoll', \
  'plotdata/ousterhout__libevent_cpus0.dat' using 1:15:16:17 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6  title 'libevent', \
  'plotdata/ousterhout__thread_cpus0.dat' using 1:15:16:17 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6  title 'thread', \
  'plotdata/ousterhout__pth_cpus0.dat' using 1:15:16:17 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6  title 'pth', \
  'plotdata/ousterhout__st_cpus0.dat' using 1:15:16:17 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6  title 'st', \
  'plotdata/ousterhout__uthread_cpus0.dat' using 1:15:16:17 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6  title 'uthread', \
  'plotdata/ousterhout__uring_cpus0.dat' using 1:15:16:17 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6  title 'uring'
unset logscale y
unset multiplot
set output
