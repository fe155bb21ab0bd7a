set terminal pngcairo enhanced font 'sans,10' size 1500,860
set output 'peers_hello.png'
set grid lc rgb '#dddddd'
set border lc rgb '#444444'
set datafile missing 'NaN'
set multiplot title 'Production peers: plaintext (13-byte body), keep-alive' font ',12'
set logscale x 2
set xtics (1024, 16384)
set xlabel 'concurrent connections (log scale)'
set xrange [682.667:24576]
unset key
set lmargin at screen 0.0520
set rmargin at screen 0.5160
set tmargin at screen 0.9279
set bmargin at screen 0.5523
set title 'processes and kernel threads' noenhanced
set ylabel 'requests per second'
set format y '%.0s%c'
unset xlabel
set format x ''
unset logscale y
set yrange [0:158271]
plot 'plotdata/peers_hello__fork_prefork.dat' using 1:2:3:4 with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/peers_hello__apache-prefork.dat' using 1:2:3:4 with yerrorlines lc rgb '#843c39' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/peers_hello__thread_pool.dat' using 1:2:3:4 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/peers_hello__apache-worker.dat' using 1:2:3:4 with yerrorlines lc rgb '#08519c' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/peers_hello__thread_pool.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/peers_hello__fork_prefork.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/peers_hello__apache-prefork.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/peers_hello__thread_pool.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/peers_hello__apache-worker.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/peers_hello__fork_prefork.dat' using 1:($20 > 0 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/peers_hello__apache-prefork.dat' using 1:($20 > 0 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/peers_hello__thread_pool.dat' using 1:($20 > 0 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/peers_hello__apache-worker.dat' using 1:($20 > 0 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle
unset label 1
unset label 2
set lmargin at screen 0.5253
set rmargin at screen 0.9893
set tmargin at screen 0.9279
set bmargin at screen 0.5523
set title 'readiness loops' noenhanced
unset ylabel
set format y ''
unset xlabel
set format x ''
unset logscale y
set yrange [0:158271]
plot 'plotdata/peers_hello__epoll.dat' using 1:2:3:4 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/peers_hello__nginx.dat' using 1:2:3:4 with yerrorlines lc rgb '#e6550d' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/peers_hello__apache-event.dat' using 1:2:3:4 with yerrorlines lc rgb '#756bb1' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/peers_hello__epoll.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/peers_hello__nginx.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/peers_hello__nginx.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/peers_hello__apache-event.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/peers_hello__nginx.dat' using 1:($20 > 0 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/peers_hello__apache-event.dat' using 1:($20 > 0 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle
unset label 1
unset label 2
set lmargin at screen 0.0520
set rmargin at screen 0.5160
set tmargin at screen 0.5337
set bmargin at screen 0.1581
unset title
set ylabel 'latency, ms (log scale)'
set format y '%g'
set xlabel 'concurrent connections (log scale)'
set format x '%g'
set logscale y
set yrange [0.401429:4415.49]
set label 1 'solid: p50   dashed: p99' at graph 0.03, graph 0.92 front
plot 'plotdata/peers_hello__fork_prefork.dat' using 1:5:6:7 with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/peers_hello__apache-prefork.dat' using 1:5:6:7 with yerrorlines lc rgb '#843c39' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/peers_hello__thread_pool.dat' using 1:5:6:7 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/peers_hello__apache-worker.dat' using 1:5:6:7 with yerrorlines lc rgb '#08519c' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/peers_hello__fork_prefork.dat' using 1:8:9:10 with yerrorlines lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/peers_hello__apache-prefork.dat' using 1:8:9:10 with yerrorlines lc rgb '#843c39' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/peers_hello__thread_pool.dat' using 1:8:9:10 with yerrorlines lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/peers_hello__apache-worker.dat' using 1:8:9:10 with yerrorlines lc rgb '#08519c' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/peers_hello__thread_pool.dat' using 1:($11 > 0 ? $8 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/peers_hello__fork_prefork.dat' using 1:($18 >= 0.01 ? $8 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/peers_hello__apache-prefork.dat' using 1:($18 >= 0.01 ? $8 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/peers_hello__thread_pool.dat' using 1:($18 >= 0.01 ? $8 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/peers_hello__apache-worker.dat' using 1:($18 >= 0.01 ? $8 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/peers_hello__fork_prefork.dat' using 1:($20 > 0 ? $8 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/peers_hello__apache-prefork.dat' using 1:($20 > 0 ? $8 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/peers_hello__thread_pool.dat' using 1:($20 > 0 ? $8 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/peers_hello__apache-worker.dat' using 1:($20 > 0 ? $8 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle
unset label 1
unset label 2
set lmargin at screen 0.5253
set rmargin at screen 0.9893
set tmargin at screen 0.5337
set bmargin at screen 0.1581
unset title
unset ylabel
set format y ''
set xlabel 'concurrent connections (log scale)'
set format x '%g'
set logscale y
set yrange [0.401429:4415.49]
plot 'plotdata/peers_hello__epoll.dat' using 1:5:6:7 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/peers_hello__nginx.dat' using 1:5:6:7 with yerrorlines lc rgb '#e6550d' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/peers_hello__apache-event.dat' using 1:5:6:7 with yerrorlines lc rgb '#756bb1' lw 1.5 pt 7 ps 0.6  notitle, \
  'plotdata/peers_hello__epoll.dat' using 1:8:9:10 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/peers_hello__nginx.dat' using 1:8:9:10 with yerrorlines lc rgb '#e6550d' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/peers_hello__apache-event.dat' using 1:8:9:10 with yerrorlines lc rgb '#756bb1' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/peers_hello__epoll.dat' using 1:($11 > 0 ? $8 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/peers_hello__nginx.dat' using 1:($11 > 0 ? $8 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/peers_hello__nginx.dat' using 1:($18 >= 0.01 ? $8 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/peers_hello__apache-event.dat' using 1:($18 >= 0.01 ? $8 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/peers_hello__nginx.dat' using 1:($20 > 0 ? $8 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/peers_hello__apache-event.dat' using 1:($20 > 0 ? $8 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle
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
set rmargin at screen 0.5160
set tmargin at screen 0.1093
set bmargin at screen 0.0256
plot NaN with linespoints lc rgb '#ff9896' lw 1.5 pt 7 ps 0.6 title 'fork prefork', NaN with linespoints lc rgb '#843c39' lw 1.5 pt 7 ps 0.6 title 'apache-prefork', NaN with linespoints lc rgb '#6baed6' lw 1.5 pt 7 ps 0.6 title 'thread pool', NaN with linespoints lc rgb '#08519c' lw 1.5 pt 7 ps 0.6 title 'apache-worker'
set lmargin at screen 0.5253
set rmargin at screen 0.9893
set tmargin at screen 0.1093
set bmargin at screen 0.0256
plot NaN with linespoints lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 title 'epoll', NaN with linespoints lc rgb '#e6550d' lw 1.5 pt 7 ps 0.6 title 'nginx', NaN with linespoints lc rgb '#756bb1' lw 1.5 pt 7 ps 0.6 title 'apache-event'
set lmargin at screen 0.0520
set rmargin at screen 0.9893
set tmargin at screen 0.0256
set bmargin at screen 0
set key inside center center horizontal maxrows 1
plot NaN with points pt 6 ps 2 lw 1.5 lc rgb 'black' title 'client-bound (the load generator was the limit)', NaN with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' title '>= 1% errors', NaN with points pt 8 ps 2.2 lw 2 lc rgb 'black' title 'starved (< 99% of connections served)'
unset multiplot
unset multiplot
set output
