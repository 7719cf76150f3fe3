# Figures from a `/usr/bin/time -v -o FILE` report, for the bench scripts (source it):
#   peak_mb FILE  the peak resident set in MB; wall_s FILE  the wall-clock seconds (h:mm:ss or m:ss);
#   cpu_s FILE  user + system seconds.
peak_mb() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$1"; }
wall_s() { awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.1f", s}' "$1"; }
cpu_s() { awk -F': ' '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$1"; }
