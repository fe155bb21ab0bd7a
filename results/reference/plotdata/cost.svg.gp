set terminal svg enhanced dynamic font 'sans,10' size 1700,1260
set output 'cost.svg'
set grid lc rgb '#dddddd'
set border lc rgb '#444444'
set datafile missing 'NaN'
set multiplot layout 4,4 title 'Cost at equal load: plaintext keep-alive, open loop (loadgen -R), one server CPU; a curve ends where the model stops sustaining its load (the same offered loads for every model; p99 from the intended send times)' font ',12'
set xlabel 'offered load (requests/s)'
set grid
set format x '%.0s%c'
set xrange [0:73500]
set title 'server CPU busy, 1,000 conns' noenhanced
set ylabel "processes and kernel threads\n% of the server CPU" noenhanced
unset key
unset logscale y
set yrange [0:109]
plot 'plotdata/cost__thread_pool_1000.dat' using 1:2:3:4 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__thread_1000.dat' using 1:2:3:4 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__fork_1000.dat' using 1:2:3:4 with yerrorlines lc rgb '#d62728' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__thread_pool_1000.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__thread_1000.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__fork_1000.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
unset label 1
set title 'server CPU a request, 1,000 conns' noenhanced
set ylabel 'µs per request' noenhanced
unset key
unset logscale y
set yrange [0:220.2]
plot 'plotdata/cost__thread_pool_1000.dat' using 1:5:6:7 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__thread_1000.dat' using 1:5:6:7 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__fork_1000.dat' using 1:5:6:7 with yerrorlines lc rgb '#d62728' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__thread_pool_1000.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__thread_1000.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__fork_1000.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
unset label 1
set title 'p99 latency, 1,000 conns' noenhanced
set ylabel 'ms (log scale)' noenhanced
unset key
set logscale y
set yrange [0.7973:1054]
plot 'plotdata/cost__thread_pool_1000.dat' using 1:8:9:10 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__thread_1000.dat' using 1:8:9:10 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__fork_1000.dat' using 1:8:9:10 with yerrorlines lc rgb '#d62728' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__thread_pool_1000.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__thread_1000.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__fork_1000.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
unset label 1
set title 'server CPU busy, 100 conns' noenhanced
set ylabel '% of the server CPU' noenhanced
set key outside right top
unset logscale y
set yrange [0:105]
plot 'plotdata/cost__thread_pool_100.dat' using 1:2:3:4 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 notitle, \
  NaN with linespoints lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 title 'thread pool' noenhanced, \
  NaN with linespoints lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6 title 'thread' noenhanced, \
  NaN with linespoints lc rgb '#d62728' lw 1.5 pt 7 ps 0.6 title 'fork' noenhanced, \
  'plotdata/cost__thread_pool_100.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' title 'saturated'
unset label 1
set title 'server CPU busy, 1,000 conns' noenhanced
set ylabel "readiness loops\n% of the server CPU" noenhanced
unset key
unset logscale y
set yrange [0:109]
plot 'plotdata/cost__epoll_1000.dat' using 1:2:3:4 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__select_1000.dat' using 1:2:3:4 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__libevent_1000.dat' using 1:2:3:4 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__epoll_1000.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__select_1000.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__libevent_1000.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
unset label 1
set title 'server CPU a request, 1,000 conns' noenhanced
set ylabel 'µs per request' noenhanced
unset key
unset logscale y
set yrange [0:220.2]
plot 'plotdata/cost__epoll_1000.dat' using 1:5:6:7 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__select_1000.dat' using 1:5:6:7 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__libevent_1000.dat' using 1:5:6:7 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__epoll_1000.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__select_1000.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__libevent_1000.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
unset label 1
set title 'p99 latency, 1,000 conns' noenhanced
set ylabel 'ms (log scale)' noenhanced
unset key
set logscale y
set yrange [0.7973:1054]
plot 'plotdata/cost__epoll_1000.dat' using 1:8:9:10 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__select_1000.dat' using 1:8:9:10 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__libevent_1000.dat' using 1:8:9:10 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__epoll_1000.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__select_1000.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__libevent_1000.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
unset label 1
set title 'server CPU busy, 100 conns' noenhanced
set ylabel '% of the server CPU' noenhanced
set key outside right top
unset logscale y
set yrange [0:105]
plot 'plotdata/cost__epoll_100.dat' using 1:2:3:4 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 notitle, \
  NaN with linespoints lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 title 'epoll' noenhanced, \
  NaN with linespoints lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6 title 'select' noenhanced, \
  NaN with linespoints lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6 title 'libevent' noenhanced, \
  'plotdata/cost__epoll_100.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
unset label 1
set title 'server CPU busy, 1,000 conns' noenhanced
set ylabel "completion\n% of the server CPU" noenhanced
unset key
unset logscale y
set yrange [0:109]
plot 'plotdata/cost__uring_1000.dat' using 1:2:3:4 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__iocp-emul_1000.dat' using 1:2:3:4 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__uring_1000.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__iocp-emul_1000.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
unset label 1
set title 'server CPU a request, 1,000 conns' noenhanced
set ylabel 'µs per request' noenhanced
unset key
unset logscale y
set yrange [0:220.2]
plot 'plotdata/cost__uring_1000.dat' using 1:5:6:7 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__iocp-emul_1000.dat' using 1:5:6:7 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__uring_1000.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__iocp-emul_1000.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
unset label 1
set title 'p99 latency, 1,000 conns' noenhanced
set ylabel 'ms (log scale)' noenhanced
unset key
set logscale y
set yrange [0.7973:1054]
plot 'plotdata/cost__uring_1000.dat' using 1:8:9:10 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__iocp-emul_1000.dat' using 1:8:9:10 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__uring_1000.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__iocp-emul_1000.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
unset label 1
set title 'server CPU busy, 100 conns' noenhanced
set ylabel '% of the server CPU' noenhanced
set key outside right top
unset logscale y
set yrange [0:105]
plot 'plotdata/cost__uring_100.dat' using 1:2:3:4 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__iocp-emul_100.dat' using 1:2:3:4 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 notitle, \
  NaN with linespoints lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 title 'uring' noenhanced, \
  NaN with linespoints lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 title 'iocp-emul' noenhanced, \
  'plotdata/cost__uring_100.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__iocp-emul_100.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
unset label 1
set title 'server CPU busy, 1,000 conns' noenhanced
set ylabel "user-level threads\n% of the server CPU" noenhanced
unset key
unset logscale y
set yrange [0:109]
plot 'plotdata/cost__uthread_1000.dat' using 1:2:3:4 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__st_1000.dat' using 1:2:3:4 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__pth_1000.dat' using 1:2:3:4 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__uthread_1000.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__st_1000.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__pth_1000.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
unset label 1
set title 'server CPU a request, 1,000 conns' noenhanced
set ylabel 'µs per request' noenhanced
unset key
unset logscale y
set yrange [0:220.2]
plot 'plotdata/cost__uthread_1000.dat' using 1:5:6:7 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__st_1000.dat' using 1:5:6:7 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__pth_1000.dat' using 1:5:6:7 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__uthread_1000.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__st_1000.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__pth_1000.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
unset label 1
set title 'p99 latency, 1,000 conns' noenhanced
set ylabel 'ms (log scale)' noenhanced
unset key
set logscale y
set yrange [0.7973:1054]
plot 'plotdata/cost__uthread_1000.dat' using 1:8:9:10 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__st_1000.dat' using 1:8:9:10 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__pth_1000.dat' using 1:8:9:10 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__uthread_1000.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__st_1000.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__pth_1000.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
unset label 1
set title 'server CPU busy, 100 conns' noenhanced
set ylabel '% of the server CPU' noenhanced
set key outside right top
unset logscale y
set yrange [0:105]
plot 'plotdata/cost__uthread_100.dat' using 1:2:3:4 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__st_100.dat' using 1:2:3:4 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 notitle, \
  NaN with linespoints lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 title 'uthread' noenhanced, \
  NaN with linespoints lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 title 'st' noenhanced, \
  NaN with linespoints lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6 title 'pth' noenhanced, \
  'plotdata/cost__uthread_100.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__st_100.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
unset label 1
unset multiplot
unset multiplot
set output
