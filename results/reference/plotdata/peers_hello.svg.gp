set terminal svg enhanced dynamic font 'sans,10' size 1100,900
set output 'peers_hello.svg'
set grid lc rgb '#dddddd'
set border lc rgb '#444444'
set datafile missing 'NaN'
set multiplot layout 2,1 title 'Production peers: plaintext (13-byte body), keep-alive' font ',12'
set logscale x 2
set xtics (16, 1024, 16384)
set xlabel 'concurrent connections (log scale)'
set xrange [10.6667:24576]
set key outside right top vertical
set lmargin 12
set rmargin 26
set ylabel 'requests per second'
set yrange [0:*]
set format y '%.0s%c'
plot 'plotdata/peers_hello__fork_prefork.dat' using 1:2:3:4 with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6  title 'fork prefork', \
  'plotdata/peers_hello__apache-prefork.dat' using 1:2:3:4 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6  title 'apache-prefork', \
  'plotdata/peers_hello__thread_pool.dat' using 1:2:3:4 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6  title 'thread pool', \
  'plotdata/peers_hello__apache-worker.dat' using 1:2:3:4 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6  title 'apache-worker', \
  'plotdata/peers_hello__epoll.dat' using 1:2:3:4 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  title 'epoll', \
  'plotdata/peers_hello__nginx.dat' using 1:2:3:4 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6  title 'nginx', \
  'plotdata/peers_hello__apache-event.dat' using 1:2:3:4 with yerrorlines lc rgb '#637939' lw 1.5 pt 7 ps 0.6  title 'apache-event', \
  'plotdata/peers_hello__epoll.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' title 'client-bound', \
  'plotdata/peers_hello__nginx.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/peers_hello__fork_prefork.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' title '>= 1% errors', \
  'plotdata/peers_hello__apache-prefork.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/peers_hello__thread_pool.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/peers_hello__apache-worker.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/peers_hello__nginx.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/peers_hello__apache-event.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/peers_hello__fork_prefork.dat' using 1:($1 == 1024 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#ff9896' title 'starved: 64 of 1024 served (fork prefork)', \
  'plotdata/peers_hello__fork_prefork.dat' using 1:($1 == 16384 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#ff9896' title 'starved: 64 of 16384 served (fork prefork)', \
  'plotdata/peers_hello__apache-prefork.dat' using 1:($1 == 1024 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#17becf' title 'starved: 64 of 1024 served (apache-prefork)', \
  'plotdata/peers_hello__apache-prefork.dat' using 1:($1 == 16384 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#17becf' title 'starved: 64 of 16384 served (apache-prefork)', \
  'plotdata/peers_hello__thread_pool.dat' using 1:($1 == 1024 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#6baed6' title 'starved: 64 of 1024 served (thread pool)', \
  'plotdata/peers_hello__thread_pool.dat' using 1:($1 == 16384 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#6baed6' title 'starved: 64 of 16384 served (thread pool)', \
  'plotdata/peers_hello__apache-worker.dat' using 1:($1 == 1024 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#bcbd22' title 'starved: 64 of 1024 served (apache-worker)', \
  'plotdata/peers_hello__apache-worker.dat' using 1:($1 == 16384 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#bcbd22' title 'starved: 64 of 16384 served (apache-worker)', \
  'plotdata/peers_hello__nginx.dat' using 1:($1 == 16384 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#393b79' title 'starved: 7645 of 16384 served (nginx)', \
  'plotdata/peers_hello__apache-event.dat' using 1:($1 == 1024 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#637939' title 'starved: 596 of 1024 served (apache-event)', \
  'plotdata/peers_hello__apache-event.dat' using 1:($1 == 16384 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb '#637939' title 'starved: 1090 of 16384 served (apache-event)'
set logscale y
set yrange [*:*]
set format y '%g'
set ylabel 'latency, ms (log scale)'
set label 1 'solid: p50   dashed: p99' at graph 0.02, graph 0.93
plot 'plotdata/peers_hello__fork_prefork.dat' using 1:5:6:7 with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6  title 'fork prefork', \
  'plotdata/peers_hello__apache-prefork.dat' using 1:5:6:7 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6  title 'apache-prefork', \
  'plotdata/peers_hello__thread_pool.dat' using 1:5:6:7 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6  title 'thread pool', \
  'plotdata/peers_hello__apache-worker.dat' using 1:5:6:7 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6  title 'apache-worker', \
  'plotdata/peers_hello__epoll.dat' using 1:5:6:7 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  title 'epoll', \
  'plotdata/peers_hello__nginx.dat' using 1:5:6:7 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6  title 'nginx', \
  'plotdata/peers_hello__apache-event.dat' using 1:5:6:7 with yerrorlines lc rgb '#637939' lw 1.5 pt 7 ps 0.6  title 'apache-event', \
  'plotdata/peers_hello__fork_prefork.dat' using 1:8:9:10 with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/peers_hello__apache-prefork.dat' using 1:8:9:10 with yerrorlines lc rgb '#17becf' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/peers_hello__thread_pool.dat' using 1:8:9:10 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/peers_hello__apache-worker.dat' using 1:8:9:10 with yerrorlines lc rgb '#bcbd22' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/peers_hello__epoll.dat' using 1:8:9:10 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/peers_hello__nginx.dat' using 1:8:9:10 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/peers_hello__apache-event.dat' using 1:8:9:10 with yerrorlines lc rgb '#637939' lw 1.5 pt 7 ps 0.6 dt 2 notitle
unset label 1
unset logscale y
unset multiplot
set output
