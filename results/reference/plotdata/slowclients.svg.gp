set terminal svg enhanced dynamic font 'sans,10' size 1200,1050
set output 'slowclients.svg'
set grid lc rgb '#dddddd'
set border lc rgb '#444444'
set datafile missing 'NaN'
set multiplot layout 3,2 title 'Normal clients (64 connections) beside K slow clients; server --idle-ms 1000' font ',12'
set xtics ('0' 0, '1' 1, '64' 2, '256' 3)
set xrange [-0.3:3.3]
set xlabel 'K slow clients'
set lmargin 10
set rmargin 2
set rmargin 18
set arrow 1 from 2, graph 0 to 2, graph 1 nohead dt 3 lc rgb '#555555'
set label 2 'pool size 64' at 2, graph 0.95 offset 0.5,0 font ',8'
set key outside right top vertical font ',9'
set title 'requests/s as a share of K = 0 (head: a head byte every 8 ms)'
set ylabel 'share of K = 0'
set yrange [0:*]
set format y '%.0f%%'
plot 'plotdata/slowclients__iterative_head.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#7f7f7f' lw 1.5 pt 7 ps 0.6 title 'iterative', \
  'plotdata/slowclients__thread_head.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6 title 'thread', \
  'plotdata/slowclients__thread_pool_head.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 title 'thread pool', \
  'plotdata/slowclients__fork_head.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#d62728' lw 1.5 pt 7 ps 0.6 title 'fork', \
  'plotdata/slowclients__fork_prefork_head.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6 title 'fork prefork', \
  'plotdata/slowclients__select_head.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6 title 'select', \
  'plotdata/slowclients__epoll_head.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 title 'epoll', \
  'plotdata/slowclients__libevent_head.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6 title 'libevent', \
  'plotdata/slowclients__iocp-emul_head.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 title 'iocp-emul', \
  'plotdata/slowclients__pth_head.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6 title 'pth', \
  'plotdata/slowclients__st_head.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 title 'st', \
  'plotdata/slowclients__uthread_head.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 title 'uthread', \
  'plotdata/slowclients__uring_head.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 title 'uring'
unset key
set rmargin 2
set title 'p99 latency (head)'
set ylabel 'p99, ms (log scale)'
set logscale y
set yrange [*:*]
set format y '%g'
plot 'plotdata/slowclients__iterative_head.dat' using 1:7:8:9 with yerrorlines lc rgb '#7f7f7f' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__thread_head.dat' using 1:7:8:9 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__thread_pool_head.dat' using 1:7:8:9 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__fork_head.dat' using 1:7:8:9 with yerrorlines lc rgb '#d62728' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__fork_prefork_head.dat' using 1:7:8:9 with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__select_head.dat' using 1:7:8:9 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__epoll_head.dat' using 1:7:8:9 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__libevent_head.dat' using 1:7:8:9 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__iocp-emul_head.dat' using 1:7:8:9 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__pth_head.dat' using 1:7:8:9 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__st_head.dat' using 1:7:8:9 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__uthread_head.dat' using 1:7:8:9 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__uring_head.dat' using 1:7:8:9 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 notitle
unset logscale y
unset label 2
set arrow 1 from 2, graph 0 to 2, graph 1 nohead dt 3 lc rgb '#555555'
set label 2 'pool size 64' at 2, graph 0.95 offset 0.5,0 font ',8'
unset key
set title 'requests/s as a share of K = 0 (idle: connect, send nothing)'
set ylabel 'share of K = 0'
set yrange [0:*]
set format y '%.0f%%'
plot 'plotdata/slowclients__iterative_idle.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#7f7f7f' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__thread_idle.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__thread_pool_idle.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__fork_idle.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#d62728' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__fork_prefork_idle.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__select_idle.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__epoll_idle.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__libevent_idle.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__iocp-emul_idle.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__pth_idle.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__st_idle.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__uthread_idle.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__uring_idle.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 notitle
unset key
set rmargin 2
set title 'p99 latency (idle)'
set ylabel 'p99, ms (log scale)'
set logscale y
set yrange [*:*]
set format y '%g'
plot 'plotdata/slowclients__iterative_idle.dat' using 1:7:8:9 with yerrorlines lc rgb '#7f7f7f' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__thread_idle.dat' using 1:7:8:9 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__thread_pool_idle.dat' using 1:7:8:9 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__fork_idle.dat' using 1:7:8:9 with yerrorlines lc rgb '#d62728' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__fork_prefork_idle.dat' using 1:7:8:9 with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__select_idle.dat' using 1:7:8:9 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__epoll_idle.dat' using 1:7:8:9 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__libevent_idle.dat' using 1:7:8:9 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__iocp-emul_idle.dat' using 1:7:8:9 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__pth_idle.dat' using 1:7:8:9 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__st_idle.dat' using 1:7:8:9 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__uthread_idle.dat' using 1:7:8:9 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__uring_idle.dat' using 1:7:8:9 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 notitle
unset logscale y
unset label 2
set arrow 1 from 2, graph 0 to 2, graph 1 nohead dt 3 lc rgb '#555555'
set label 2 'pool size 64' at 2, graph 0.95 offset 0.5,0 font ',8'
unset key
set title 'requests/s as a share of K = 0 (read: read at 4096 B/s)'
set ylabel 'share of K = 0'
set yrange [0:*]
set format y '%.0f%%'
plot 'plotdata/slowclients__iterative_read.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#7f7f7f' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__thread_read.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__thread_pool_read.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__fork_read.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#d62728' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__fork_prefork_read.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__select_read.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__epoll_read.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__libevent_read.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__iocp-emul_read.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__pth_read.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__st_read.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__uthread_read.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__uring_read.dat' using 1:($4*100):($5*100):($6*100) with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 notitle
unset key
set rmargin 2
set title 'p99 latency (read)'
set ylabel 'p99, ms (log scale)'
set logscale y
set yrange [*:*]
set format y '%g'
plot 'plotdata/slowclients__iterative_read.dat' using 1:7:8:9 with yerrorlines lc rgb '#7f7f7f' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__thread_read.dat' using 1:7:8:9 with yerrorlines lc rgb '#1f77b4' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__thread_pool_read.dat' using 1:7:8:9 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__fork_read.dat' using 1:7:8:9 with yerrorlines lc rgb '#d62728' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__fork_prefork_read.dat' using 1:7:8:9 with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__select_read.dat' using 1:7:8:9 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__epoll_read.dat' using 1:7:8:9 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__libevent_read.dat' using 1:7:8:9 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__iocp-emul_read.dat' using 1:7:8:9 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__pth_read.dat' using 1:7:8:9 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__st_read.dat' using 1:7:8:9 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__uthread_read.dat' using 1:7:8:9 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/slowclients__uring_read.dat' using 1:7:8:9 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 notitle
unset logscale y
unset label 2
unset multiplot
set output
