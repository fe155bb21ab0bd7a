set terminal svg enhanced dynamic font 'sans,10' size 1100,900
set output 'seda_fig4.svg'
set grid lc rgb '#dddddd'
set border lc rgb '#444444'
set datafile missing 'NaN'
set multiplot layout 2,1 title 'SEDA figure 4: event-driven and completion-port models; 8 KB file, keep-alive' font ',12'
set logscale x 2
set xtics (1, 16, 64, 256, 1024, 4096, 16384)
set xlabel 'concurrent connections (log scale)'
set xrange [0.666667:24576]
set key outside right top vertical
set lmargin 12
set rmargin 26
set ylabel 'requests per second'
set yrange [0:*]
set format y '%.0s%c'
plot 'plotdata/seda_fig4__select.dat' using 1:2:3:4 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6  title 'select', \
  'plotdata/seda_fig4__epoll.dat' using 1:2:3:4 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  title 'epoll', \
  'plotdata/seda_fig4__libevent.dat' using 1:2:3:4 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6  title 'libevent', \
  'plotdata/seda_fig4__iocp-emul.dat' using 1:2:3:4 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6  title 'iocp-emul', \
  'plotdata/seda_fig4__pth.dat' using 1:2:3:4 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6  title 'pth', \
  'plotdata/seda_fig4__libevent.dat' using 1:($11 > 0 ? $2 : NaN) with points pt 6 ps 2 lw 1.5 lc rgb 'black' title 'client-bound', \
  'plotdata/seda_fig4__epoll.dat' using 1:($18 >= 0.01 ? $2 : NaN) with points pt 2 ps 1.6 lw 2 lc rgb '#cc0000' title '>= 1% errors'
set logscale y
set yrange [*:*]
set format y '%g'
set ylabel 'latency, ms (log scale)'
set label 1 'solid: p50   dashed: p99' at graph 0.02, graph 0.93
plot 'plotdata/seda_fig4__select.dat' using 1:5:6:7 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6  title 'select', \
  'plotdata/seda_fig4__epoll.dat' using 1:5:6:7 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6  title 'epoll', \
  'plotdata/seda_fig4__libevent.dat' using 1:5:6:7 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6  title 'libevent', \
  'plotdata/seda_fig4__iocp-emul.dat' using 1:5:6:7 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6  title 'iocp-emul', \
  'plotdata/seda_fig4__pth.dat' using 1:5:6:7 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6  title 'pth', \
  'plotdata/seda_fig4__select.dat' using 1:8:9:10 with yerrorlines lc rgb '#9467bd' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/seda_fig4__epoll.dat' using 1:8:9:10 with yerrorlines lc rgb '#2ca02c' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/seda_fig4__libevent.dat' using 1:8:9:10 with yerrorlines lc rgb '#ff7f0e' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/seda_fig4__iocp-emul.dat' using 1:8:9:10 with yerrorlines lc rgb '#8c564b' lw 1.5 pt 7 ps 0.6 dt 2 notitle, \
  'plotdata/seda_fig4__pth.dat' using 1:8:9:10 with yerrorlines lc rgb '#e377c2' lw 1.5 pt 7 ps 0.6 dt 2 notitle
unset label 1
unset logscale y
unset multiplot
set output
