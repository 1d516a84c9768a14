# SPDX-License-Identifier: GPL-2.0
# Folds `perf script` output into "comm;root;...;leaf COUNT" lines, as
# FlameGraph's stackcollapse-perf.pl does (kernel frames suffixed _[k]
# like its --all); used where that script is not installed.
function flush(   s, i) {
	if (comm == "")
		return
	s = comm
	for (i = n; i >= 1; i--)
		s = s ";" f[i]
	count[s]++
	comm = ""
	n = 0
}
/^[^ \t]/ {
	flush()
	# "comm  pid [cpu] time: period event:" -- comm may hold spaces
	line = $0
	sub(/[ \t]+[0-9]+(\/[0-9]+)? +\[[0-9]+\].*$/, "", line)
	gsub(/ /, "_", line)
	comm = line
	next
}
/^[ \t]+[0-9a-f]+ / {
	name = $2
	sub(/\+0x[0-9a-f]+$/, "", name)
	if ($NF ~ /kernel\.kallsyms/)
		name = name "_[k]"
	f[++n] = name
	next
}
/^$/ { flush() }
END {
	flush()
	for (s in count)
		print s, count[s]
}
