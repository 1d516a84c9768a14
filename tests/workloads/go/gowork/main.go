// SPDX-License-Identifier: GPL-2.0

// Known truths for the Go tests (tests/integration/go.bats), built twice
// by the Makefile: as is, and stripped (-ldflags="-s -w").
//
//	gowork hash SECONDS   hashes with crypto/sha256 (its assembly, block,
//	                      sets up no frame pointer of its own) and sorts
//	gowork spawn PROGRAM ARGS...
//	                      runs PROGRAM (another Go program: both are
//	                      non-PIE at 0x400000) as os/exec does, by vfork
//	                      and exec, and waits for it
//	gowork split SECONDS  main.spinThree and main.spinOne run the same
//	                      short loop; a seeded PRNG picks spinThree with
//	                      probability 3/4 for each chunk, a chunk being far
//	                      shorter than a sampling period, so the order has
//	                      no period a sampling clock could lock onto
//
// SECONDS are of CPU time (getrusage), so a loaded machine gives as many
// samples; the CPU seconds used are printed on stderr at exit.
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"syscall"
)

var sink uint64

func cpuSeconds() float64 {
	var ru syscall.Rusage

	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

//go:noinline
func hashChunk(buf []byte) {
	for i := 0; i < 8; i++ {
		sum := sha256.Sum256(buf)
		buf[i] ^= sum[0]
	}
}

//go:noinline
func sortChunk(v []int, seed *uint64) {
	for i := range v {
		v[i] = int(nextRandom(seed) >> 40)
	}
	sort.Ints(v)
}

func hashLoop(secs float64) {
	buf := make([]byte, 64<<10)
	v := make([]int, 2000)
	seed := uint64(0x9e3779b97f4a7c15)

	for cpuSeconds() < secs {
		for i := 0; i < 20; i++ {
			hashChunk(buf)
			sortChunk(v, &seed)
		}
	}
}

// xorshift64: a fixed seed, the same run every time
func nextRandom(s *uint64) uint64 {
	*s ^= *s << 13
	*s ^= *s >> 7
	*s ^= *s << 17
	return *s
}

const chunk = 60000

// one step of an LCG: small enough that Go inlines it into both spinners,
// so --lines shows it as an inlined frame under each
func lcg(x uint64) uint64 {
	return x*6364136223846793005 + 1442695040888963407
}

//go:noinline
func spinThree() {
	x := sink
	for i := 0; i < chunk; i++ {
		x = lcg(x)
	}
	sink = x
}

//go:noinline
func spinOne() {
	x := sink
	for i := 0; i < chunk; i++ {
		x = lcg(x)
	}
	sink = x
}

func splitLoop(secs float64) {
	seed := uint64(0x9e3779b97f4a7c15)

	for cpuSeconds() < secs {
		for i := 0; i < 100; i++ {
			if nextRandom(&seed)>>62 != 0 { // 1, 2 or 3 of 0..3
				spinThree()
			} else {
				spinOne()
			}
		}
	}
}

func spawn(args []string) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "gowork: spawn:", err)
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "spawn" {
		spawn(os.Args[2:])
		return
	}
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gowork hash|split SECONDS | gowork spawn PROGRAM ARGS...")
		os.Exit(2)
	}
	secs, err := strconv.ParseFloat(os.Args[2], 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gowork: bad SECONDS:", err)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "hash":
		hashLoop(secs)
	case "split":
		splitLoop(secs)
	default:
		fmt.Fprintln(os.Stderr, "gowork: no mode", os.Args[1])
		os.Exit(2)
	}
	fmt.Fprintf(os.Stderr, "cpu_seconds=%.3f\n", cpuSeconds())
}
