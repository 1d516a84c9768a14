// SPDX-License-Identifier: GPL-2.0
// A hot JS function, for the JIT naming test.
function hotInner(n) {
	let x = 0;
	for (let i = 0; i < n; i++)
		x = (x * 31 + i) % 1000003;
	return x;
}
let sink = 0;
const end = Date.now() + Number(process.argv[2] || 2000);
while (Date.now() < end)
	sink += hotInner(100000);
console.log(sink > 0 ? "done" : "none");
