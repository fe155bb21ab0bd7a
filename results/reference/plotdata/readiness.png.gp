set terminal pngcairo enhanced font 'sans,10' size 1500,480
set output 'readiness.png'
set grid lc rgb '#dddddd'
set border lc rgb '#444444'
set datafile missing 'NaN'
set multiplot layout 1,3 title 'Readiness against completion: plaintext keep-alive, one server CPU' font ',12'
set logscale x 2
set xtics (100, 1000, 16384)
set xlabel 'concurrent connections (log scale)'
set xrange [66.6667:24576]
set yrange [0:*]
set bmargin 6
set key at screen 0.5, screen 0.01 center bottom horizontal noenhanced
set title 'throughput'
set ylabel 'requests per second'
plot 'plotdata/readiness__epoll.dat' using 1:2:3:4 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 title 'epoll', \
  'plotdata/readiness__uring.dat' using 1:2:3:4 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 title 'uring', \
  'plotdata/readiness__iocp-emul_io_uring.dat' using 1:2:3:4 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 title 'iocp-emul io_uring', \
  'plotdata/readiness__iocp-emul_epoll.dat' using 1:2:3:4 with yerrorlines lc rgb '#c49c94' lw 1.5 pt 7 ps 0.6 title 'iocp-emul epoll'
set title 'server CPU busy per request (softirq incl.)'
set ylabel 'CPU us per request'
plot 'plotdata/readiness__epoll.dat' using 1:5:6:7 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/readiness__uring.dat' using 1:5:6:7 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/readiness__iocp-emul_io_uring.dat' using 1:5:6:7 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/readiness__iocp-emul_epoll.dat' using 1:5:6:7 with yerrorlines lc rgb '#c49c94' lw 1.5 pt 7 ps 0.6 notitle
set title 'system calls per request'
set ylabel 'system calls per request'
plot 'plotdata/readiness__epoll.dat' using 1:8:9:10 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/readiness__uring.dat' using 1:8:9:10 with yerrorlines lc rgb '#393b79' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/readiness__iocp-emul_io_uring.dat' using 1:8:9:10 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 notitle, \
  'plotdata/readiness__iocp-emul_epoll.dat' using 1:8:9:10 with yerrorlines lc rgb '#c49c94' lw 1.5 pt 7 ps 0.6 notitle
unset multiplot
set output
