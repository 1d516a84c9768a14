// SPDX-License-Identifier: GPL-2.0
// A hot JS function, for the JIT naming test.
function hotInner(n) {
	let x = 0;
	for (let i = 0; i < n; i++)
		x = (x * 31 + i) % 1000003;
	return x;
}
// Runs for MS milliseconds of its own CPU time, not of the clock: on a
// loaded machine the tests still get the samples they count on.
function cpuMs() {
	const u = process.cpuUsage();
	return (u.user + u.system) / 1000;
}
let sink = 0;
const end = cpuMs() + Number(process.argv[2] || 2000);
while (cpuMs() < end)
	sink += hotInner(100000);
console.log(sink > 0 ? "done" : "none");
