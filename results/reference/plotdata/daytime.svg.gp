set terminal svg enhanced dynamic font 'sans,10' size 1500,860
set output 'daytime.svg'
set grid lc rgb '#dddddd'
set border lc rgb '#444444'
set datafile missing 'NaN'
set multiplot title 'Daytime: a new connection per request: concurrent connections 1024' font ',12'
unset logscale
unset key
set xrange [0.4:12.6]
set xtics ('iterative' 1, 'fork' 2, 'fork prefork' 3, 'thread' 4, 'thread pool' 5, 'select' 6, 'epoll' 7, 'libevent' 8, 'iocp-emul' 9, 'pth' 10, 'st' 11, 'uthread' 12) rotate by -25 left noenhanced
unset xlabel
set boxwidth 0.7
set style fill solid 0.8
set lmargin at screen 0.07
set rmargin at screen 0.93
set tmargin at screen 0.9535
set bmargin at screen 0.5477
set ylabel 'connections per second'
set format y '%.0s%c'
set yrange [0:21600.6]
plot 'plotdata/daytime__iterative.dat' using (1):2 with boxes lc rgb '#7f7f7f' notitle, \
  'plotdata/daytime__iterative.dat' using (1):($4 > $3 ? $2 : NaN):3:4 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__iterative.dat' using (1):($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__iterative.dat' using (1):($20 > 0 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/daytime__fork.dat' using (2):2 with boxes lc rgb '#d62728' notitle, \
  'plotdata/daytime__fork.dat' using (2):($4 > $3 ? $2 : NaN):3:4 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__fork_prefork.dat' using (3):2 with boxes lc rgb '#ff9896' notitle, \
  'plotdata/daytime__fork_prefork.dat' using (3):($4 > $3 ? $2 : NaN):3:4 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__fork_prefork.dat' using (3):($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__thread.dat' using (4):2 with boxes lc rgb '#1f77b4' notitle, \
  'plotdata/daytime__thread.dat' using (4):($4 > $3 ? $2 : NaN):3:4 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__thread.dat' using (4):($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__thread_pool.dat' using (5):2 with boxes lc rgb '#6baed6' notitle, \
  'plotdata/daytime__thread_pool.dat' using (5):($4 > $3 ? $2 : NaN):3:4 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__thread_pool.dat' using (5):($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__thread_pool.dat' using (5):($20 > 0 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/daytime__select.dat' using (6):2 with boxes lc rgb '#9467bd' notitle, \
  'plotdata/daytime__select.dat' using (6):($4 > $3 ? $2 : NaN):3:4 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__select.dat' using (6):($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__select.dat' using (6):($20 > 0 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/daytime__epoll.dat' using (7):2 with boxes lc rgb '#2ca02c' notitle, \
  'plotdata/daytime__epoll.dat' using (7):($4 > $3 ? $2 : NaN):3:4 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__epoll.dat' using (7):($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__epoll.dat' using (7):($20 > 0 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/daytime__libevent.dat' using (8):2 with boxes lc rgb '#ff7f0e' notitle, \
  'plotdata/daytime__libevent.dat' using (8):($4 > $3 ? $2 : NaN):3:4 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__libevent.dat' using (8):($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__libevent.dat' using (8):($20 > 0 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/daytime__iocp-emul.dat' using (9):2 with boxes lc rgb '#8c564b' notitle, \
  'plotdata/daytime__iocp-emul.dat' using (9):($4 > $3 ? $2 : NaN):3:4 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__iocp-emul.dat' using (9):($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__iocp-emul.dat' using (9):($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/daytime__pth.dat' using (10):2 with boxes lc rgb '#e377c2' notitle, \
  'plotdata/daytime__pth.dat' using (10):($4 > $3 ? $2 : NaN):3:4 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__pth.dat' using (10):($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__st.dat' using (11):2 with boxes lc rgb '#bcbd22' notitle, \
  'plotdata/daytime__st.dat' using (11):($4 > $3 ? $2 : NaN):3:4 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__st.dat' using (11):($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__st.dat' using (11):($20 > 0 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/daytime__uthread.dat' using (12):2 with boxes lc rgb '#17becf' notitle, \
  'plotdata/daytime__uthread.dat' using (12):($4 > $3 ? $2 : NaN):3:4 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__uthread.dat' using (12):($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__uthread.dat' using (12):($20 > 0 ? $2 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle
unset label 2
set tmargin at screen 0.5128
set bmargin at screen 0.1070
set ylabel 'p99 latency, ms'
set format y '%g'
set yrange [0:1777.36]
plot 'plotdata/daytime__iterative.dat' using (1):8 with boxes lc rgb '#7f7f7f' notitle, \
  'plotdata/daytime__iterative.dat' using (1):($10 > $9 ? $8 : NaN):9:10 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__iterative.dat' using (1):($11 > 0 ? $8 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__iterative.dat' using (1):($20 > 0 ? $8 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/daytime__fork.dat' using (2):8 with boxes lc rgb '#d62728' notitle, \
  'plotdata/daytime__fork.dat' using (2):($10 > $9 ? $8 : NaN):9:10 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__fork_prefork.dat' using (3):8 with boxes lc rgb '#ff9896' notitle, \
  'plotdata/daytime__fork_prefork.dat' using (3):($10 > $9 ? $8 : NaN):9:10 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__fork_prefork.dat' using (3):($11 > 0 ? $8 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__thread.dat' using (4):8 with boxes lc rgb '#1f77b4' notitle, \
  'plotdata/daytime__thread.dat' using (4):($10 > $9 ? $8 : NaN):9:10 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__thread.dat' using (4):($11 > 0 ? $8 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__thread_pool.dat' using (5):8 with boxes lc rgb '#6baed6' notitle, \
  'plotdata/daytime__thread_pool.dat' using (5):($10 > $9 ? $8 : NaN):9:10 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__thread_pool.dat' using (5):($11 > 0 ? $8 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__thread_pool.dat' using (5):($20 > 0 ? $8 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/daytime__select.dat' using (6):8 with boxes lc rgb '#9467bd' notitle, \
  'plotdata/daytime__select.dat' using (6):($10 > $9 ? $8 : NaN):9:10 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__select.dat' using (6):($11 > 0 ? $8 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__select.dat' using (6):($20 > 0 ? $8 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/daytime__epoll.dat' using (7):8 with boxes lc rgb '#2ca02c' notitle, \
  'plotdata/daytime__epoll.dat' using (7):($10 > $9 ? $8 : NaN):9:10 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__epoll.dat' using (7):($11 > 0 ? $8 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__epoll.dat' using (7):($20 > 0 ? $8 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/daytime__libevent.dat' using (8):8 with boxes lc rgb '#ff7f0e' notitle, \
  'plotdata/daytime__libevent.dat' using (8):($10 > $9 ? $8 : NaN):9:10 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__libevent.dat' using (8):($11 > 0 ? $8 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__libevent.dat' using (8):($20 > 0 ? $8 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/daytime__iocp-emul.dat' using (9):8 with boxes lc rgb '#8c564b' notitle, \
  'plotdata/daytime__iocp-emul.dat' using (9):($10 > $9 ? $8 : NaN):9:10 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__iocp-emul.dat' using (9):($11 > 0 ? $8 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__iocp-emul.dat' using (9):($18 >= 0.01 ? $8 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' notitle, \
  'plotdata/daytime__pth.dat' using (10):8 with boxes lc rgb '#e377c2' notitle, \
  'plotdata/daytime__pth.dat' using (10):($10 > $9 ? $8 : NaN):9:10 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__pth.dat' using (10):($11 > 0 ? $8 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__st.dat' using (11):8 with boxes lc rgb '#bcbd22' notitle, \
  'plotdata/daytime__st.dat' using (11):($10 > $9 ? $8 : NaN):9:10 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__st.dat' using (11):($11 > 0 ? $8 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__st.dat' using (11):($20 > 0 ? $8 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle, \
  'plotdata/daytime__uthread.dat' using (12):8 with boxes lc rgb '#17becf' notitle, \
  'plotdata/daytime__uthread.dat' using (12):($10 > $9 ? $8 : NaN):9:10 with yerrorbars lc rgb 'black' pt 7 ps 0 notitle, \
  'plotdata/daytime__uthread.dat' using (12):($11 > 0 ? $8 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' notitle, \
  'plotdata/daytime__uthread.dat' using (12):($20 > 0 ? $8 : NaN) with points pt 8 ps 2.2 lw 2 lc rgb 'black' notitle
unset label 2
unset border
unset tics
unset grid
unset title
unset ylabel
set xrange [0:1]
set yrange [0:1]
set tmargin at screen 0.0256
set bmargin at screen 0
set key inside center center horizontal maxrows 1
plot NaN with points pt 6 ps 2 lw 1.5 lc rgb 'black' title 'client-bound (the load generator was the limit)', NaN with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' title '>= 1% errors', NaN with points pt 8 ps 2.2 lw 2 lc rgb 'black' title 'starved (< 99% of connections served)'
unset multiplot
unset multiplot
set output
