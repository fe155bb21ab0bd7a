set terminal pngcairo enhanced font 'sans,10' size 1100,900
set output 'hassles.png'
set grid lc rgb '#dddddd'
set border lc rgb '#444444'
set datafile missing 'NaN'
set multiplot layout 3,1 title 'iocp-emul (io_uring backend) against its hassles; uring beside it' noenhanced
set xrange [0.4:20.6]
set yrange [0:1.1967e+06]
set format y '%.0s%c'
set key outside right top vertical
set rmargin 24
set xtics format '' nomirror
set ylabel 'requests per second'
plot 'plotdata/hassles__bars.dat' using 1:2:(0.7):6 with boxes fs solid 0.8 lc rgb variable notitle, 'plotdata/hassles__bars.dat' using 1:3:(0):($4 - $3) with vectors heads size 0.1,90 lc rgb 'black' title 'min..max of reps', NaN with boxes fs solid 0.8 lc rgb '#8c564b' title 'iocp-emul', NaN with boxes fs solid 0.8 lc rgb '#17becf' title 'iocp-emul, pipelined x8', NaN with boxes fs solid 0.8 lc rgb '#393b79' title 'uring', NaN with boxes fs solid 0.8 lc rgb '#bcbd22' title 'uring, pipelined x8'
set ylabel 'server CPU µs per request'
set yrange [0:*]
unset key
plot 'plotdata/hassles__bars.dat' using 1:5:(0.7):6 with boxes fs solid 0.8 lc rgb variable notitle
set ylabel 'posted bytes per conn. (peak)'
set bmargin 8
set xtics rotate by -30 left nomirror format '%g'
plot 'plotdata/hassles__bars.dat' using 1:8:(0.7):6:xtic(7) with boxes fs solid 0.8 lc rgb variable notitle
unset multiplot
set output
