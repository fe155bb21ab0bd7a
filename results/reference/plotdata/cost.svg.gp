set terminal svg enhanced dynamic font 'sans,10' size 1500,840
set output 'cost.svg'
set grid lc rgb '#dddddd'
set border lc rgb '#444444'
set datafile missing 'NaN'
set multiplot layout 2,3 title 'Cost at equal load: plaintext keep-alive, open loop (loadgen -R), one server CPU; a curve ends where the model stops sustaining its load' font ',12'
set xlabel 'offered load (requests/s)'
set yrange [0:*]
set grid
set title 'server CPU busy (softirq incl.), 100 connections'
set ylabel '% of the server CPU'
unset key
unset logscale y
set yrange [0:*]
plot 'plotdata/cost__epoll_100.dat' using 1:2:3:4 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__uring_100.dat' using 1:2:3:4 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__iocp-emul_100.dat' using 1:2:3:4 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__uthread_100.dat' using 1:2:3:4 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__st_100.dat' using 1:2:3:4 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__thread_pool_100.dat' using 1:2:3:4 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__epoll_100.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__uring_100.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__iocp-emul_100.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__uthread_100.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__st_100.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__thread_pool_100.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
set title 'server CPU per request, 100 connections'
set ylabel 'us per request'
unset key
unset logscale y
set yrange [0:*]
plot 'plotdata/cost__epoll_100.dat' using 1:5:6:7 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__uring_100.dat' using 1:5:6:7 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__iocp-emul_100.dat' using 1:5:6:7 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__uthread_100.dat' using 1:5:6:7 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__st_100.dat' using 1:5:6:7 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__thread_pool_100.dat' using 1:5:6:7 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__epoll_100.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__uring_100.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__iocp-emul_100.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__uthread_100.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__st_100.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__thread_pool_100.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
set title 'latency p99 (from the intended send time), 100 connections'
set ylabel 'ms'
set key outside right top
set logscale y
set yrange [*:*]
plot 'plotdata/cost__epoll_100.dat' using 1:8:9:10 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 title 'epoll' noenhanced, \
  'plotdata/cost__uring_100.dat' using 1:8:9:10 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 title 'uring' noenhanced, \
  'plotdata/cost__iocp-emul_100.dat' using 1:8:9:10 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 title 'iocp-emul' noenhanced, \
  'plotdata/cost__uthread_100.dat' using 1:8:9:10 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 title 'uthread' noenhanced, \
  'plotdata/cost__st_100.dat' using 1:8:9:10 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 title 'st' noenhanced, \
  'plotdata/cost__thread_pool_100.dat' using 1:8:9:10 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 title 'thread pool' noenhanced, \
  'plotdata/cost__epoll_100.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' title 'saturated', \
  'plotdata/cost__uring_100.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__iocp-emul_100.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__uthread_100.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__st_100.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__thread_pool_100.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
set title 'server CPU busy (softirq incl.), 1000 connections'
set ylabel '% of the server CPU'
unset key
unset logscale y
set yrange [0:*]
plot 'plotdata/cost__epoll_1000.dat' using 1:2:3:4 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__uring_1000.dat' using 1:2:3:4 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__iocp-emul_1000.dat' using 1:2:3:4 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__uthread_1000.dat' using 1:2:3:4 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__st_1000.dat' using 1:2:3:4 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__thread_pool_1000.dat' using 1:2:3:4 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__epoll_1000.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__uring_1000.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__iocp-emul_1000.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__uthread_1000.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__st_1000.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__thread_pool_1000.dat' using 1:($11 == 0 ? $2 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
set title 'server CPU per request, 1000 connections'
set ylabel 'us per request'
unset key
unset logscale y
set yrange [0:*]
plot 'plotdata/cost__epoll_1000.dat' using 1:5:6:7 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__uring_1000.dat' using 1:5:6:7 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__iocp-emul_1000.dat' using 1:5:6:7 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__uthread_1000.dat' using 1:5:6:7 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__st_1000.dat' using 1:5:6:7 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__thread_pool_1000.dat' using 1:5:6:7 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__epoll_1000.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__uring_1000.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__iocp-emul_1000.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__uthread_1000.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__st_1000.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__thread_pool_1000.dat' using 1:($11 == 0 ? $5 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
set title 'latency p99 (from the intended send time), 1000 connections'
set ylabel 'ms'
unset key
set logscale y
set yrange [*:*]
plot 'plotdata/cost__epoll_1000.dat' using 1:8:9:10 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__uring_1000.dat' using 1:8:9:10 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__iocp-emul_1000.dat' using 1:8:9:10 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__uthread_1000.dat' using 1:8:9:10 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__st_1000.dat' using 1:8:9:10 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__thread_pool_1000.dat' using 1:8:9:10 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/cost__epoll_1000.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__uring_1000.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__iocp-emul_1000.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__uthread_1000.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__st_1000.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle, \
  'plotdata/cost__thread_pool_1000.dat' using 1:($11 == 0 ? $8 : NaN) with points pt 6 ps 2 lc rgb 'black' notitle
unset multiplot
unset multiplot
set output
