set terminal pngcairo enhanced font 'sans,10' size 1000,600
set output 'crosscheck.png'
set grid lc rgb '#dddddd'
set border lc rgb '#444444'
set datafile missing 'NaN'
set title 'The same server and load, measured by loadgen and by wrk' font ',12'
set ylabel 'requests per second'
set yrange [0:*]
set xrange [0.4:2.6]
set xtics rotate by -30 left nomirror
set format y '%.0s%c'
set key at screen 0.98, screen 0.99 right top horizontal
set tmargin 4
set bmargin 6
plot 'plotdata/crosscheck__bars.dat' using 1:2:(0.7):5:xtic(6) with boxes fs solid 0.8 lc rgb variable notitle, \
  'plotdata/crosscheck__bars.dat' using 1:3:(0):($4 - $3) with vectors heads size 0.1,90 lc rgb 'black' notitle, \
  'plotdata/crosscheck__bars.dat' using 1:4:(sprintf('%.0f', $2)) with labels offset 0,0.8 font ',9' notitle, \
  'plotdata/crosscheck__bars.dat' using 1:($7 > 0 ? $2 : NaN) with points pt 6 ps 2.5 lw 1.5 lc rgb 'black' title 'client-bound'
unset multiplot
set output
